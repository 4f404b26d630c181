/* test_first_read.c -- the unlocked pre-check's read in one message
 * (versions_load.h) against a real PostgreSQL: what a no-op upgrade and
 * `current` send (counted in the server's own statement log), the history
 * rows read from the version table's schema whatever the search_path
 * finds first, and errors that a failing read must not hide. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "itrust.h"

#define HAS(hay, needle) CU_ASSERT_PTR_NOT_NULL(strstr((hay), (needle)))

static struct it_run run;       /* big buffers: static, reused by each test in turn */

#define RUN(p, url, ...) it_project_run(&run, (p), (url), (const char *const[]){ __VA_ARGS__, NULL })

static void show(const char *what)
{
    fprintf(stderr, "\n%s exited %d:\n%s%s\n", what, run.status, run.out, run.err);
}

/* v1 <- v2 <- v3, built with `runner build` (checksums embedded), applied. */
static int applied_project(struct it_project *p, const char *db, const char *url_for,
                           char *url, size_t size)
{
    if (it_db_create(db, url, size) < 0 || it_project_new(p) < 0)
        return -1;
    if (it_project_rev(p, "v1", NULL, NULL) < 0 || it_project_rev(p, "v2", "v1", NULL) < 0 ||
        it_project_rev(p, "v3", "v2", NULL) < 0)
        return -1;
    if (url_for && it_exec(url, "CREATE SCHEMA a; CREATE SCHEMA b") < 0)
        return -1;
    if (RUN(p, url, "build") != 0 || RUN(p, url_for ? url_for : url, "upgrade", "head") != 0) {
        show("build/upgrade");
        return -1;
    }
    return 0;
}

static const char *server_log(void)
{
    static char path[600];

    snprintf(path, sizeof(path), "%s/db/log", it_tmpdir());
    return path;
}

static long file_size(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Lines of the server log after byte `from` that contain `what`. */
static int log_count(long from, const char *what)
{
    FILE *f = fopen(server_log(), "r");
    char line[8192];
    int n = 0;

    if (!f)
        return -1;
    fseek(f, from, SEEK_SET);
    while (fgets(line, sizeof(line), f))
        if (strstr(line, what))
            n++;
    fclose(f);
    return n;
}

/* issue 14.5: a no-op upgrade (settings, resolution, heads, the history
 * for the checksum check) and `current` each send one message: one
 * simple-protocol query logged as "statement:", no extended-protocol
 * "execute". */
static void test_a_noop_upgrade_sends_one_message(void)
{
    struct it_project p;
    char url[IT_URL_SIZE];
    long from;

    CU_ASSERT_FATAL(applied_project(&p, "fr_one", NULL, url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL_FATAL(it_exec(url, "ALTER DATABASE fr_one SET log_statement = 'all'"), 0);
    from = file_size(server_log());
    CU_ASSERT_FATAL(from >= 0);
    CU_ASSERT_EQUAL(RUN(&p, url, "upgrade", "head", "--keepalive", "30", "--statement-timeout",
                        "60", "--lock-timeout", "60"), 0);
    HAS(run.err, "nothing to do");
    CU_ASSERT_EQUAL(log_count(from, "LOG:  statement: "), 1);
    CU_ASSERT_EQUAL(log_count(from, "LOG:  execute "), 0);
    from = file_size(server_log());
    CU_ASSERT_EQUAL(RUN(&p, url, "current"), 0);
    CU_ASSERT_STRING_EQUAL(run.out, "v3 (head)\n");
    CU_ASSERT_EQUAL(log_count(from, "LOG:  statement: "), 1);
    CU_ASSERT_EQUAL(log_count(from, "LOG:  execute "), 0);
    it_project_remove(&p);
}

/* The version table in schema a, a search_path b,a: the history table
 * the unqualified name finds (b's) is not the one beside the version
 * table (a's), and only a's counts, whether a's is there or not. */
static void test_the_history_read_is_the_version_tables_schemas(void)
{
    struct it_project p;
    char url[IT_URL_SIZE], url_a[IT_URL_SIZE + 64], url_ba[IT_URL_SIZE + 64];

    CU_ASSERT_FATAL(it_db_create("fr_path", url, sizeof(url)) == 0);
    snprintf(url_a, sizeof(url_a), "%s options='-c search_path=a'", url);
    snprintf(url_ba, sizeof(url_ba), "%s options='-c search_path=b,a'", url);
    CU_ASSERT_FATAL(applied_project(&p, "fr_path", url_a, url, sizeof(url)) == 0);
    /* a's history says edited, b's copy says clean: a's is the truth */
    CU_ASSERT_EQUAL_FATAL(it_exec(url, "CREATE TABLE b.runner_history AS SELECT * FROM "
                                       "a.runner_history; UPDATE a.runner_history SET "
                                       "checksum = repeat('0', 64) WHERE revision = 'v2'"), 0);
    CU_ASSERT_EQUAL(RUN(&p, url_ba, "upgrade", "head"), 1);
    HAS(run.err, "revision v2 (");
    HAS(run.err, "source checksum changed since it was applied");
    /* no history table in a, b's says edited: every revision unrecorded */
    CU_ASSERT_EQUAL_FATAL(it_exec(url, "DROP TABLE a.runner_history; UPDATE b.runner_history "
                                       "SET checksum = repeat('0', 64)"), 0);
    CU_ASSERT_EQUAL(RUN(&p, url_ba, "upgrade", "head"), 0);
    HAS(run.err, "nothing to do");
    it_project_remove(&p);
}

/* A read the role may not make is its error, not a missing table. */
static void test_a_table_the_role_may_not_read_is_an_error(void)
{
    struct it_project p;
    char url[IT_URL_SIZE], reader[IT_URL_SIZE + 32];

    CU_ASSERT_FATAL(applied_project(&p, "fr_perm", NULL, url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL_FATAL(it_exec(url, "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE "
                                       "rolname = 'fr_reader') THEN CREATE ROLE fr_reader "
                                       "LOGIN; END IF; END$$"), 0);
    snprintf(reader, sizeof(reader), "%s user=fr_reader", url);
    CU_ASSERT_EQUAL(RUN(&p, reader, "upgrade", "head"), 1);
    HAS(run.err, "permission denied for table alembic_version (SQLSTATE 42501)");
    CU_ASSERT_EQUAL(RUN(&p, reader, "current"), 1);
    HAS(run.err, "permission denied for table alembic_version (SQLSTATE 42501)");
    /* the version table readable, the history table not */
    CU_ASSERT_EQUAL_FATAL(it_exec(url, "GRANT SELECT ON alembic_version TO fr_reader"), 0);
    CU_ASSERT_EQUAL(RUN(&p, reader, "upgrade", "head"), 1);
    HAS(run.err, "cannot read history table 'runner_history': permission denied for table "
                 "runner_history (SQLSTATE 42501)");
    CU_ASSERT_EQUAL(RUN(&p, reader, "upgrade", "head", "--ignore-checksums"), 0);
    HAS(run.err, "nothing to do");
    it_project_remove(&p);
}

CU_TestInfo first_read_tests[] = {
    { "a no-op upgrade sends one message", test_a_noop_upgrade_sends_one_message },
    { "the history read is the version table's schema's",
      test_the_history_read_is_the_version_tables_schemas },
    { "a table the role may not read is an error", test_a_table_the_role_may_not_read_is_an_error },
    CU_TEST_INFO_NULL,
};
