/* test_lint.c -- `runner lint` as a user runs it: the advice follows the
 * version of the server named by --url (issue 15.3), else --pg-version;
 * compiler-style lines and exit 1 on an error-level finding; --json.
 * The revisions are tests/plugins/lint/project. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

#define HAS(hay, needle) CU_ASSERT_PTR_NOT_NULL(strstr((hay), (needle)))

static struct it_run run;       /* big buffers: static, reused by each test in turn */

static void show(void)
{
    fprintf(stderr, "\nrunner lint exited %d:\n%s%s\n", run.status, run.out, run.err);
}

static void test_lint_takes_the_server_version_from_the_database(void)
{
    char url[IT_URL_SIZE], num[64], want[128];
    int v;

    CU_ASSERT_FATAL(it_db_create("it_lint_version", url, sizeof(url)) == 0);
    CU_ASSERT_FATAL(it_query(url, "SHOW server_version_num", num, sizeof(num)) == 0);
    v = atoi(num);
    snprintf(want, sizeof(want), "linted for PostgreSQL %d.%d:", v / 10000, v % 10000);
    /* --pg-version loses against the database's own version */
    CU_ASSERT_EQUAL(it_run(&run, (const char *const[]){ "--dir", LINT_PLUGINS,
                                                        "--url", url, "lint", "--pg-version",
                                                        "10", NULL }, 0), 1);
    HAS(run.out, want);
    HAS(run.out, "/a1000002_index_users.so:1: create-index-not-concurrently: error: index "
                 "\"ix_users_nickname\" is built on the existing table \"users\": ");
    HAS(run.out, "/a1000003_drop_nickname.so:3: drop-column: allowed by the metadata's "
                 "lint_allow: column \"nickname\" is dropped from \"users\"");
    HAS(run.err, "runner: error: lint found 1 error");
    if (!strstr(run.out, want))
        show();
}

static void test_lint_offline_uses_pg_version_else_the_default(void)
{
    CU_ASSERT_EQUAL(it_run(&run, (const char *const[]){ "--dir", LINT_PLUGINS,
                                                        "lint", "--pg-version", "11", "--json",
                                                        NULL }, IT_RUN_NO_DATABASE_URL), 1);
    /* no sources here: the comment that silences a1000002's lock timeout
     * warning is not seen, the metadata's lint_allow is */
    HAS(run.out, "{\"pg_version\":110000,\"revisions\":4,\"errors\":1,\"warnings\":1,"
                 "\"silenced\":1,\"findings\":[");
    HAS(run.out, "\"rule\":\"create-index-not-concurrently\",\"level\":\"error\"");
    CU_ASSERT_EQUAL(it_run(&run, (const char *const[]){ "--dir", LINT_PLUGINS,
                                                        "lint", "-r", "a1000002:", NULL },
                           IT_RUN_NO_DATABASE_URL), 0);
    HAS(run.out, "2 revisions linted for PostgreSQL 15.0: 0 errors, 0 warnings, 1 silenced");
    CU_ASSERT_EQUAL(it_run(&run, (const char *const[]){ "--dir", LINT_PLUGINS,
                                                        "lint", "--pg-version", "eleven", NULL },
                           IT_RUN_NO_DATABASE_URL), 2);
    HAS(run.err, "--pg-version wants a PostgreSQL version such as 12 or 15.4, not 'eleven'");
}

/* --rules lists every rule, one line each, without a project or a database */
static void test_lint_rules_lists_each_rule_once(void)
{
    size_t lines = 0;

    CU_ASSERT_EQUAL(it_run(&run, (const char *const[]){ "--dir", "/nonexistent", "lint",
                                                        "--rules", NULL },
                           IT_RUN_NO_DATABASE_URL), 0);
    for (const char *p = run.out; *p; p++)
        lines += *p == '\n';
    CU_ASSERT_EQUAL(lines, 18);
    HAS(run.out, "set-not-null (error): SET NOT NULL scans the whole table under an ACCESS "
                 "EXCLUSIVE lock; instead: ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID");
    HAS(run.out, "\ndrop-column (warning): ");
    CU_ASSERT_STRING_EQUAL(run.err, "");
    if (lines != 18)
        show();
}

CU_TestInfo lint_tests[] = {
    { "test_lint_rules_lists_each_rule_once", test_lint_rules_lists_each_rule_once },
    { "test_lint_takes_the_server_version_from_the_database",
      test_lint_takes_the_server_version_from_the_database },
    { "test_lint_offline_uses_pg_version_else_the_default",
      test_lint_offline_uses_pg_version_else_the_default },
    CU_TEST_INFO_NULL,
};
