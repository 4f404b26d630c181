/* test_steps.c -- the step executor's round trips (steps.c, pg.c's lead
 * and trail): a revision's BEGIN rides with its first statement and its
 * COMMIT with the version row, and the errors still say which statement
 * failed; the version statement prepared once; the session lock's pooler
 * probe without a second connection on a direct one.  Scenarios are
 * tests/plugins/exec (see rev.c there). */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "itest.h"

#define HAS(hay, needle) CU_ASSERT_PTR_NOT_NULL(strstr((hay), (needle)))

static struct it_run run;       /* big buffers: static, reused by each test in turn */

/* The first statement of p2's script shares its message with the BEGIN:
 * the error still names that statement and the position in it. */
static void test_error_in_first_statement_names_it_not_begin(void)
{
    char url[IT_URL_SIZE], out[256];

    CU_ASSERT_FATAL(it_db_create("it_first_fail", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(it_runner(&run, "first_fail", url, "upgrade head"), 1);
    HAS(run.err, "runner: error: revision p2 (");
    HAS(run.err, "p2_exec_p2.so): op_execute: relation \"exec_first_missing\" does not exist "
                 "(SQLSTATE 42P01) at character 16 of statement "
                 "\"SELECT id FROM exec_first_missing\"\n");
    it_check_versions(url, "p1");
    CU_ASSERT_EQUAL(it_tables(url, "exec_p2"), 0);
    it_query(url, "SELECT string_agg(revision || ':' || success::text, ' ' ORDER BY id) "
                  "FROM runner_history WHERE direction <> 'run'", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "p1:true p2:false");
}

/* d2's deferred unique constraint fails at COMMIT, which travels with the
 * version row: reported as the commit, and nothing of d2 stays. */
static void test_failing_commit_is_reported_as_commit_version_unchanged(void)
{
    char url[IT_URL_SIZE], out[256];

    CU_ASSERT_FATAL(it_db_create("it_deferred", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(it_runner(&run, "deferred", url, "upgrade head"), 1);
    HAS(run.err, "runner: error: revision d2 (");
    HAS(run.err, "d2_exec_d2.so): commit: duplicate key value violates unique constraint "
                 "\"exec_d2_u\" (SQLSTATE 23505) in statement \"COMMIT\"");
    it_check_versions(url, "d1");
    CU_ASSERT_EQUAL(it_tables(url, "exec_d2"), 0);
    it_query(url, "SELECT string_agg(revision || ':' || success::text, ' ' ORDER BY id) "
                  "FROM runner_history WHERE direction <> 'run'", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "d1:true d2:false");
    /* the connection is usable after the failed COMMIT: the run's marker closed */
    it_query(url, "SELECT count(*) FROM runner_history WHERE direction = 'run' AND "
                  "duration_ms < 0", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "0");
}

/* Under the session lock (no transaction pooler: its probe says so) the
 * version statement is prepared once per session and reused; in the
 * other lock modes (a pooler may hand each transaction to another server
 * session) nothing stays prepared. */
static void test_version_statement_prepared_only_under_session_lock(void)
{
    char url[IT_URL_SIZE], out[256];

    CU_ASSERT_FATAL(it_db_create("it_prepared", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(it_runner(&run, "prepared", url, "upgrade head"), 0);
    it_check_versions(url, "q3");
    /* q1's insert of the first row and q2's update, each once */
    it_query(url, "SELECT string_agg(substr(statement, 1, 21), ', ' ORDER BY statement) "
                  "FROM exec_q3", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "WITH added AS (INSERT, WITH moved AS (UPDATE");
    CU_ASSERT_FATAL(it_db_create("it_prepared", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(it_runner(&run, "prepared", url, "upgrade head --lock-mode table"), 0);
    it_check_versions(url, "q3");
    it_query(url, "SELECT count(*) FROM exec_q3", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "0");
}

/* A revision that runs DEALLOCATE ALL drops the session's prepared
 * statements, the version statement among them: the next revision's
 * version row still moves (the statement is prepared again). */
static void test_deallocate_all_in_a_revision_does_not_break_the_next(void)
{
    char url[IT_URL_SIZE];
    int st;

    CU_ASSERT_FATAL(it_db_create("it_dealloc", url, sizeof(url)) == 0);
    st = it_runner(&run, "dealloc", url, "upgrade head");
    CU_ASSERT_EQUAL(st, 0);
    if (st != 0)
        fprintf(stderr, "\n%s", run.err);
    it_check_versions(url, "k4");
    CU_ASSERT_EQUAL(it_tables(url, "exec_k4"), 1);
}

/* A revision that releases the session's advisory locks (its own
 * housekeeping: pg_advisory_unlock_all(), DISCARD ALL) releases the
 * migration lock too, and another runner could start: the run stops
 * before it records the revision.  In a transaction the revision is
 * rolled back; outside one its statements ran, and the error says so. */
static void test_revision_releasing_the_lock_stops_the_run(void)
{
    char url[IT_URL_SIZE];

    CU_ASSERT_FATAL(it_db_create("it_unlock", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(it_runner(&run, "unlock", url, "upgrade head"), 1);
    HAS(run.err, "runner: error: revision u2 (");
    HAS(run.err, "u2_exec_u2.so): it released the migration lock on public.alembic_version "
                 "(pg_advisory_unlock_all() or DISCARD ALL), so another runner may have "
                 "started\n");
    it_check_versions(url, "u1");
    CU_ASSERT_EQUAL(it_tables(url, "exec_u2"), 0);
    CU_ASSERT_EQUAL(it_tables(url, "exec_u3"), 0);

    CU_ASSERT_FATAL(it_db_create("it_unlock_notx", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(it_runner(&run, "unlock_notx", url, "upgrade head"), 1);
    HAS(run.err, "v2_exec_v2.so): it released the migration lock on public.alembic_version "
                 "(pg_advisory_unlock_all() or DISCARD ALL), so another runner may have "
                 "started (the revision runs outside a transaction: statements before the "
                 "failure stay applied, the version table is unchanged)\n");
    it_check_versions(url, "v1");
    CU_ASSERT_EQUAL(it_tables(url, "exec_v3"), 0);

    CU_ASSERT_FATAL(it_db_create("it_discard", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(it_runner(&run, "discard", url, "upgrade head"), 1);
    HAS(run.err, "w2_exec_w2.so): it released the migration lock on public.alembic_version");
    it_check_versions(url, "w1");
    CU_ASSERT_EQUAL(it_tables(url, "exec_w3"), 0);

    /* through op_pgconn(), where runner does not see the SQL */
    CU_ASSERT_FATAL(it_db_create("it_raw_unlock", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(it_runner(&run, "raw_unlock", url, "upgrade head"), 1);
    HAS(run.err, "x2_exec_x2.so): it released the migration lock on public.alembic_version");
    it_check_versions(url, "x1");
    CU_ASSERT_EQUAL(it_tables(url, "exec_x2"), 0);
}

/* Every revision starts with the search_path the session was configured
 * with (here the database's: app): s1's SET search_path = public is its
 * own, and s2 and s3 (outside a transaction) still create their tables
 * in app, as they would in a run of their own. */
static void test_revision_setting_search_path_does_not_move_the_next(void)
{
    char url[IT_URL_SIZE], got[128];
    int st;

    CU_ASSERT_FATAL(it_db_create("it_setpath", url, sizeof(url)) == 0);
    CU_ASSERT_FATAL(it_exec(url, "CREATE SCHEMA app") == 0);
    CU_ASSERT_FATAL(it_exec(url, "ALTER DATABASE it_setpath SET search_path = app") == 0);
    st = it_runner(&run, "setpath", url, "upgrade head");
    CU_ASSERT_EQUAL(st, 0);
    if (st != 0)
        fprintf(stderr, "\n%s", run.err);
    CU_ASSERT_FATAL(it_query(url, "SELECT string_agg(schemaname || '.' || tablename, ' ' "
                                  "ORDER BY tablename) FROM pg_tables WHERE tablename "
                                  "LIKE 'exec\\_s%' OR tablename = 'alembic_version'", got,
                             sizeof(got)) == 0);
    CU_ASSERT_STRING_EQUAL(got, "app.alembic_version app.exec_s2 app.exec_s3");
}

/* The session lock's pooler probe: on a direct connection the server
 * process answering is the one the connection started with, so no second
 * connection is opened; a role allowed one connection can migrate. */
static void test_session_lock_on_direct_connection_needs_one_connection(void)
{
    char url[IT_URL_SIZE], one[IT_URL_SIZE + 32];
    int st;

    CU_ASSERT_FATAL(it_db_create("it_onecon", url, sizeof(url)) == 0);
    CU_ASSERT_FATAL(it_exec(url, "DROP ROLE IF EXISTS it_one") == 0);
    CU_ASSERT_FATAL(it_exec(url, "CREATE ROLE it_one LOGIN CONNECTION LIMIT 1") == 0);
    CU_ASSERT_FATAL(it_exec(url, "ALTER DATABASE it_onecon OWNER TO it_one") == 0);
    snprintf(one, sizeof(one), "%s user=it_one", url);
    st = it_runner(&run, "linear", one, "upgrade head");
    CU_ASSERT_EQUAL(st, 0);
    if (st != 0)
        fprintf(stderr, "\n%s", run.err);
    it_check_versions(url, "l5");
}

CU_TestInfo steps_tests[] = {
    { "error in first statement names it, not BEGIN",
      test_error_in_first_statement_names_it_not_begin },
    { "failing commit is reported as commit, version unchanged",
      test_failing_commit_is_reported_as_commit_version_unchanged },
    { "version statement prepared only under the session lock",
      test_version_statement_prepared_only_under_session_lock },
    { "DEALLOCATE ALL in a revision does not break the next",
      test_deallocate_all_in_a_revision_does_not_break_the_next },
    { "a revision releasing the lock stops the run",
      test_revision_releasing_the_lock_stops_the_run },
    { "a revision setting search_path does not move the next",
      test_revision_setting_search_path_does_not_move_the_next },
    { "session lock on a direct connection needs one connection",
      test_session_lock_on_direct_connection_needs_one_connection },
    CU_TEST_INFO_NULL,
};
