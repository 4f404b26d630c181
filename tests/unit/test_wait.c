/* test_wait.c -- wait.c without a database: which failures are retried,
 * how a libpq error is shortened for the progress line, the backoff, and
 * a timeout against a socket that does not exist. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "wait.h"

static void test_wait_reason_connection_refused(void)
{
    char buf[128];

    wait_reason("cannot connect to host 'db' port 5432 database 'app': connection to server at "
                "\"db\" (172.18.0.2), port 5432 failed: Connection refused  Is the server "
                "running on that host and accepting TCP/IP connections?",
                buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "connection refused");
}

static void test_wait_reason_strips_fatal(void)
{
    char buf[128];

    wait_reason("cannot connect to socket '/s' port 5432 database 'd': connection to server on "
                "socket \"/s/.s.PGSQL.5432\" failed: FATAL:  the database system is starting up",
                buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "the database system is starting up");
    wait_reason("x failed: FATAL:  57P03: the database system is shutting down", buf,
                sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "the database system is shutting down");
    wait_reason("x failed: FATAL:  Peers: not a sqlstate", buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "peers: not a sqlstate");
}

static void test_wait_reason_without_libpq_prefix(void)
{
    char buf[128];

    wait_reason("cannot connect to host 'h' port 1 database 'd': timeout expired", buf,
                sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "timeout expired");
    wait_reason("connection lost: server closed the connection unexpectedly", buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "connection lost: server closed the connection unexpectedly");
    wait_reason("", buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "not ready");
}

static void test_wait_reason_truncates_safely(void)
{
    char buf[8];

    wait_reason("x failed: Connection refused", buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "connect");
}

static void test_wait_starting_up_is_retried(void)
{
    CU_ASSERT_FALSE(wait_is_permanent("the database system is starting up", NULL));
    CU_ASSERT_FALSE(wait_is_permanent("anything", "57P03"));
    CU_ASSERT_FALSE(wait_is_permanent("connection refused", ""));
    CU_ASSERT_FALSE(wait_is_permanent("no such file or directory", ""));
    CU_ASSERT_FALSE(wait_is_permanent("could not translate host name \"db\" to address: "
                                      "Name or service not known", ""));
    CU_ASSERT_FALSE(wait_is_permanent("sorry, too many clients already", ""));
    CU_ASSERT_FALSE(wait_is_permanent("timeout expired", ""));
}

static void test_wait_auth_and_unknown_database_fail_at_once(void)
{
    CU_ASSERT_TRUE(wait_is_permanent("password authentication failed for user \"app\"", ""));
    CU_ASSERT_TRUE(wait_is_permanent("Peer authentication failed for user \"x\"", ""));
    CU_ASSERT_TRUE(wait_is_permanent("no pg_hba.conf entry for host \"1.2.3.4\"", ""));
    CU_ASSERT_TRUE(wait_is_permanent("database \"app\" does not exist", ""));
    CU_ASSERT_TRUE(wait_is_permanent("role \"nobody\" does not exist", ""));
    CU_ASSERT_TRUE(wait_is_permanent("fe_sendauth: no password supplied", ""));
    CU_ASSERT_TRUE(wait_is_permanent("x", "28P01"));
    CU_ASSERT_TRUE(wait_is_permanent("x", "28000"));
    CU_ASSERT_TRUE(wait_is_permanent("x", "3D000"));
}

static void test_wait_backoff_doubles_to_the_ceiling(void)
{
    /* u = 0.5: no jitter */
    CU_ASSERT_EQUAL(wait_backoff_ms(1, 2.0, 0.5), 100);
    CU_ASSERT_EQUAL(wait_backoff_ms(2, 2.0, 0.5), 200);
    CU_ASSERT_EQUAL(wait_backoff_ms(3, 2.0, 0.5), 400);
    CU_ASSERT_EQUAL(wait_backoff_ms(5, 2.0, 0.5), 1600);
    CU_ASSERT_EQUAL(wait_backoff_ms(6, 2.0, 0.5), 2000);
    CU_ASSERT_EQUAL(wait_backoff_ms(1000, 2.0, 0.5), 2000);
    CU_ASSERT_EQUAL(wait_backoff_ms(3, 0.25, 0.5), 250);
}

static void test_wait_backoff_jitter_is_bounded(void)
{
    CU_ASSERT_EQUAL(wait_backoff_ms(1, 2.0, 0.0), 75);
    CU_ASSERT_EQUAL(wait_backoff_ms(1, 2.0, 0.999999), 125);
    CU_ASSERT_EQUAL(wait_backoff_ms(3, 2.0, 0.0), 300);
    /* at the ceiling jitter only shortens */
    CU_ASSERT_EQUAL(wait_backoff_ms(9, 2.0, 0.999999), 2000);
    CU_ASSERT_EQUAL(wait_backoff_ms(9, 2.0, 0.0), 1500);
}

static void test_wait_times_out_on_a_missing_socket(void)
{
    struct err e = ERR_INIT;
    uv_loop_t loop;
    uint64_t start;
    double took;
    int rc;

    CU_ASSERT_EQUAL_FATAL(uv_loop_init(&loop), 0);
    start = uv_hrtime();
    rc = wait_for_db(&loop, "postgresql://u:hunter2@/d?host=/nonexistent-runner-dir&port=5",
                     0.4, 1, &e);
    took = (double)(uv_hrtime() - start) / 1e9;
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_EQUAL(e.code, ERR_FAIL);
    CU_ASSERT(took >= 0.35 && took < 3.0);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "not ready after 0.4 s"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "/nonexistent-runner-dir"));
    CU_ASSERT_PTR_NULL(strstr(e.msg, "hunter2"));
    CU_ASSERT_PTR_NULL(strchr(e.msg, '\n'));
    CU_ASSERT_EQUAL(uv_loop_close(&loop), 0);   /* no handle of ours left */
}

static void test_wait_bad_scheme_fails_at_once(void)
{
    struct err e = ERR_INIT;
    uv_loop_t loop;

    CU_ASSERT_EQUAL_FATAL(uv_loop_init(&loop), 0);
    CU_ASSERT_EQUAL(wait_for_db(&loop, "mysql://h/d", 30, 1, &e), -1);
    CU_ASSERT_EQUAL(e.code, ERR_USAGE);
    CU_ASSERT_EQUAL(uv_loop_close(&loop), 0);
}

CU_TestInfo wait_tests[] = {
    { "reason of a refused connection", test_wait_reason_connection_refused },
    { "reason drops the severity", test_wait_reason_strips_fatal },
    { "reason without a libpq prefix", test_wait_reason_without_libpq_prefix },
    { "reason truncates safely", test_wait_reason_truncates_safely },
    { "starting up is retried", test_wait_starting_up_is_retried },
    { "auth and unknown database fail at once", test_wait_auth_and_unknown_database_fail_at_once },
    { "backoff doubles to the ceiling", test_wait_backoff_doubles_to_the_ceiling },
    { "backoff jitter is bounded", test_wait_backoff_jitter_is_bounded },
    { "times out on a missing socket", test_wait_times_out_on_a_missing_socket },
    { "bad scheme fails at once", test_wait_bad_scheme_fails_at_once },
    CU_TEST_INFO_NULL,
};
