/* test_pg.c -- pg.c on a live server: the loop-driven connection, scripts
 * with the first error winning, the failing statement and its position,
 * rows, and connection errors that never show a password. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "itest.h"
#include "pg.h"

#define HAS(hay, needle) CU_ASSERT_PTR_NOT_NULL(strstr((hay), (needle)))

static void test_pg_script_runs_every_statement(void)
{
    struct it_conn c;
    struct err e = ERR_INIT;
    struct pg_rows r = PG_ROWS_INIT;
    char url[IT_URL_SIZE];
    long n = -1;

    CU_ASSERT_FATAL(it_db_create("it_pg", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL_FATAL(it_conn_open(&c, url, &e), 0);
    CU_ASSERT_PTR_NOT_NULL(pg_conn(&c.db));
    CU_ASSERT_EQUAL(pg_exec(&c.db, "CREATE TABLE t (a int, b text);\n"
                                   "-- a comment; with a semicolon\n"
                                   "INSERT INTO t VALUES (1, 'x;y'), (2, $$;$$);;", &e), 0);
    CU_ASSERT_EQUAL(pg_query(&c.db, "SELECT b FROM t WHERE a >= $1 ORDER BY a", 1,
                             (const char *[]){ "1" }, &r, NULL, &e), 0);
    CU_ASSERT_EQUAL(r.n_rows, 2);
    CU_ASSERT_STRING_EQUAL(pg_rows_get(&r, 0, 0), "x;y");
    CU_ASSERT_STRING_EQUAL(pg_rows_get(&r, 1, 0), ";");
    CU_ASSERT_PTR_NULL(pg_rows_get(&r, 2, 0));
    pg_rows_release(&r);
    CU_ASSERT_EQUAL(pg_query(&c.db, "UPDATE t SET a = a + 10", 0, NULL, NULL, &n, &e), 0);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(pg_exec_params(&c.db, "INSERT INTO t VALUES ($1, $2)", 2,
                                   (const char *[]){ "3", NULL }, &e), 0);
    CU_ASSERT_EQUAL(pg_query(&c.db, "SELECT b FROM t WHERE a = 3", 0, NULL, &r, NULL, &e), 0);
    CU_ASSERT_EQUAL(r.n_rows, 1);
    CU_ASSERT_PTR_NULL(pg_rows_get(&r, 0, 0));     /* SQL NULL */
    pg_rows_release(&r);
    CU_ASSERT_EQUAL(pg_query(&c.db, "SELECT current_setting('application_name')", 0, NULL, &r,
                             NULL, &e), 0);
    CU_ASSERT_STRING_EQUAL(pg_rows_get(&r, 0, 0), "runner");
    pg_rows_release(&r);
    it_conn_close(&c);
}

