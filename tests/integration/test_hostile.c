/* test_hostile.c -- plugins that kill the runner in the middle of a step:
 * exit() from upgrade(), SIGSEGV, abort().  The runner process dies, so it
 * runs as a child; the server rolls back the transaction when the
 * connection goes, so the database must stay at the last committed
 * revision, and the next run (with the plugin fixed) must continue from
 * there. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "itrust.h"

#define HAS(hay, needle) CU_ASSERT_PTR_NOT_NULL(strstr((hay), (needle)))

static struct it_run run;       /* big buffers: static, reused by each test in turn */

#define RUN(p, url, ...) it_project_run(&run, (p), (url), (const char *const[]){ __VA_ARGS__, NULL })

/* h1 (fine) <- h2 (creates its table, then `die`) <- h3 (fine) */
static void killed_in_upgrade(const char *db, const char *die)
{
    struct it_project p;
    char url[IT_URL_SIZE], body[512], out[256];

    CU_ASSERT_FATAL(it_db_create(db, url, sizeof(url)) == 0);
    CU_ASSERT_FATAL(it_project_new(&p) == 0);
    snprintf(body, sizeof(body),
             "    if (op_execute(op, \"CREATE TABLE trust_h2 (id integer)\") != 0)\n"
             "        return 1;\n"
             "    %s\n"
             "    return 0;\n", die);
    CU_ASSERT_FATAL(it_project_rev(&p, "h1", NULL, NULL) == 0);
    CU_ASSERT_FATAL(it_project_rev(&p, "h2", "h1", body) == 0);
    CU_ASSERT_FATAL(it_project_rev(&p, "h3", "h2", NULL) == 0);
    CU_ASSERT_EQUAL_FATAL(RUN(&p, url, "build"), 0);

    CU_ASSERT_NOT_EQUAL(RUN(&p, url, "upgrade", "head"), 0);
    HAS(run.err, "Running upgrade  -> h1");
    /* h1 committed; h2's table and version row died with the connection */
    it_check_versions(url, "h1");
    CU_ASSERT_EQUAL(it_tables(url, "trust_h1"), 1);
    CU_ASSERT_EQUAL(it_tables(url, "trust_h2"), 0);
    it_query(url, "SELECT string_agg(revision || ':' || direction || ':' || success::text, ' ' "
                  "ORDER BY id) FROM runner_history WHERE direction <> 'run'", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "h1:upgrade:true");
    /* the run's marker was committed before the first step and never finished */
    it_query(url, "SELECT string_agg(revision || ':' || duration_ms, ' ' ORDER BY id) "
                  "FROM runner_history WHERE direction = 'run'", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "base:-1");

    /* the next run with the plugin unchanged says the last one died, then
     * dies the same way, changing nothing */
    CU_ASSERT_NOT_EQUAL(RUN(&p, url, "upgrade", "head"), 0);
    HAS(run.err, "did not finish: it was killed or crashed");
    /* the line is written when a step has finished: this one never did */
    CU_ASSERT_PTR_NULL(strstr(run.err, "Running upgrade h1 -> h2"));
    it_check_versions(url, "h1");
    CU_ASSERT_EQUAL(RUN(&p, url, "current"), 0);
    CU_ASSERT_STRING_EQUAL(run.out, "h1\n");

    /* fixed: the next run reports where it stands and continues from h1 */
    CU_ASSERT_FATAL(it_project_rev(&p, "h2", "h1", NULL) == 0);
    CU_ASSERT_EQUAL_FATAL(RUN(&p, url, "build", "--force"), 0);
    CU_ASSERT_EQUAL(RUN(&p, url, "upgrade", "head"), 0);
    HAS(run.err, "did not finish: it was killed or crashed");
    HAS(run.err, "(at revision 'h1')");
    HAS(run.err, "Running upgrade h1 -> h2");
    HAS(run.err, "Running upgrade h2 -> h3");
    it_check_versions(url, "h3");
    /* two markers closed as died, ours finished */
    it_query(url, "SELECT string_agg(revision || ':' || duration_ms::text || ':' || success::text, "
                  "' ' ORDER BY id) FROM runner_history WHERE direction = 'run' "
                  "AND duration_ms < 0", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "base:-2:false h1:-2:false");
    CU_ASSERT_EQUAL(RUN(&p, url, "upgrade", "head"), 0);
    CU_ASSERT_PTR_NULL(strstr(run.err, "did not finish"));
    CU_ASSERT_EQUAL(it_tables(url, "trust_h_"), 3);
    CU_ASSERT_EQUAL(RUN(&p, url, "validate"), 0);
    it_project_remove(&p);
}

static void test_exit_in_upgrade(void)
{
    killed_in_upgrade("it_hostile_exit", "exit(3);");
    CU_ASSERT_EQUAL(run.status, 0);     /* the last run, fixed */
}

static void test_segv_in_upgrade(void)
{
    killed_in_upgrade("it_hostile_segv", "raise(SIGSEGV);");
}

static void test_abort_in_upgrade(void)
{
    killed_in_upgrade("it_hostile_abort", "abort();");
}

/* A crash in a revision that runs outside a transaction: what it already
 * ran stays, the version table does not move. */
static void test_crash_outside_transaction(void)
{
    struct it_project p;
    char url[IT_URL_SIZE];

    CU_ASSERT_FATAL(it_db_create("it_hostile_notx", url, sizeof(url)) == 0);
    CU_ASSERT_FATAL(it_project_new(&p) == 0);
    CU_ASSERT_FATAL(it_project_rev(&p, "n1", NULL, NULL) == 0);
    CU_ASSERT_FATAL(it_project_write(&p, "n2.c",
        "#include <stdlib.h>\n"
        "#include <runner/plugin.h>\n"
        "RUNNER_REVISION(.revision = \"n2\", .down_revision = RUNNER_REVS(\"n1\"),\n"
        "                .flags = RUNNER_NO_TRANSACTION);\n"
        "int upgrade(runner_op *op)\n{\n"
        "    if (op_execute(op, \"CREATE TABLE trust_n2 (id integer)\") != 0)\n"
        "        return 1;\n"
        "    abort();\n}\n"
        "int downgrade(runner_op *op)\n{\n"
        "    return op_execute(op, \"DROP TABLE trust_n2\");\n}\n") == 0);
    CU_ASSERT_EQUAL_FATAL(RUN(&p, url, "build"), 0);
    CU_ASSERT_NOT_EQUAL(RUN(&p, url, "upgrade", "head"), 0);
    it_check_versions(url, "n1");
    CU_ASSERT_EQUAL(it_tables(url, "trust_n2"), 1);     /* autocommit: it stays */
    it_project_remove(&p);
}

CU_TestInfo hostile_tests[] = {
    { "a plugin calling exit() in upgrade", test_exit_in_upgrade },
    { "a plugin crashing with SIGSEGV in upgrade", test_segv_in_upgrade },
    { "a plugin calling abort() in upgrade", test_abort_in_upgrade },
    { "a crash in a revision outside a transaction", test_crash_outside_transaction },
    CU_TEST_INFO_NULL,
};
