/* test_fleet.c -- fan-out for fleets and tenants against the real server:
 * --shard K/N splitting a targets file between separate runs, the --json
 * summary, and schema-per-tenant (targets lines with schema=NAME and
 * --schemas-from) with its version and history tables in each schema. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

#define HAS(hay, needle)                                                                   \
    do {                                                                                   \
        CU_ASSERT_PTR_NOT_NULL(strstr((hay), (needle)));                                   \
        if (!strstr((hay), (needle)))                                                      \
            fprintf(stderr, "\nmissing '%s' in:\n%s\n", (needle), (hay));                  \
    } while (0)

static struct it_run run;

/* How often needle occurs in hay. */
static int count(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* How many objects the JSON array `text` holds, as python3's strict
 * parser reads it; -1 when it does not parse or is not an array of
 * objects with the six keys. */
static int json_objects(const char *text, const char *tag)
{
    char path[512], cmd[1400];
    FILE *f, *p;
    int n = -1;

    snprintf(path, sizeof(path), "%s/%s.json", it_tmpdir(), tag);
    f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); "
             "keys = {\"target\", \"schema\", \"status\", \"applied\", \"duration_s\", \"error\"}; "
             "assert isinstance(d, list) and all(set(o) == keys for o in d); print(len(d))' '%s' "
             "2>/dev/null",
             path);
    p = popen(cmd, "r");
    if (!p)
        return -1;
    if (fscanf(p, "%d", &n) != 1)
        n = -1;
    if (pclose(p) != 0)
        n = -1;
    return n;
}

/* runner --dir <linear> <args...> (NULL-terminated), the url from the
 * environment's DATABASE_URL left unset. */
