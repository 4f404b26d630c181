/* test_versions.c -- the version and history tables against a real
 * PostgreSQL: one resolved name for statements and the lock key, quoting
 * that holds under either standard_conforming_strings, repair under the
 * migration lock, and run markers closed only by a lock holder. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <uv.h>

#include "itest.h"
#include "mlock.h"
#include "pg.h"
#include "versions.h"

#define HAS(hay, needle) CU_ASSERT_PTR_NOT_NULL(strstr((hay), (needle)))

static struct it_run run;       /* big buffers: static, reused by each test in turn */

/* url with `option` set for every session made from it (conninfo form). */
static char *with_option(const char *url, const char *option)
{
    char *out = NULL;

    if (asprintf(&out, "%s options='-c %s'", url, option) < 0)
        return NULL;
    return out;
}

/* A session of the library on url: loop, connection, versions resolved. */
struct lib_session {
    uv_loop_t loop;
    struct pg db;
    struct versions v;
    struct err e;
};

static int lib_open(struct lib_session *s, const char *url)
{
    memset(s, 0, sizeof(*s));
    s->db = (struct pg)PG_INIT;
    s->e = (struct err)ERR_INIT;
    if (uv_loop_init(&s->loop) < 0)
        return -1;
    if (versions_init(&s->v, NULL, NULL, NULL, &s->e) < 0 ||
        pg_open(&s->db, &s->loop, url, &s->e) < 0)
        return -1;
    return versions_resolve(&s->v, &s->db, &s->e);
}

static void lib_close(struct lib_session *s)
{
    pg_close(&s->db);
    versions_release(&s->v);
    uv_loop_close(&s->loop);
}

/* The offline statements of a step, as --sql writes them. */
static char *render_step(const struct versions *v, const struct step *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f)
        return NULL;
    versions_render_create(v, f);
    versions_render_step(v, f, s);
    fclose(f);
    return buf;
}

/* A --sql script run by a session with standard_conforming_strings off
 * (as an old server or a legacy role has it): a value ending in a
 * backslash must not swallow its closing quote. */
