/* test_fanout_targets.c -- fan-out's targets without a database: the
 * targets file, "schema=" on a line, --shard's parsing and its stable
 * split. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fanout_targets.h"

static void write_file(char *path, const char *text)
{
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

    CU_ASSERT_FATAL(f != NULL);
    fputs(text, f);
    fclose(f);
}

static void test_targets_file(void)
{
    char path[] = "/tmp/runner-targets-XXXXXX";
    struct fanout_targets ts = FANOUT_TARGETS_INIT;
    struct err e = ERR_INIT;

    write_file(path, "# production\n\n  postgresql://a/db1  \n\t# indented comment\n"
                     "host=h dbname=db2\npostgresql://b/db3");
    CU_ASSERT_EQUAL(fanout_read_targets(path, &ts, &e), 0);
    CU_ASSERT_EQUAL_FATAL(ts.n, 3);
    CU_ASSERT_STRING_EQUAL(ts.items[0].url, "postgresql://a/db1");
    CU_ASSERT_STRING_EQUAL(ts.items[1].url, "host=h dbname=db2");
    CU_ASSERT_STRING_EQUAL(ts.items[2].url, "postgresql://b/db3");
    CU_ASSERT_PTR_NULL(ts.items[0].schema);
    fanout_targets_release(&ts);
    unlink(path);
    CU_ASSERT_EQUAL(fanout_read_targets(path, &ts, &e), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "cannot read targets file"));
    CU_ASSERT_EQUAL(ts.n, 0);
}

static void test_targets_line_schema_word(void)
{
    char path[] = "/tmp/runner-targets-XXXXXX";
    struct fanout_targets ts = FANOUT_TARGETS_INIT;
    struct err e = ERR_INIT;

    write_file(path, "postgresql://a/app schema=tenant_42\n"
                     "host=h dbname=app   schema=Tenant-7  \n"
                     "host=h dbname=schema=x\n"    /* no blank before it: part of the url */
                     "schema=solo\n");
    CU_ASSERT_EQUAL_FATAL(fanout_read_targets(path, &ts, &e), 0);
    CU_ASSERT_EQUAL_FATAL(ts.n, 4);
    CU_ASSERT_STRING_EQUAL(ts.items[0].url, "postgresql://a/app");
    CU_ASSERT_STRING_EQUAL(ts.items[0].schema, "tenant_42");
    CU_ASSERT_STRING_EQUAL(ts.items[1].url, "host=h dbname=app");
    CU_ASSERT_STRING_EQUAL(ts.items[1].schema, "Tenant-7");
    CU_ASSERT_STRING_EQUAL(ts.items[2].url, "host=h dbname=schema=x");
    CU_ASSERT_PTR_NULL(ts.items[2].schema);
    CU_ASSERT_STRING_EQUAL(ts.items[3].url, "");
    CU_ASSERT_STRING_EQUAL(ts.items[3].schema, "solo");
    fanout_targets_release(&ts);
    unlink(path);

    CU_ASSERT_EQUAL(fanout_targets_add_line(&ts, "postgresql://a/app schema=", &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "empty schema name in 'schema='");
    CU_ASSERT_EQUAL(ts.n, 0);
}

static void test_shard_parse(void)
{
    static const char *const bad[] = { "", "3", "3/3", "4/3", "-1/3", "1/0", "0/0", "a/b",
                                       "1/2/3", "1 /2", "0/100001", NULL };
    struct err e = ERR_INIT;
    unsigned k = 9, n = 9;

    CU_ASSERT_EQUAL(fanout_shard_parse("0/1", &k, &n, &e), 0);
    CU_ASSERT(k == 0 && n == 1);
    CU_ASSERT_EQUAL(fanout_shard_parse("2/3", &k, &n, &e), 0);
    CU_ASSERT(k == 2 && n == 3);
    for (size_t i = 0; bad[i]; i++) {
        err_clear(&e);
        CU_ASSERT_EQUAL(fanout_shard_parse(bad[i], &k, &n, &e), -1);
        CU_ASSERT_EQUAL(e.code, ERR_USAGE);
        CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "--shard needs K/N with 0 <= K < N"));
        CU_ASSERT_PTR_NULL(strchr(e.msg, '\n'));
    }
    err_clear(&e);
    fanout_shard_parse("3/3", &k, &n, &e);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "got '3/3'"));
}

/* The split is FNV-1a 64 of the masked name: these values are fixed
 * across machines and versions (python: FNV-1a 64 of the same text). */
