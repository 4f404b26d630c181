/* test_errors.c -- what the user sees of a failure: PostgreSQL's DETAIL,
 * HINT and CONTEXT kept apart in struct err, and connection errors shown
 * as the server wrote them (no text searched for the password, so a role
 * named like its password keeps its name). */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "itest.h"
#include "pg.h"

#define HAS(hay, needle) CU_ASSERT_PTR_NOT_NULL(strstr((hay), (needle)))

static void test_errors_detail_hint_context_are_kept_apart(void)
{
    struct it_conn c;
    struct err e = ERR_INIT;
    char url[IT_URL_SIZE];

    CU_ASSERT_FATAL(it_db_create("it_errors", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL_FATAL(it_conn_open(&c, url, &e), 0);
    CU_ASSERT_EQUAL(pg_exec(&c.db, "CREATE TABLE t (x int PRIMARY KEY); "
                                   "INSERT INTO t VALUES (1), (1)", &e), -1);
    HAS(e.msg, "duplicate key value violates unique constraint \"t_pkey\" (SQLSTATE 23505)");
    CU_ASSERT_STRING_EQUAL(e.detail, "Key (x)=(1) already exists.");
    CU_ASSERT_STRING_EQUAL(e.hint, "");
    CU_ASSERT_EQUAL(pg_exec(&c.db, "SELECT no_such_function(1)", &e), -1);
    HAS(e.hint, "No function matches the given name and argument types.");
    CU_ASSERT_EQUAL(e.position, 8);
    CU_ASSERT_EQUAL(pg_exec(&c.db, "DO $$BEGIN RAISE EXCEPTION 'boom' USING DETAIL = 'why', "
                                   "HINT = 'fix'; END$$", &e), -1);
    HAS(e.msg, "boom (SQLSTATE P0001)");
    CU_ASSERT_STRING_EQUAL(e.detail, "why");
    CU_ASSERT_STRING_EQUAL(e.hint, "fix");
    HAS(e.context, "PL/pgSQL function inline_code_block line 1 at RAISE");
    /* the next error starts clean */
    CU_ASSERT_EQUAL(pg_exec(&c.db, "SELECT 1/0", &e), -1);
    CU_ASSERT_STRING_EQUAL(e.detail, "");
    CU_ASSERT_STRING_EQUAL(e.context, "");
    it_conn_close(&c);
}

/* The old masking replaced the password wherever it occurred in a
 * message: with password "app", role "app" read role "***". */
static void test_errors_role_named_like_its_password_keeps_its_name(void)
{
    struct it_conn c;
    struct err e = ERR_INIT;
    struct it_run r;
    char url[IT_URL_SIZE];
    char bad[IT_URL_SIZE + 64];

    CU_ASSERT_FATAL(it_db_create("it_errors_role", url, sizeof(url)) == 0);
    snprintf(bad, sizeof(bad), "%s user=app password=app", url);
    CU_ASSERT_EQUAL(it_conn_open(&c, bad, &e), -1);
    HAS(e.msg, "role \"app\" does not exist");
    CU_ASSERT_PTR_NULL(strstr(e.msg, "***"));
    it_conn_close(&c);
    it_runner(&r, "linear", bad, "current");
    CU_ASSERT_EQUAL(r.status, 1);
    HAS(r.err, "role \"app\" does not exist");
    HAS(r.err, "process list");         /* the --url password warning */
}

CU_TestInfo errors_tests[] = {
    { "DETAIL, HINT and CONTEXT are kept apart", test_errors_detail_hint_context_are_kept_apart },
    { "a role named like its password keeps its name",
      test_errors_role_named_like_its_password_keeps_its_name },
    CU_TEST_INFO_NULL,
};