static int fleet_run(const char *const *args)
{
    char dir[512];
    const char *argv[IT_RUN_MAX_ARGS + 1];
    int argc = 0;

    argv[argc++] = "--dir";
    argv[argc++] = it_scenario("linear", dir, sizeof(dir));
    for (size_t i = 0; args[i] && argc < IT_RUN_MAX_ARGS; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    return it_run(&run, argv, IT_RUN_NO_DATABASE_URL);
}

/* ---- --shard and --json ---- */

#define N_DB 6
#define N_SHARDS 3

static void test_shards_migrate_each_database_once(void)
{
    char urls[N_DB][IT_URL_SIZE], name[32], path[512], got[64], shard[16];
    int seen = 0, empty = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/fleet_targets", it_tmpdir());
    f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    for (int i = 0; i < N_DB; i++) {
        snprintf(name, sizeof(name), "fl_sh%d", i + 1);
        CU_ASSERT_FATAL(it_db_create(name, urls[i], sizeof(urls[i])) == 0);
        fprintf(f, "%s\n", urls[i]);
    }
    fclose(f);
    for (int k = 0; k < N_SHARDS; k++) {
        const char *args[] = { "upgrade", "head", "--targets", path, "--shard", shard, "--json",
                               NULL };

        snprintf(shard, sizeof(shard), "%d/%d", k, N_SHARDS);
        CU_ASSERT_EQUAL(fleet_run(args), 0);
        /* one JSON array; each object is one database of this shard */
        CU_ASSERT(run.out[0] == '[');
        CU_ASSERT_PTR_NOT_NULL(strstr(run.out, "]\n"));
        CU_ASSERT_EQUAL(count(run.out, "\"target\":"), count(run.out, "\"status\":\"ok\""));
        CU_ASSERT_EQUAL(count(run.out, "\"applied\":5,"), count(run.out, "\"status\":\"ok\""));
        CU_ASSERT_EQUAL(count(run.out, "\"schema\":null"), count(run.out, "\"target\":"));
        CU_ASSERT_EQUAL(count(run.out, "\"error\":null"), count(run.out, "\"target\":"));
        CU_ASSERT_EQUAL(json_objects(run.out, "fleet_shard"), count(run.out, "\"target\":"));
        seen += count(run.out, "\"target\":");
        empty += strcmp(run.out, "[]\n") == 0;
    }
    /* together the shards covered every database, none twice */
    CU_ASSERT_EQUAL(seen, N_DB);
    for (int i = 0; i < N_DB; i++) {
        it_versions(urls[i], got, sizeof(got));
        CU_ASSERT_STRING_EQUAL(got, "l5");
        it_query(urls[i], "SELECT count(*) FROM runner_history WHERE direction = 'upgrade'", got,
                 sizeof(got));
        CU_ASSERT_STRING_EQUAL(got, "5");   /* each revision ran once */
    }
    /* the same split again: all up to date */
    {
        const char *args[] = { "upgrade", "head", "--targets", path, "--shard", "1/3", "--json",
                               NULL };

        CU_ASSERT_EQUAL(fleet_run(args), 0);
        CU_ASSERT_EQUAL(count(run.out, "\"target\":"),
                        count(run.out, "\"status\":\"up to date\""));
        CU_ASSERT_EQUAL(count(run.out, "\"applied\":0,"), count(run.out, "\"target\":"));
    }
    CU_ASSERT(empty <= N_SHARDS - 1);
}

static void test_shard_bad_is_one_usage_line(void)
{
    static const char *const bad[] = { "3/3", "1", "a/3", "-1/2", "0/0", NULL };

    for (size_t i = 0; bad[i]; i++) {
        const char *args[] = { "upgrade", "head", "--url", "dbname=nothing", "--shard", bad[i],
                               NULL };

        CU_ASSERT_EQUAL(fleet_run(args), 2);
        HAS(run.err, "runner: error: --shard needs K/N with 0 <= K < N");
        CU_ASSERT_EQUAL(count(run.err, "runner: error:"), 1);
    }
}

/* More shards than targets: a pod whose share is empty succeeds. */
static void test_shard_empty_share_succeeds(void)
{
    char url[IT_URL_SIZE];
    int ok = 0, empty = 0;

    CU_ASSERT_FATAL(it_db_create("fl_one", url, sizeof(url)) == 0);
    for (int k = 0; k < 4; k++) {
        char shard[16];
        const char *args[] = { "upgrade", "head", "--url", url, "--shard", shard, "--json", NULL };

        snprintf(shard, sizeof(shard), "%d/4", k);
        CU_ASSERT_EQUAL(fleet_run(args), 0);
        ok += count(run.out, "\"status\":\"ok\"");
        empty += strcmp(run.out, "[]\n") == 0;
    }
    CU_ASSERT_EQUAL(ok, 1);
    CU_ASSERT_EQUAL(empty, 3);
    it_check_versions(url, "l5");
}

static void test_json_names_the_failed_database(void)
{
    char ok_url[IT_URL_SIZE], bad_url[IT_URL_SIZE];
    const char *args[] = { "upgrade", "head", "--url", ok_url, "--url", bad_url, "--json", NULL };

    CU_ASSERT_FATAL(it_db_create("fl_json_ok", ok_url, sizeof(ok_url)) == 0);
    CU_ASSERT_FATAL(it_db_create("fl_json_bad", bad_url, sizeof(bad_url)) == 0);
    CU_ASSERT_FATAL(it_exec(bad_url, "CREATE TABLE exec_l2 (id integer)") == 0);
    CU_ASSERT_EQUAL(fleet_run(args), 1);
    HAS(run.out, "/fl_json_ok\",\"schema\":null,\"status\":\"ok\",\"applied\":5,\"duration_s\":");
    HAS(run.out, "/fl_json_bad\",\"schema\":null,\"status\":\"failed\",\"applied\":1,");
    HAS(run.out, "\"error\":\"revision l2 (");
    HAS(run.out, "relation \\\"exec_l2\\\" already exists (SQLSTATE 42P07)");
    CU_ASSERT_EQUAL(count(run.out, "\n"), 2);       /* one object per line */
    CU_ASSERT_EQUAL(json_objects(run.out, "fleet_json"), 2);
    CU_ASSERT_PTR_NULL(strstr(run.out, "database "));   /* no table */
    HAS(run.err, "1 of 2 databases failed");
}

/* ---- schema-per-tenant ---- */

#define N_TENANTS 100
#define FAILING 42

static void check_tenants(const char *url, int failing_at_l2)
{
    char sql[512], got[IT_OUT_SIZE], want[64];
    int at_head = 0;

    for (int i = 1; i <= N_TENANTS; i++) {
        snprintf(sql, sizeof(sql), "SELECT version_num FROM tenant_%03d.alembic_version", i);
        CU_ASSERT_FATAL(it_query(url, sql, got, sizeof(got)) == 0);
        if (i == FAILING && failing_at_l2) {
            CU_ASSERT_STRING_EQUAL(got, "l2");
            continue;
        }
        at_head += strcmp(got, "l5") == 0;
    }
    CU_ASSERT_EQUAL(at_head, failing_at_l2 ? N_TENANTS - 1 : N_TENANTS);
    /* every tenant's tables, its own history table among them, in its schema */
    CU_ASSERT_FATAL(it_query(url,
                             "SELECT count(*) FROM pg_tables WHERE schemaname LIKE 'tenant\\_%' "
                             "AND tablename IN ('alembic_version', 'runner_history')",
                             got, sizeof(got)) == 0);
    snprintf(want, sizeof(want), "%d", 2 * N_TENANTS);
    CU_ASSERT_STRING_EQUAL(got, want);
    /* and nothing of theirs in public */
    CU_ASSERT_FATAL(it_query(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
                             got, sizeof(got)) == 0);
    CU_ASSERT_STRING_EQUAL(got, "0");
}

static void test_hundred_tenants_one_failing(void)
{
    const char *query = "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%' "
                        "ORDER BY 1";
    char url[IT_URL_SIZE], sql[128], got[IT_OUT_SIZE], needle[128];
    struct it_run *r = &run;

    CU_ASSERT_FATAL(it_db_create("fl_tenants", url, sizeof(url)) == 0);
    for (int i = 1; i <= N_TENANTS; i++) {
        snprintf(sql, sizeof(sql), "CREATE SCHEMA tenant_%03d", i);
        CU_ASSERT_FATAL(it_exec(url, sql) == 0);
    }
    /* tenant 42 already has the table its third revision creates */
    snprintf(sql, sizeof(sql), "CREATE TABLE tenant_%03d.exec_l3 (id integer)", FAILING);
    CU_ASSERT_FATAL(it_exec(url, sql) == 0);
    {
        const char *args[] = { "upgrade", "head", "--url", url, "--schemas-from", query,
                               "--jobs", "4", "--json", NULL };

        CU_ASSERT_EQUAL(fleet_run(args), 1);
    }
    CU_ASSERT_EQUAL(count(r->out, "\"target\":"), N_TENANTS);
    CU_ASSERT_EQUAL(json_objects(r->out, "fleet_tenants"), N_TENANTS);
    CU_ASSERT_EQUAL(count(r->out, "\"status\":\"ok\",\"applied\":5,"), N_TENANTS - 1);
    snprintf(needle, sizeof(needle),
             "\"schema\":\"tenant_%03d\",\"status\":\"failed\",\"applied\":2,", FAILING);
    HAS(r->out, needle);
    HAS(r->err, "1 of 100 databases failed: [42/100]");
    snprintf(needle, sizeof(needle), "/fl_tenants schema=tenant_%03d (revision l3 (", FAILING);
    HAS(r->err, needle);
    check_tenants(url, 1);
    /* the failing revision was rolled back: recorded as failed in that
     * tenant's own history, its version row still at l2 */
    snprintf(sql, sizeof(sql),
             "SELECT revision || ':' || success FROM tenant_%03d.runner_history "
             "WHERE direction = 'upgrade' ORDER BY id", FAILING);
    CU_ASSERT_FATAL(it_query(url, sql, got, sizeof(got)) == 0);
    CU_ASSERT_STRING_EQUAL(got, "l1:true,l2:true,l3:false");
    /* after the fix a rerun, this time from a targets file with schema=
     * lines, finishes tenant 42 and finds the others up to date */
    {
        char path[512];
        FILE *f;
        const char *args[] = { "upgrade", "head", "--targets", path, "--jobs", "4", NULL };

        snprintf(sql, sizeof(sql), "DROP TABLE tenant_%03d.exec_l3", FAILING);
        CU_ASSERT_FATAL(it_exec(url, sql) == 0);
        snprintf(path, sizeof(path), "%s/fleet_tenants", it_tmpdir());
        f = fopen(path, "w");
        CU_ASSERT_FATAL(f != NULL);
        for (int i = 1; i <= N_TENANTS; i++)
            fprintf(f, "%s schema=tenant_%03d\n", url, i);
        fclose(f);
        CU_ASSERT_EQUAL(fleet_run(args), 0);
        CU_ASSERT_EQUAL(count(r->out, "up to date"), N_TENANTS - 1);
        snprintf(needle, sizeof(needle), "/fl_tenants schema=tenant_%03d", FAILING);
        HAS(r->out, needle);
    }
    check_tenants(url, 0);
}

/* A revision that sets the session's search_path (SET, not SET LOCAL)
 * does not send the tenant's later revisions to another schema: each
 * revision starts with the tenant's search_path, in a transaction or not. */
static void test_tenant_search_path_survives_a_revision_that_sets_it(void)
{
    char url[IT_URL_SIZE], path[512], dir[512], got[64];
    FILE *f;
    const char *argv[] = { "--dir", it_scenario("setpath", dir, sizeof(dir)), "upgrade", "head",
                           "--targets", path, NULL };
    int st;

    CU_ASSERT_FATAL(it_db_create("fl_setpath", url, sizeof(url)) == 0);
    CU_ASSERT_FATAL(it_exec(url, "CREATE SCHEMA tenant_p") == 0);
    snprintf(path, sizeof(path), "%s/fleet_setpath", it_tmpdir());
    f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fprintf(f, "%s schema=tenant_p\n", url);
    fclose(f);
    st = it_run(&run, argv, IT_RUN_NO_DATABASE_URL);
    CU_ASSERT_EQUAL(st, 0);
    if (st != 0)
        fprintf(stderr, "\n%s", run.err);
    CU_ASSERT_FATAL(it_query(url, "SELECT string_agg(schemaname || '.' || tablename, ' ' "
                                  "ORDER BY tablename) FROM pg_tables WHERE tablename "
                                  "LIKE 'exec\\_s%'", got, sizeof(got)) == 0);
    CU_ASSERT_STRING_EQUAL(got, "tenant_p.exec_s2 tenant_p.exec_s3");
    CU_ASSERT_FATAL(it_query(url, "SELECT version_num FROM tenant_p.alembic_version", got,
                             sizeof(got)) == 0);
    CU_ASSERT_STRING_EQUAL(got, "s3");
}

/* A tenant keeps its tables in its schema: --version-schema cannot also
 * say where; a schema that does not exist fails that tenant only. */
static void test_tenant_errors(void)
{
    char url[IT_URL_SIZE], path[512];
    FILE *f;
    const char *args[] = { "upgrade", "head", "--targets", path, NULL };
    const char *with_schema[] = { "--version-schema", "public", "upgrade", "head", "--targets",
                                  path, NULL };

    CU_ASSERT_FATAL(it_db_create("fl_tenant_err", url, sizeof(url)) == 0);
    CU_ASSERT_FATAL(it_exec(url, "CREATE SCHEMA real_one") == 0);
    snprintf(path, sizeof(path), "%s/fleet_tenant_err", it_tmpdir());
    f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fprintf(f, "%s schema=real_one\n%s schema=no_such_schema\n", url, url);
    fclose(f);
    CU_ASSERT_EQUAL(fleet_run(with_schema), 2);
    HAS(run.err, "--version-schema cannot be combined with tenant schemas");
    CU_ASSERT_EQUAL(fleet_run(args), 1);
    HAS(run.err, "1 of 2 databases failed: [2/2]");
    HAS(run.err, "schema=no_such_schema (schema 'no_such_schema' does not exist)");
    {
        char got[64];

        CU_ASSERT(it_query(url, "SELECT version_num FROM real_one.alembic_version", got,
                           sizeof(got)) == 0);
        CU_ASSERT_STRING_EQUAL(got, "l5");
    }
}

CU_TestInfo fleet_tests[] = {
    { "tenant search_path survives a revision that sets it",
      test_tenant_search_path_survives_a_revision_that_sets_it },
    { "--shard K/N: three runs migrate each database once", test_shards_migrate_each_database_once },
    { "--shard: a bad K/N is one usage line, exit 2", test_shard_bad_is_one_usage_line },
    { "--shard: an empty share exits 0 with []", test_shard_empty_share_succeeds },
    { "--json: one object per database, the failure's error in it", test_json_names_the_failed_database },
    { "100 tenant schemas, one failing: 99 applied, one rolled back, exit 1", test_hundred_tenants_one_failing },
    { "tenants: --version-schema refused, a missing schema fails alone", test_tenant_errors },
    CU_TEST_INFO_NULL,
};