static void test_shard_is_fnv1a_of_the_masked_name(void)
{
    struct fanout_target plain = { "postgresql://alice:secret@db1.example:5432/app", NULL };
    struct fanout_target rotated = { "postgresql://alice:other@db1.example:5432/app", NULL };
    struct fanout_target conninfo = { "host=db1.example port=5432 user=alice dbname=app "
                                      "password=x", NULL };
    struct fanout_target tenant = { "postgresql://alice@db1.example:5432/app", "tenant_42" };
    char key[512];

    fanout_shard_key(&plain, key, sizeof(key));
    CU_ASSERT_STRING_EQUAL(key, "alice@db1.example:5432/app");
    fanout_shard_key(&tenant, key, sizeof(key));
    CU_ASSERT_STRING_EQUAL(key, "alice@db1.example:5432/app schema=tenant_42");
    /* 0x2c76e4e4ab8518a4 and 0xa405f05e99c70375 */
    CU_ASSERT_EQUAL(fanout_shard_of(&plain, 4), 0);
    CU_ASSERT_EQUAL(fanout_shard_of(&plain, 7), 0);
    CU_ASSERT_EQUAL(fanout_shard_of(&tenant, 4), 1);
    CU_ASSERT_EQUAL(fanout_shard_of(&tenant, 7), 6);
    /* a password rotation or the other spelling moves nothing */
    for (unsigned n = 1; n < 50; n++) {
        CU_ASSERT_EQUAL(fanout_shard_of(&rotated, n), fanout_shard_of(&plain, n));
        CU_ASSERT_EQUAL(fanout_shard_of(&conninfo, n), fanout_shard_of(&plain, n));
    }
}

/* N shards of one list: disjoint, together the whole list, each in the
 * list's order, none far from n/N; and another line moves nobody. */
static void test_shards_partition_the_list(void)
{
    enum { N_TARGETS = 1000, N_SHARDS = 7 };
    struct err e = ERR_INIT;
    int seen[N_TARGETS + 1] = { 0 };
    size_t total = 0;
    char url[128];

    for (unsigned k = 0; k < N_SHARDS; k++) {
        struct fanout_targets ts = FANOUT_TARGETS_INIT;
        struct fanout_targets more = FANOUT_TARGETS_INIT;
        int last = 0;

        for (int i = 1; i <= N_TARGETS; i++) {
            snprintf(url, sizeof(url), "postgresql://app@db%d.example/app", i);
            CU_ASSERT_FATAL(fanout_targets_add(&ts, url, NULL, &e) == 0);
            CU_ASSERT_FATAL(fanout_targets_add(&more, url, NULL, &e) == 0);
        }
        CU_ASSERT_FATAL(
            fanout_targets_add(&more, "postgresql://app@new.example/app", NULL, &e) == 0);
        fanout_targets_shard(&ts, k, N_SHARDS);
        fanout_targets_shard(&more, k, N_SHARDS);
        CU_ASSERT(ts.n > N_TARGETS / N_SHARDS * 3 / 4 && ts.n < N_TARGETS / N_SHARDS * 5 / 4);
        for (size_t i = 0; i < ts.n; i++) {
            int id = atoi(ts.items[i].url + strlen("postgresql://app@db"));

            CU_ASSERT(id > last);
            last = id;
            seen[id]++;
            CU_ASSERT_STRING_EQUAL(more.items[i].url, ts.items[i].url);
        }
        CU_ASSERT(more.n == ts.n || more.n == ts.n + 1);
        total += ts.n;
        fanout_targets_release(&ts);
        fanout_targets_release(&more);
    }
    CU_ASSERT_EQUAL(total, N_TARGETS);
    for (int i = 1; i <= N_TARGETS; i++)
        CU_ASSERT_EQUAL(seen[i], 1);
}

CU_TestInfo fanout_targets_tests[] = {
    { "targets file: trimmed, comments and blank lines skipped", test_targets_file },
    { "targets line: a last word schema=NAME names a tenant", test_targets_line_schema_word },
    { "--shard K/N: 0 <= K < N, else one usage line", test_shard_parse },
    { "--shard: FNV-1a 64 of the masked name, password left out", test_shard_is_fnv1a_of_the_masked_name },
    { "--shard: N shards are disjoint and cover the list", test_shards_partition_the_list },
    CU_TEST_INFO_NULL,
};