static void test_pg_first_error_names_statement_and_position(void)
{
    struct it_conn c;
    struct err e = ERR_INIT;
    struct pg_rows r = PG_ROWS_INIT;
    char url[IT_URL_SIZE];

    CU_ASSERT_FATAL(it_db_create("it_pg_err", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL_FATAL(it_conn_open(&c, url, &e), 0);
    CU_ASSERT_EQUAL(pg_exec(&c.db, "CREATE TABLE t (a int);\n"
                                   "INSERT INTO t VALUES (1);\n"
                                   "  INSERT   INTO t VALUES ('x');\n"
                                   "INSERT INTO nope VALUES (1)", &e), -1);
    CU_ASSERT_STRING_EQUAL(e.sqlstate, "22P02");
    CU_ASSERT_STRING_EQUAL(e.msg, "invalid input syntax for type integer: \"x\" (SQLSTATE 22P02) "
                                  "at character 23 of statement \"INSERT INTO t VALUES ('x')\"");
    /* the script was one implicit transaction: nothing of it stayed */
    err_clear(&e);
    CU_ASSERT_EQUAL(pg_query(&c.db, "SELECT to_regclass('t') IS NULL", 0, NULL, &r, NULL, &e), 0);
    CU_ASSERT_STRING_EQUAL(pg_rows_get(&r, 0, 0), "t");
    pg_rows_release(&r);

    /* an error without a position names the statement by its place */
    CU_ASSERT_EQUAL(pg_exec(&c.db, "SELECT 1; SELECT 1/0; SELECT 2", &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "division by zero (SQLSTATE 22012) in statement \"SELECT 1/0\"");
    /* the connection is still usable */
    CU_ASSERT_EQUAL(pg_exec(&c.db, "SELECT 1", &e), 0);
    it_conn_close(&c);
}

static void test_pg_connect_error_hides_password(void)
{
    struct it_conn c;
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL(it_conn_open(&c, "postgresql://bob:pa55word@127.0.0.1:1/shop", &e), -1);
    HAS(e.msg, "cannot connect to host '127.0.0.1' port 1 database 'shop': ");
    CU_ASSERT_PTR_NULL(strstr(e.msg, "pa55word"));
    CU_ASSERT_PTR_NULL(pg_conn(&c.db) ? NULL : "closed");    /* the struct stays closable */
    it_conn_close(&c);
    CU_ASSERT_EQUAL(it_conn_open(&c, "mysql://bob:pa55word@h/shop", &e), -1);
    CU_ASSERT_EQUAL(e.code, ERR_USAGE);
    CU_ASSERT_PTR_NULL(strstr(e.msg, "pa55word"));
    it_conn_close(&c);
}

static void test_pg_sqlalchemy_url_connects(void)
{
    struct it_conn c;
    struct err e = ERR_INIT;
    const char *base = getenv("DATABASE_URL");
    char url[IT_URL_SIZE];

    /* DATABASE_URL from dev-db is postgresql:///...: add a +driver */
    CU_ASSERT_FATAL(strncmp(base, "postgresql://", 13) == 0);
    snprintf(url, sizeof(url), "postgresql+psycopg2://%s", base + 13);
    CU_ASSERT_EQUAL(it_conn_open(&c, url, &e), 0);
    CU_ASSERT_EQUAL(pg_exec(&c.db, "SELECT 1", &e), 0);
    it_conn_close(&c);
}

/* A server that accepts the TCP connection and never answers: libpq
 * ignores connect_timeout under PQconnectPoll, the loop's timer must not. */
static void test_pg_connect_timeout_is_enforced_by_the_loop(void)
{
    struct sockaddr_in sa = { 0 };
    socklen_t len = sizeof(sa);
    struct it_conn c;
    struct err e = ERR_INIT;
    char url[128];
    uint64_t t0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    CU_ASSERT_FATAL(fd >= 0);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    CU_ASSERT_FATAL(listen(fd, 4) == 0);
    CU_ASSERT_FATAL(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
    snprintf(url, sizeof(url), "host=127.0.0.1 port=%d connect_timeout=1 sslmode=disable",
             ntohs(sa.sin_port));
    t0 = uv_hrtime();
    CU_ASSERT_EQUAL(it_conn_open(&c, url, &e), -1);
    HAS(e.msg, "timeout expired");
    HAS(e.msg, "host '127.0.0.1'");
    CU_ASSERT((uv_hrtime() - t0) / 1000000 >= 900);
    CU_ASSERT((uv_hrtime() - t0) / 1000000 < 5000);
    it_conn_close(&c);
    close(fd);
}

CU_TestInfo pg_tests[] = {
    { "connect timeout is enforced by the loop", test_pg_connect_timeout_is_enforced_by_the_loop },
    { "script runs every statement", test_pg_script_runs_every_statement },
    { "first error names statement and position", test_pg_first_error_names_statement_and_position },
    { "connect error hides the password", test_pg_connect_error_hides_password },
    { "sqlalchemy url connects", test_pg_sqlalchemy_url_connects },
    CU_TEST_INFO_NULL,
};