static void test_offline_literal_survives_standard_conforming_strings_off(void)
{
    struct versions v = VERSIONS_INIT;
    struct err e = ERR_INIT;
    struct step add = { .vt = VT_INSERT, .to = "v1\\" };
    char url[IT_URL_SIZE], out[256];
    char *script = NULL, *legacy = NULL;

    CU_ASSERT_FATAL(it_db_create("it_vt_scs", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL_FATAL(versions_init(&v, NULL, NULL, NULL, &e), 0);
    script = render_step(&v, &add);
    CU_ASSERT_PTR_NOT_NULL_FATAL(script);
    /* set for the session: a SET inside the script would come too late,
     * the server parses the whole script first */
    CU_ASSERT_FATAL(asprintf(&legacy, "%s options='-c standard_conforming_strings=off'", url) > 0);
    CU_ASSERT_EQUAL(it_exec(legacy, script), 0);
    it_query(url, "SELECT version_num FROM alembic_version", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "v1\\");
    free(legacy);
    free(script);
    versions_release(&v);
}

/* issue 10.3: the table in schema a, a session with search_path b,a.
 * Every statement and the lock name must mean a.alembic_version, so that
 * a table created in b later cannot split the database into two. */
static void test_search_path_finds_one_name_for_statements_and_lock(void)
{
    struct lib_session s, other;
    struct step add = { .vt = VT_INSERT, .to = "l1" };
    char url[IT_URL_SIZE], out[256];
    char *ba = NULL, *a = NULL;

    CU_ASSERT_FATAL(it_db_create("it_vt_path", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL_FATAL(it_exec(url, "CREATE SCHEMA a; CREATE SCHEMA b; "
                                       "CREATE TABLE a.alembic_version (version_num "
                                       "VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc "
                                       "PRIMARY KEY (version_num))"), 0);
    ba = with_option(url, "search_path=b,a");
    CU_ASSERT_FATAL(ba != NULL);
    CU_ASSERT_EQUAL_FATAL(lib_open(&s, ba), 0);
    CU_ASSERT_STRING_EQUAL(versions_lock_name(&s.v), "a.alembic_version");
    CU_ASSERT_STRING_EQUAL(s.v.table, "a.alembic_version");
    CU_ASSERT_STRING_EQUAL(s.v.history, "a.runner_history");
    /* a runner whose path is only a takes the same lock (the old key was
     * current_schema()'s: "b.alembic_version" for the first one) */
    a = with_option(url, "search_path=a");
    CU_ASSERT_EQUAL_FATAL(lib_open(&other, a), 0);
    CU_ASSERT_STRING_EQUAL(versions_lock_name(&other.v), versions_lock_name(&s.v));
    lib_close(&other);
    /* a same-named table in b, first on the path, changes nothing now */
    CU_ASSERT_EQUAL(it_exec(url, "CREATE TABLE b.alembic_version (version_num VARCHAR(32))"), 0);
    CU_ASSERT_EQUAL(versions_ensure(&s.v, &s.db, &s.e), 1);     /* it made a.runner_history */
    CU_ASSERT_EQUAL(versions_apply(&s.v, &s.db, &add, &s.e), 0);
    lib_close(&s);
    it_query(url, "SELECT version_num FROM a.alembic_version", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "l1");
    it_query(url, "SELECT count(*) FROM b.alembic_version", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "0");
    it_query(url, "SELECT to_regclass('a.runner_history') IS NOT NULL", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "t");
    /* the commands that only read resolve it the same way (a new session
     * would find b's table first: resolving is per session) */
    CU_ASSERT_EQUAL(it_exec(url, "DROP TABLE b.alembic_version"), 0);
    CU_ASSERT_EQUAL(it_runner(&run, "linear", ba, "current"), 0);
    CU_ASSERT_STRING_EQUAL(run.out, "l1\n");
    free(a);
    free(ba);
}

/* Without a table yet the name is the schema a new table would go to. */
static void test_no_table_yet_is_current_schema(void)
{
    struct lib_session s;
    char url[IT_URL_SIZE];
    char *path = NULL;

    CU_ASSERT_FATAL(it_db_create("it_vt_new", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL_FATAL(it_exec(url, "CREATE SCHEMA b"), 0);
    /* "nosuch" does not exist: current_schema() skips it, as CREATE does */
    path = with_option(url, "search_path=nosuch,b,public");
    CU_ASSERT_EQUAL_FATAL(lib_open(&s, path), 0);
    CU_ASSERT_STRING_EQUAL(versions_lock_name(&s.v), "b.alembic_version");
    CU_ASSERT_STRING_EQUAL(s.v.table, "b.alembic_version");
    lib_close(&s);
    free(path);

    CU_ASSERT_EQUAL_FATAL(lib_open(&s, url), 0);
    CU_ASSERT_STRING_EQUAL(versions_lock_name(&s.v), "public.alembic_version");
    lib_close(&s);
}

static void test_empty_search_path_is_a_clear_error(void)
{
    struct lib_session s;
    char url[IT_URL_SIZE];
    char *empty = NULL;

    CU_ASSERT_FATAL(it_db_create("it_vt_empty", url, sizeof(url)) == 0);
    empty = with_option(url, "search_path=");
    CU_ASSERT_EQUAL(lib_open(&s, empty), -1);
    HAS(s.e.msg, "no schema for version table 'alembic_version'");
    CU_ASSERT_PTR_NULL(versions_lock_name(&s.v));
    lib_close(&s);
    free(empty);
}

/* A configured schema is used as given, and still only after resolve. */
static void test_configured_schema_needs_no_query(void)
{
    struct versions v = VERSIONS_INIT;
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL_FATAL(versions_init(&v, "Tenant 1", "my_versions", NULL, &e), 0);
    CU_ASSERT_PTR_NULL(versions_lock_name(&v));
    CU_ASSERT_EQUAL(versions_resolve(&v, NULL, &e), 0);
    CU_ASSERT_STRING_EQUAL(versions_lock_name(&v), "Tenant 1.my_versions");
    CU_ASSERT_STRING_EQUAL(v.table, "\"Tenant 1\".my_versions");
    versions_release(&v);
}

/* Another session holds the migration lock on the key of the version
 * table's resolved name, as a running upgrade would. */
static PGconn *hold_lock(const char *url, const char *name)
{
    PGconn *c = PQconnectdb(url);
    char sql[128];
    PGresult *res;

    snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%lld)", (long long)mlock_key(name));
    res = PQexec(c, sql);
    CU_ASSERT_EQUAL(PQresultStatus(res), PGRES_TUPLES_OK);
    PQclear(res);
    return c;
}

/* issue 10.3: repair writes the history table, so it waits for a run. */
static void test_repair_waits_for_the_migration_lock(void)
{
    char url[IT_URL_SIZE];
    PGconn *holder;

    CU_ASSERT_FATAL(it_db_create("it_vt_repair", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL_FATAL(it_runner(&run, "linear", url, "upgrade l2"), 0);
    holder = hold_lock(url, "public.alembic_version");
    CU_ASSERT_EQUAL(it_runner(&run, "linear", url, "repair --lock-wait 0.3"), 1);
    HAS(run.err, "migration lock");
    HAS(run.err, "--lock-wait");
    PQfinish(holder);
    CU_ASSERT_EQUAL(it_runner(&run, "linear", url, "repair --lock-wait 5"), 0);
    HAS(run.out, "checksums recorded");
}

/* issue 10.3: only a run holding the lock may declare a marker dead; a
 * --lock-mode none run reports it and leaves it open (it may be a
 * concurrent run, unlocked too). */
static void test_run_marker_closed_only_under_the_lock(void)
{
    char url[IT_URL_SIZE], out[256];

    CU_ASSERT_FATAL(it_db_create("it_vt_marker", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL_FATAL(it_runner(&run, "linear", url, "upgrade l1"), 0);
    CU_ASSERT_EQUAL_FATAL(it_exec(url, "INSERT INTO runner_history (revision, direction, "
                                       "started_at, duration_ms, hostname, runner_version, "
                                       "success) VALUES ('l1', 'run', now(), -1, 'elsewhere', "
                                       "'0', false)"), 0);
    CU_ASSERT_EQUAL(it_runner(&run, "linear", url, "upgrade l2 --lock-mode none"), 0);
    HAS(run.err, "on host 'elsewhere'");
    HAS(run.err, "has not finished");
    CU_ASSERT_PTR_NULL(strstr(run.err, "did not finish"));
    it_query(url, "SELECT duration_ms FROM runner_history WHERE hostname = 'elsewhere'", out,
             sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "-1");
    /* with the lock: reported as died and closed */
    CU_ASSERT_EQUAL(it_runner(&run, "linear", url, "upgrade l3"), 0);
    HAS(run.err, "on host 'elsewhere'");
    HAS(run.err, "did not finish: it was killed or crashed");
    it_query(url, "SELECT duration_ms FROM runner_history WHERE hostname = 'elsewhere'", out,
             sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "-2");
}

CU_TestInfo versions_tests[] = {
    { "an offline literal survives standard_conforming_strings off",
      test_offline_literal_survives_standard_conforming_strings_off },
    { "search_path b,a: statements and lock name are a.alembic_version",
      test_search_path_finds_one_name_for_statements_and_lock },
    { "no table yet: the name is current_schema()'s", test_no_table_yet_is_current_schema },
    { "an empty search_path is a clear error", test_empty_search_path_is_a_clear_error },
    { "a configured schema needs no query", test_configured_schema_needs_no_query },
    { "repair waits for the migration lock", test_repair_waits_for_the_migration_lock },
    { "a run marker is closed only under the lock", test_run_marker_closed_only_under_the_lock },
    CU_TEST_INFO_NULL,
};
