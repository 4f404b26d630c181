/* test_migrate.c -- upgrade, downgrade, stamp, current and --sql against a
 * real PostgreSQL, through the real runner binary; the database is checked
 * with plain libpq.  Scenarios are tests/plugins/exec (see rev.c there). */
#include <CUnit/CUnit.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli.h"
#include "itest.h"
#include "version_session.h"

#define HAS(hay, needle) CU_ASSERT_PTR_NOT_NULL(strstr((hay), (needle)))
#define HAS_NOT(hay, needle) CU_ASSERT_PTR_NULL(strstr((hay), (needle)))

static struct it_run run;       /* big buffers: static, reused by each test in turn */

static int runner_ok(const char *scenario, const char *url, const char *args)
{
    int st = it_runner(&run, scenario, url, args);

    if (st != 0)
        fprintf(stderr, "\nrunner %s exited %d:\n%s%s\n", args, st, run.out, run.err);
    return st;
}

static void test_linear_upgrade_then_downgrade(void)
{
    char url[IT_URL_SIZE], out[256];

    CU_ASSERT_FATAL(it_db_create("it_linear", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(runner_ok("linear", url, "upgrade head"), 0);
    HAS(run.err, "Running upgrade  -> l1, Create exec_l1 (");
    HAS(run.err, "Running upgrade l4 -> l5, Create exec_l5 (");
    it_check_versions(url, "l5");
    CU_ASSERT_EQUAL(it_tables(url, "exec_l_"), 5);
    it_query(url, "SELECT string_agg(revision || ':' || direction || ':' || success::text, ' ' "
                  "ORDER BY id) FROM runner_history WHERE direction <> 'run'", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "l1:upgrade:true l2:upgrade:true l3:upgrade:true "
                                "l4:upgrade:true l5:upgrade:true");
    it_query(url, "SELECT count(*) FROM runner_history WHERE length(checksum) = 64 AND "
                  "db_user = current_user AND runner_version <> '' AND duration_ms >= 0",
             out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "5");

    CU_ASSERT_EQUAL(runner_ok("linear", url, "current"), 0);
    CU_ASSERT_STRING_EQUAL(run.out, "l5 (head)\n");

    /* nothing to do: no step, no change */
    CU_ASSERT_EQUAL(runner_ok("linear", url, "upgrade head"), 0);
    HAS_NOT(run.err, "Running");

    CU_ASSERT_EQUAL(runner_ok("linear", url, "downgrade -2"), 0);
    HAS(run.err, "Running downgrade l5 -> l4, Create exec_l5 (");
    HAS(run.err, "Running downgrade l4 -> l3, Create exec_l4 (");
    it_check_versions(url, "l3");
    CU_ASSERT_EQUAL(it_tables(url, "exec_l_"), 3);

    /* the wrong direction: alembic's error, nothing changes */
    CU_ASSERT_EQUAL(it_runner(&run, "linear", url, "downgrade l5"), 1);
    HAS(run.err, "runner: error: Destination l5 is not a valid downgrade target from current "
                 "head(s)");
    it_check_versions(url, "l3");

    CU_ASSERT_EQUAL(runner_ok("linear", url, "downgrade base"), 0);
    HAS(run.err, "Running downgrade l1 -> , Create exec_l1 (");
    it_check_versions(url, "");
    CU_ASSERT_EQUAL(it_tables(url, "exec_l_"), 0);
    CU_ASSERT_EQUAL(runner_ok("linear", url, "current"), 0);
    CU_ASSERT_STRING_EQUAL(run.out, "");
}

/* Expected rows: what Alembic 1.8 leaves in alembic_version after the same
 * commands on the same graph (a1 -> b2, a1 -> c3, (b2, c3) -> d4 -> e5). */
static void test_branches_and_merges_match_alembic(void)
{
    static const struct {
        const char *args;
        const char *rows;
    } seq[] = {
        { "upgrade b2", "b2" },
        { "upgrade c3", "b2,c3" },
        { "upgrade heads", "e5" },
        { "downgrade d4", "d4" },
        { "downgrade c3", "b2,c3" },
        { "upgrade b2", "b2,c3" },
        { "downgrade a1", "a1" },
        { "upgrade heads", "e5" },
        { "downgrade base", "" },
        { "upgrade e5", "e5" },
        { "downgrade b2", "b2,c3" },
        { "downgrade -1", "c3" },
        { "stamp c3", "c3" },
        { "stamp b2", "b2,c3" },
        { "stamp heads", "e5" },
        { "stamp a1", "a1" },
        { "stamp --purge c3", "c3" },
        { "stamp base", "" },
    };
    char url[IT_URL_SIZE];

    CU_ASSERT_FATAL(it_db_create("it_branches", url, sizeof(url)) == 0);
    for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
        char got[256];

        CU_ASSERT_EQUAL(runner_ok("branches", url, seq[i].args), 0);
        it_versions(url, got, sizeof(got));
        CU_ASSERT_STRING_EQUAL(got, seq[i].rows);
        if (strcmp(got, seq[i].rows) != 0)
            fprintf(stderr, "\nafter '%s': version table '%s', alembic leaves '%s'\n",
                    seq[i].args, got, seq[i].rows);
    }
}

static void test_merge_logs_like_alembic_and_tables_follow(void)
{
    char url[IT_URL_SIZE];

    CU_ASSERT_FATAL(it_db_create("it_merge", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(runner_ok("branches", url, "upgrade heads"), 0);
    HAS(run.err, "Running upgrade b2, c3 -> d4, Merge into d4 (");
    CU_ASSERT_EQUAL(it_tables(url, "exec_%"), 4);     /* a1 b2 c3 e5; d4 is empty */
    CU_ASSERT_EQUAL(runner_ok("branches", url, "current"), 0);
    CU_ASSERT_STRING_EQUAL(run.out, "e5 (head)\n");
    CU_ASSERT_EQUAL(runner_ok("branches", url, "downgrade d4"), 0);
    HAS(run.err, "Running downgrade e5 -> d4, Create exec_e5 (");
    CU_ASSERT_EQUAL(runner_ok("branches", url, "downgrade a1"), 0);
    HAS(run.err, "Running downgrade d4 -> b2, c3, Merge into d4 (");
    CU_ASSERT_EQUAL(it_tables(url, "exec_%"), 1);
}

static void test_failure_in_the_middle_leaves_revision_two(void)
{
    char url[IT_URL_SIZE], out[256];

    CU_ASSERT_FATAL(it_db_create("it_fail", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(it_runner(&run, "fail", url, "upgrade head"), 1);
    /* one line naming revision, file, SQLSTATE, message and statement */
    HAS(run.err, "runner: error: revision f3 (");
    HAS(run.err, "f3_exec_f3.so): op_execute: relation \"exec_missing\" does not exist "
                 "(SQLSTATE 42P01) at character 13 of statement "
                 "\"INSERT INTO exec_missing VALUES (1)\"");
    HAS(run.err, "Running upgrade f1 -> f2, Create exec_f2 (");
    HAS_NOT(run.err, "Running upgrade f2 -> f3");
    it_check_versions(url, "f2");
    CU_ASSERT_EQUAL(it_tables(url, "exec_f1"), 1);
    CU_ASSERT_EQUAL(it_tables(url, "exec_f2"), 1);
    CU_ASSERT_EQUAL(it_tables(url, "exec_f3"), 0);     /* created, then rolled back */
    CU_ASSERT_EQUAL(it_tables(url, "exec_f4"), 0);
    it_query(url, "SELECT string_agg(revision || ':' || success::text, ' ' ORDER BY id) "
                  "FROM runner_history WHERE direction <> 'run'", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "f1:true f2:true f3:false");

    /* a rerun fails the same way and changes nothing */
    CU_ASSERT_EQUAL(it_runner(&run, "fail", url, "upgrade head"), 1);
    it_check_versions(url, "f2");
}

static void test_single_transaction_failure_applies_nothing(void)
{
    char url[IT_URL_SIZE];

    CU_ASSERT_FATAL(it_db_create("it_single", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(it_runner(&run, "fail", url, "upgrade --single-transaction head"), 1);
    HAS(run.err, "(SQLSTATE 42P01)");
    it_check_versions(url, "-");          /* even the version table was rolled back */
    CU_ASSERT_EQUAL(it_tables(url, "exec_f%"), 0);

    CU_ASSERT_EQUAL(runner_ok("fail", url, "upgrade f2 --single-transaction"), 0);
    it_check_versions(url, "f2");
    CU_ASSERT_EQUAL(it_tables(url, "exec_f%"), 2);
}

static void test_upgrade_returning_nonzero_is_an_error(void)
{
    char url[IT_URL_SIZE];

    CU_ASSERT_FATAL(it_db_create("it_retcode", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(it_runner(&run, "retcode", url, "upgrade head"), 1);
    HAS(run.err, "runner: error: revision r2 (");
    HAS(run.err, "r2_exec_r2.so): upgrade returned 7\n");
    it_check_versions(url, "r1");
}

/* alembic's HeadMaintainer checks the rowcount of each version update */
static void test_version_update_matching_no_row_is_rolled_back(void)
{
    char url[IT_URL_SIZE];

    CU_ASSERT_FATAL(it_db_create("it_tamper", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(it_runner(&run, "tamper", url, "upgrade head"), 1);
    HAS(run.err, "runner: error: revision t2 (");
    HAS(run.err, "t2_exec_t2.so): Online migration expected to match one row when updating "
                 "'t1' to 't2' in 'alembic_version'; 0 found\n");
    it_check_versions(url, "t1");
}

static void test_non_transactional_revision_creates_index_concurrently(void)
{
    char url[IT_URL_SIZE], out[256];

    CU_ASSERT_FATAL(it_db_create("it_notx", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(runner_ok("notx", url, "upgrade head"), 0);
    it_check_versions(url, "n3");
    it_query(url, "SELECT string_agg(c.relname || ':' || i.indisvalid::text, ' ' "
                  "ORDER BY c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                  "WHERE c.relname LIKE 'exec_ix_%'", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "exec_ix_a:true exec_ix_id_a:true");

    /* a run that would wrap it in one transaction is refused up front */
    CU_ASSERT_EQUAL(runner_ok("notx", url, "downgrade base"), 0);
    it_check_versions(url, "");
    CU_ASSERT_EQUAL(it_runner(&run, "notx", url, "upgrade head --single-transaction"), 2);
    HAS(run.err, "revision n2 (");
    HAS(run.err, "cannot be part of --single-transaction");
    it_check_versions(url, "");
    CU_ASSERT_EQUAL(it_tables(url, "exec_n%"), 0);
}

static void test_offline_non_transactional_revision_commits_around_it(void)
{
    CU_ASSERT_EQUAL(runner_ok("notx", NULL, "upgrade n1:n2 --sql"), 0);
    CU_ASSERT_STRING_EQUAL(run.out,
        "BEGIN;\n\n"
        "-- Running upgrade n1 -> n2\n\n"
        "COMMIT;\n\n"
        "CREATE INDEX CONCURRENTLY exec_ix_a ON exec_n1 (a);\n\n"
        "CREATE INDEX CONCURRENTLY exec_ix_id_a ON exec_n1 (id, a);\n\n"
        "BEGIN;\n\n"
        "UPDATE alembic_version SET version_num='n2' WHERE alembic_version.version_num = 'n1';\n\n"
        "COMMIT;\n\n");
    HAS(run.err, "Running upgrade n1 -> n2, Create exec_n1");
}

static void test_concurrently_in_one_script_is_refused_and_version_kept(void)
{
    char url[IT_URL_SIZE], out[64];

    CU_ASSERT_FATAL(it_db_create("it_notx_script", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(it_runner(&run, "notx_script", url, "upgrade head"), 1);
    HAS(run.err, "CREATE INDEX CONCURRENTLY cannot run inside a transaction block "
                 "(SQLSTATE 25001)");
    HAS(run.err, "revision s2 (");
    HAS(run.err, "runs outside a transaction");
    it_check_versions(url, "s1");
    it_query(url, "SELECT count(*) FROM pg_class WHERE relname LIKE 'exec_ix_%'", out,
             sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "0");
}

static void test_stamp_and_purge(void)
{
    char url[IT_URL_SIZE];

    CU_ASSERT_FATAL(it_db_create("it_stamp", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(runner_ok("linear", url, "stamp l3"), 0);
    HAS(run.err, "Running stamp_revision  -> l3");
    it_check_versions(url, "l3");
    CU_ASSERT_EQUAL(it_tables(url, "exec_l_"), 0);     /* no revision ran */
    CU_ASSERT_EQUAL(runner_ok("linear", url, "current"), 0);
    CU_ASSERT_STRING_EQUAL(run.out, "l3\n");
    CU_ASSERT_EQUAL(runner_ok("linear", url, "upgrade head"), 0);
    HAS_NOT(run.err, "-> l3,");
    HAS(run.err, "Running upgrade l3 -> l4");
    CU_ASSERT_EQUAL(it_tables(url, "exec_l_"), 2);
    it_check_versions(url, "l5");

    /* an id no plugin has: stamp refuses, --purge recovers */
    CU_ASSERT_EQUAL(it_exec(url, "UPDATE alembic_version SET version_num = 'gone'"), 0);
    CU_ASSERT_EQUAL(it_runner(&run, "linear", url, "stamp l2"), 1);
    HAS(run.err, "Can't locate revision identified by 'gone'");
    CU_ASSERT_EQUAL(runner_ok("linear", url, "stamp --purge l2"), 0);
    it_check_versions(url, "l2");
    CU_ASSERT_EQUAL(runner_ok("linear", url, "stamp base"), 0);
    it_check_versions(url, "");
}

/* The --sql script, run on a fresh database, must leave it exactly as the
 * online run leaves another: same tables, same version table. */
static void test_offline_sql_equals_online_run(void)
{
    static const char *const tables =
        "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables "
        "WHERE schemaname = 'public' AND tablename <> 'runner_history'";
    char online[IT_URL_SIZE], offline[IT_URL_SIZE];
    char a[512], b[512];
    char *sql;

    CU_ASSERT_FATAL(it_db_create("it_online", online, sizeof(online)) == 0);
    CU_ASSERT_FATAL(it_db_create("it_offline", offline, sizeof(offline)) == 0);

    /* upgrade from base, offline without any database (unreachable url) */
    CU_ASSERT_EQUAL(runner_ok("branches", "postgresql://nobody@127.0.0.1:1/none",
                              "upgrade heads --sql"), 0);
    HAS(run.out, "BEGIN;\n\nCREATE TABLE alembic_version (\n"
                 "    version_num VARCHAR(32) NOT NULL, \n"
                 "    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n);\n\n"
                 "-- Running upgrade  -> a1\n\n");
    HAS(run.out, "INSERT INTO alembic_version (version_num) VALUES ('a1') "
                 "RETURNING alembic_version.version_num;\n\n");
    HAS(run.out, "-- Running upgrade b2, c3 -> d4\n\n"
                 "DELETE FROM alembic_version WHERE alembic_version.version_num = ");
    HAS(run.out, "COMMIT;\n\n");
    sql = strdup(run.out);
    CU_ASSERT_FATAL(sql != NULL);
    CU_ASSERT_EQUAL(it_exec(offline, sql), 0);
    free(sql);
    CU_ASSERT_EQUAL(runner_ok("branches", online, "upgrade heads"), 0);
    it_query(online, tables, a, sizeof(a));
    it_query(offline, tables, b, sizeof(b));
    CU_ASSERT_STRING_EQUAL(a, "alembic_version,exec_a1,exec_b2,exec_c3,exec_e5");
    CU_ASSERT_STRING_EQUAL(a, b);
    it_check_versions(online, "e5");
    it_check_versions(offline, "e5");

    /* and back down: a range is required, base drops the version table */
    CU_ASSERT_EQUAL(it_runner(&run, "branches", NULL, "downgrade base --sql"), 2);
    HAS(run.err, "downgrade with --sql requires <fromrev>:<torev>");
    CU_ASSERT_EQUAL(runner_ok("branches", NULL, "downgrade e5:base --sql"), 0);
    HAS(run.out, "DROP TABLE alembic_version;\n\nCOMMIT;\n\n");
    sql = strdup(run.out);
    CU_ASSERT_FATAL(sql != NULL);
    CU_ASSERT_EQUAL(it_exec(offline, sql), 0);
    free(sql);
    CU_ASSERT_EQUAL(runner_ok("branches", online, "downgrade base"), 0);
    it_query(online, tables, a, sizeof(a));
    it_query(offline, tables, b, sizeof(b));
    CU_ASSERT_STRING_EQUAL(a, "alembic_version");       /* online keeps the empty table */
    CU_ASSERT_STRING_EQUAL(b, "NULL");                  /* no table at all */
    it_check_versions(online, "");

    /* stamp --sql: exactly what alembic 1.8 prints for the same graph */
    CU_ASSERT_EQUAL(runner_ok("branches", NULL, "stamp b2:d4 --sql"), 0);
    CU_ASSERT_STRING_EQUAL(run.out,
        "BEGIN;\n\n"
        "-- Running stamp_revision b2 -> d4\n\n"
        "UPDATE alembic_version SET version_num='d4' WHERE alembic_version.version_num = 'b2';\n\n"
        "COMMIT;\n\n");
    CU_ASSERT_EQUAL(runner_ok("branches", NULL, "stamp heads --sql"), 0);
    HAS(run.out, "BEGIN;\n\nCREATE TABLE alembic_version (\n");
    HAS(run.out, "-- Running stamp_revision  -> e5\n\n"
                 "INSERT INTO alembic_version (version_num) VALUES ('e5') "
                 "RETURNING alembic_version.version_num;\n\nCOMMIT;\n\n");
    CU_ASSERT_EQUAL(it_runner(&run, "branches", NULL, "stamp --purge heads --sql"), 2);
    HAS(run.err, "Can't use --purge with --sql mode");

    /* a middle range: no CREATE TABLE, just the steps */
    CU_ASSERT_EQUAL(runner_ok("linear", NULL, "upgrade l2:l4 --sql"), 0);
    CU_ASSERT_STRING_EQUAL(run.out,
        "BEGIN;\n\n"
        "-- Running upgrade l2 -> l3\n\n"
        "CREATE TABLE exec_l3 (id integer PRIMARY KEY, a integer);\n\n"
        "UPDATE alembic_version SET version_num='l3' WHERE alembic_version.version_num = 'l2';\n\n"
        "-- Running upgrade l3 -> l4\n\n"
        "CREATE TABLE exec_l4 (id integer PRIMARY KEY, a integer);\n\n"
        "UPDATE alembic_version SET version_num='l4' WHERE alembic_version.version_num = 'l3';\n\n"
        "COMMIT;\n\n");
}

/* "postgresql+psycopg2://user@/db?host=/sock&port=N" for the database of url */
static void sqlalchemy_url(const char *url, char *out, size_t size)
{
    PQconninfoOption *opts = PQconninfoParse(url, NULL);
    const char *user = "", *db = "", *host = "", *port = "";

    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (!o->val)
            continue;
        if (strcmp(o->keyword, "user") == 0)
            user = o->val;
        else if (strcmp(o->keyword, "dbname") == 0)
            db = o->val;
        else if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "port") == 0)
            port = o->val;
    }
    snprintf(out, size, "postgresql+psycopg2://%s@/%s?host=%s&port=%s", user, db, host, port);
    PQconninfoFree(opts);
}

static void test_takeover_of_an_alembic_database(void)
{
    char url[IT_URL_SIZE], sa[IT_URL_SIZE], cmd[4096];
    int rc;

    CU_ASSERT_FATAL(it_db_create("it_takeover", url, sizeof(url)) == 0);
    sqlalchemy_url(url, sa, sizeof(sa));
    snprintf(cmd, sizeof(cmd), "'%s/integration/alembic-takeover.sh' '%s/alembic-project' '%s' "
             ">'%s/alembic.log' 2>&1", TEST_SOURCE_DIR, it_tmpdir(), sa, it_tmpdir());
    rc = system(cmd);
    if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
        /* no alembic here: its exact DDL and rows instead */
        CU_ASSERT_EQUAL(WEXITSTATUS(rc), 77);
        fprintf(stderr, "\n(alembic unavailable: takeover from alembic's DDL)\n");
        CU_ASSERT_EQUAL_FATAL(it_exec(url,
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));"
            "CREATE TABLE exec_l1 (id integer PRIMARY KEY, a integer);"
            "CREATE TABLE exec_l2 (id integer PRIMARY KEY, a integer);"
            "CREATE TABLE exec_l3 (id integer PRIMARY KEY, a integer);"
            "INSERT INTO alembic_version VALUES ('l3')"), 0);
    }
    it_check_versions(url, "l3");
    CU_ASSERT_EQUAL(it_tables(url, "exec_l_"), 3);
    CU_ASSERT_EQUAL(runner_ok("linear", url, "current"), 0);
    CU_ASSERT_STRING_EQUAL(run.out, "l3\n");
    CU_ASSERT_EQUAL(runner_ok("linear", url, "upgrade head"), 0);
    HAS_NOT(run.err, "-> l1");
    HAS_NOT(run.err, "-> l3,");
    HAS(run.err, "Running upgrade l3 -> l4");
    HAS(run.err, "Running upgrade l4 -> l5");
    it_check_versions(url, "l5");
    CU_ASSERT_EQUAL(it_tables(url, "exec_l_"), 5);
    CU_ASSERT_EQUAL(runner_ok("linear", url, "downgrade l2"), 0);
    it_check_versions(url, "l2");
}

static void test_unreachable_database_names_host_not_password(void)
{
    CU_ASSERT_EQUAL(it_runner(&run, "linear", "postgresql://alice:s3cretpw@127.0.0.1:1/appdb",
                              "upgrade head"), 1);
    HAS(run.err, "runner: error: cannot connect to host '127.0.0.1' port 1 database 'appdb'");
    HAS_NOT(run.err, "s3cretpw");
    HAS_NOT(run.out, "s3cretpw");
    CU_ASSERT_EQUAL(it_runner(&run, "linear", "host=127.0.0.1 port=1 password=s3cretpw", "current"),
                    1);
    HAS(run.err, "port 1");
    HAS_NOT(run.err, "s3cretpw");
    /* a badly encoded password that libpq would echo */
    CU_ASSERT_EQUAL(it_runner(&run, "linear", "postgresql://alice:s3%zzpw@127.0.0.1:1/appdb",
                              "upgrade head"), 1);
    HAS_NOT(run.err, "s3%zzpw");
}

static void test_unknown_id_in_version_table(void)
{
    char url[IT_URL_SIZE];

    CU_ASSERT_FATAL(it_db_create("it_unknown", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL_FATAL(it_exec(url,
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));"
        "INSERT INTO alembic_version VALUES ('deadbeef')"), 0);
    CU_ASSERT_EQUAL(it_runner(&run, "linear", url, "upgrade head"), 1);
    HAS(run.err, "runner: error: Can't locate revision identified by 'deadbeef'");
    CU_ASSERT_EQUAL(it_runner(&run, "linear", url, "current"), 1);
    HAS(run.err, "Can't locate revision identified by 'deadbeef'");
    CU_ASSERT_EQUAL(it_tables(url, "exec_%"), 0);
    it_check_versions(url, "deadbeef");
}

static void test_foreign_version_table_layout_is_refused(void)
{
    char url[IT_URL_SIZE];

    CU_ASSERT_FATAL(it_db_create("it_foreign", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL_FATAL(it_exec(url, "CREATE TABLE alembic_version (id serial, version text)"),
                          0);
    CU_ASSERT_EQUAL(it_runner(&run, "linear", url, "upgrade head"), 1);
    HAS(run.err, "version table 'alembic_version' has an unexpected layout (id integer, "
                 "version text)");
    CU_ASSERT_EQUAL(it_tables(url, "exec_%"), 0);
}

static void test_version_table_name_and_schema_are_configurable(void)
{
    char url[IT_URL_SIZE], out[256];

    CU_ASSERT_FATAL(it_db_create("it_custom", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL_FATAL(it_exec(url, "CREATE SCHEMA meta"), 0);
    CU_ASSERT_EQUAL(runner_ok("linear", url,
                              "--version-table my_versions --version-schema meta "
                              "--history-table my_history upgrade l2"), 0);
    it_query(url, "SELECT version_num FROM meta.my_versions", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "l2");
    it_query(url, "SELECT count(*) FROM meta.my_history WHERE direction <> 'run'", out,
             sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "2");
    it_query(url, "SELECT conname FROM pg_constraint WHERE conrelid = 'meta.my_versions'::regclass",
             out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "my_versions_pkc");
    it_check_versions(url, "-");          /* nothing in the default place */
    CU_ASSERT_EQUAL(runner_ok("linear", url, "--version-table my_versions --version-schema meta "
                                             "upgrade l2:l3 --sql"), 0);
    HAS(run.out, "UPDATE meta.my_versions SET version_num='l3' WHERE "
                 "meta.my_versions.version_num = 'l2';");
}

/* What the history command calls for --indicate-current and --applied. */
static void test_current_and_history_for_other_commands(void)
{
    struct err e = ERR_INIT;
    char url[IT_URL_SIZE];
    char **ids = NULL;
    size_t n = 0;
    const char *text;

    CU_ASSERT_FATAL(it_db_create("it_history", url, sizeof(url)) == 0);

    /* no tables yet: no heads, no history, no error */
    CU_ASSERT_EQUAL(version_session_read_heads(url, NULL, NULL, NULL, NULL, &ids, &n, &e), 0);
    CU_ASSERT_EQUAL(n, 0);
    versions_ids_free(ids, n);
    CU_ASSERT_EQUAL(it_runner(&run, "branches", url, "history --applied"), 0);
    text = run.out;
    CU_ASSERT_STRING_EQUAL(text, "no history: table 'runner_history' does not exist\n");

    CU_ASSERT_EQUAL(runner_ok("branches", url, "upgrade b2"), 0);
    CU_ASSERT_EQUAL(runner_ok("branches", url, "upgrade c3"), 0);
    CU_ASSERT_EQUAL(it_runner(&run, "fail", url, "stamp f3"), 1);     /* unknown ids */
    CU_ASSERT_EQUAL(version_session_read_heads(url, NULL, NULL, NULL, NULL, &ids, &n, &e), 0);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT((strcmp(ids[0], "b2") == 0 && strcmp(ids[1], "c3") == 0) ||
              (strcmp(ids[0], "c3") == 0 && strcmp(ids[1], "b2") == 0));
    versions_ids_free(ids, n);

    CU_ASSERT_EQUAL(it_runner(&run, "branches", url, "history --applied"), 0);
    text = run.out;
    /* oldest first: a1, b2, then c3 */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, " UTC  upgrade   a1 "));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, " UTC  upgrade   c3 "));
    CU_ASSERT(strstr(text, "upgrade   a1") < strstr(text, "upgrade   b2"));
    CU_ASSERT(strstr(text, "upgrade   b2") < strstr(text, "upgrade   c3"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "  ok  sha256:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "runner " RUNNER_VERSION));
}

static void test_commands_answer_help(void)
{
    static const char *const cmds[] = { "upgrade", "downgrade", "current", "stamp" };

    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        char args[64];

        snprintf(args, sizeof(args), "%s --help", cmds[i]);
        CU_ASSERT_EQUAL(it_runner(&run, "linear", NULL, args), 0);
        HAS(run.out, "usage: runner ");
    }
    CU_ASSERT_EQUAL(it_runner(&run, "linear", NULL, "upgrade"), 2);
    CU_ASSERT_EQUAL(it_runner(&run, "linear", NULL, "upgrade --bogus head"), 2);
}

CU_TestInfo migrate_tests[] = {
    { "linear upgrade then downgrade", test_linear_upgrade_then_downgrade },
    { "branches and merges match alembic", test_branches_and_merges_match_alembic },
    { "merge logs like alembic and tables follow", test_merge_logs_like_alembic_and_tables_follow },
    { "failure in the middle leaves revision two", test_failure_in_the_middle_leaves_revision_two },
    { "single transaction failure applies nothing", test_single_transaction_failure_applies_nothing },
    { "upgrade returning non-zero is an error", test_upgrade_returning_nonzero_is_an_error },
    { "version update matching no row is rolled back",
      test_version_update_matching_no_row_is_rolled_back },
    { "non-transactional revision creates index concurrently",
      test_non_transactional_revision_creates_index_concurrently },
    { "offline non-transactional revision commits around it",
      test_offline_non_transactional_revision_commits_around_it },
    { "concurrently in one script is refused and version kept",
      test_concurrently_in_one_script_is_refused_and_version_kept },
    { "stamp and purge", test_stamp_and_purge },
    { "offline sql equals online run", test_offline_sql_equals_online_run },
    { "takeover of an alembic database", test_takeover_of_an_alembic_database },
    { "unreachable database names host, not password",
      test_unreachable_database_names_host_not_password },
    { "unknown id in version table", test_unknown_id_in_version_table },
    { "foreign version table layout is refused", test_foreign_version_table_layout_is_refused },
    { "version table name and schema are configurable",
      test_version_table_name_and_schema_are_configurable },
    { "current and history for other commands", test_current_and_history_for_other_commands },
    { "commands answer --help", test_commands_answer_help },
    CU_TEST_INFO_NULL,
};
