/* test_locks.c -- `runner test --locks` against a real PostgreSQL, through
 * the real runner binary: the scenario tests/plugins/locks "chain" (see
 * lk.c) creates four tables, then rewrites one, indexes one without
 * CONCURRENTLY, adds a column with a constant default, adds a CHECK NOT
 * VALID and validates it in the next revision, runs a two-statement
 * script, and builds an index CONCURRENTLY outside a transaction.  Each report line is checked as the user reads it. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"

/* Does text parse as JSON?  python3's own parser says. */
static int json_parses(const char *text, const char *tag)
{
    char path[512], cmd[1200];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s.json", it_tmpdir(), tag);
    f = fopen(path, "w");
    if (!f)
        return 0;
    fputs(text, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "python3 -m json.tool '%s' >/dev/null", path);
    return system(cmd) == 0;
}

#define ROWS "3000"

static struct it_run run;       /* big buffers: static, reused by each test in turn */
static struct it_run text_run;  /* the one text run most tests read */
static int text_ran;

static void has(const char *hay, const char *needle, int want)
{
    int found = strstr(hay, needle) != NULL;

    CU_ASSERT_EQUAL(found, want);
    if (found != want)
        fprintf(stderr, "\n%s '%s' in:\n%s\n", want ? "missing" : "unexpected", needle, hay);
}

/* runner --dir <chain> test <args...> on a runner_test_* database of the
 * $DATABASE_URL server, from the scratch directory: a runner.ini where the
 * suite was started (a models plugin) must not join in. */
static int locks_run(struct it_run *r, const char *const *args)
{
    char dir[512], cwd[4096];
    const char *argv[IT_RUN_MAX_ARGS + 1];
    int argc = 0, rc;

    argv[argc++] = "--dir";
    argv[argc++] = it_scenario("locks_chain", dir, sizeof(dir));
    argv[argc++] = "test";
    for (size_t i = 0; args[i] && argc < IT_RUN_MAX_ARGS; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    if (!getcwd(cwd, sizeof(cwd)) || chdir(it_tmpdir()) < 0)
        return -1;
    rc = it_run(r, argv, 0);
    if (chdir(cwd) < 0)
        return -1;
    return rc;
}

/* The lines about one revision: from its case line to the next case line. */
static const char *revision_block(const char *out, const char *id, char *buf, size_t size)
{
    char head[64];
    const char *start, *end;

    snprintf(head, sizeof(head), "ok    %s (", id);
    start = strstr(out, head);
    if (!start) {
        snprintf(buf, size, "(no case line for %s)", id);
        return buf;
    }
    end = strstr(start + 1, "\nok    ");
    end = end ? end + 1 : start + strlen(start);     /* the last line keeps its '\n' */
    snprintf(buf, size, "%.*s", (int)(end - start), start);
    return buf;
}

static const char *text_report(void)
{
    if (!text_ran) {
        const char *args[] = { "--locks", "--rows", ROWS, "--lock-threshold", "600000", NULL };

        locks_run(&text_run, args);
        text_ran = 1;
        if (text_run.status != 0)
            fprintf(stderr, "\nrunner test --locks: exit %d\n%s\n%s\n", text_run.status,
                    text_run.out, text_run.err);
    }
    return text_run.out;
}

static void test_locks_run_passes_under_a_high_threshold(void)
{
    text_report();
    CU_ASSERT_EQUAL(text_run.status, 0);
    has(text_run.out, "locks: 8 revisions watched, tables filled to " ROWS " rows; 0 locks of "
        "SHARE or stronger held over 600000 ms\n", 1);
}

static void test_locks_tables_are_filled_foreign_keys_included(void)
{
    char b[8192];
    const char *rw2 = revision_block(text_report(), "rw2", b, sizeof(b));

    has(rw2, "      users: no lock (" ROWS " rows)\n", 1);
    /* orders.user_id is a NOT NULL foreign key: filled from users */
    has(rw2, "      orders: no lock (" ROWS " rows)\n", 1);
    /* every generated type, an enum and a domain among them */
    has(rw2, "      kinds: no lock (" ROWS " rows)\n", 1);
}

static void test_locks_unfillable_tables_are_said_so(void)
{
    char b[8192];
    const char *rw2 = revision_block(text_report(), "rw2", b, sizeof(b));

    has(rw2, "      shapes: no lock (0 rows); not filled to " ROWS " rows: no value generated "
        "for NOT NULL column where_ of type point\n", 1);
    /* a CHECK the generated values break: the server's message */
    has(rw2, "      limits: no lock (0 rows); not filled to " ROWS " rows: new row for relation "
        "\"limits\" violates check constraint \"limits_v_check\" (SQLSTATE 23514)", 1);
}

static void test_locks_first_revision_has_no_tables_before_it(void)
{
    char b[8192];

    has(revision_block(text_report(), "b1", b, sizeof(b)),
        "      no tables before this revision\n", 1);
}

static void test_locks_type_change_rewrites_under_access_exclusive(void)
{
    char b[8192];
    const char *rw2 = revision_block(text_report(), "rw2", b, sizeof(b));

    has(rw2, "      items: AccessExclusiveLock, rewritten (ALTER TABLE items ALTER COLUMN qty "
        "TYPE bigint), ", 1);
    has(rw2, " ms with " ROWS " rows; AccessExclusiveLock held ", 1);
    has(rw2, " ms until commit\n", 1);
}

static void test_locks_plain_index_takes_share_without_rewrite(void)
{
    char b[8192];
    const char *ix3 = revision_block(text_report(), "ix3", b, sizeof(b));

    has(ix3, "      users: ShareLock (CREATE INDEX ix_users_born ON users (born)), ", 1);
    has(ix3, " ms with " ROWS " rows; ShareLock held ", 1);
    has(ix3, "rewritten", 0);
}

static void test_locks_constant_default_adds_column_without_rewrite(void)
{
    char b[8192];
    const char *ac4 = revision_block(text_report(), "ac4", b, sizeof(b));

    has(ac4, "      users: AccessExclusiveLock (ALTER TABLE users ADD COLUMN status text NOT "
        "NULL DEFAULT 'new'), ", 1);
    has(ac4, "rewritten", 0);
}

static void test_locks_not_valid_then_validate_takes_no_write_blocking_lock(void)
{
    char b[8192];
    const char *nv5 = revision_block(text_report(), "nv5", b, sizeof(b));
    const char *va6;

    has(nv5, "      orders: AccessExclusiveLock (ALTER TABLE orders ADD CONSTRAINT "
        "orders_amount_positive CHECK (amount >= 0) NOT VALID), ", 1);
    has(nv5, "rewritten", 0);
    va6 = revision_block(text_report(), "va6", b, sizeof(b));
    /* VALIDATE scans under SHARE UPDATE EXCLUSIVE: writes go on, no "held" */
    has(va6, "      orders: ShareUpdateExclusiveLock (ALTER TABLE orders VALIDATE CONSTRAINT "
        "orders_amount_positive), ", 1);
    has(va6, "held", 0);
}

static void test_locks_script_is_watched_statement_by_statement(void)
{
    char b[8192];
    const char *sc7 = revision_block(text_report(), "sc7", b, sizeof(b));

    /* the UPDATE's RowExclusiveLock is weaker: the ALTER is named */
    has(sc7, "      items: AccessExclusiveLock (ALTER TABLE items ADD COLUMN note text), ", 1);
}

static void test_locks_outside_a_transaction_are_not_seen_and_said_so(void)
{
    char b[8192];
    const char *cc8 = revision_block(text_report(), "cc8", b, sizeof(b));

    has(cc8, "      orders: no lock (" ROWS " rows)\n", 1);
    has(cc8, "      runs outside a transaction: each lock ends with its statement and is not "
        "seen here\n", 1);
}

static void test_locks_over_the_threshold_fail_the_run(void)
{
    const char *args[] = { "--locks", "--rows", "200", "--lock-threshold", "0", NULL };

    CU_ASSERT_EQUAL(locks_run(&run, args), 1);
    has(run.out, " ms until commit: over the 0 ms lock threshold\n", 1);
    has(run.out, "; 5 locks of SHARE or stronger held over 0 ms\n", 1);
}

static void test_locks_json_report(void)
{
    const char *args[] = { "--locks", "--rows", "100", "--json", NULL };

    CU_ASSERT_EQUAL(locks_run(&run, args), 0);
    CU_ASSERT_TRUE(json_parses(run.out, "locks"));
    has(run.out, "\"locks\": {\"rows\": 100, \"threshold_ms\": 1000, \"flagged\": 0, "
        "\"revisions\": [", 1);
    has(run.out, "{\"table\": \"items\", \"rows\": 100, \"not_filled\": null, \"lock\": "
        "\"AccessExclusiveLock\", \"statement\": \"ALTER TABLE items ALTER COLUMN qty TYPE "
        "bigint\", \"statement_ms\": ", 1);
    has(run.out, "\"rewritten\": true, \"rewrite_statement\": \"ALTER TABLE items ALTER "
        "COLUMN qty TYPE bigint\", \"dropped\": false, \"held_ms\": ", 1);
}

static void test_locks_options_need_locks(void)
{
    const char *rows[] = { "--rows", "10", NULL };
    const char *bad[] = { "--locks", "--rows", "ten", NULL };

    CU_ASSERT_EQUAL(locks_run(&run, rows), 2);
    has(run.err, "--rows needs --locks", 1);
    CU_ASSERT_EQUAL(locks_run(&run, bad), 2);
    has(run.err, "--rows needs a number from 1 to 100000000, got 'ten'", 1);
}

CU_TestInfo locks_tests[] = {
    { "a run passes under a high threshold", test_locks_run_passes_under_a_high_threshold },
    { "tables are filled, foreign keys included",
      test_locks_tables_are_filled_foreign_keys_included },
    { "unfillable tables are said so", test_locks_unfillable_tables_are_said_so },
    { "the first revision has no tables before it",
      test_locks_first_revision_has_no_tables_before_it },
    { "a type change rewrites under ACCESS EXCLUSIVE",
      test_locks_type_change_rewrites_under_access_exclusive },
    { "a plain index takes SHARE without a rewrite",
      test_locks_plain_index_takes_share_without_rewrite },
    { "a constant default adds a column without a rewrite",
      test_locks_constant_default_adds_column_without_rewrite },
    { "NOT VALID, then VALIDATE, takes no write-blocking lock",
      test_locks_not_valid_then_validate_takes_no_write_blocking_lock },
    { "a script is watched statement by statement",
      test_locks_script_is_watched_statement_by_statement },
    { "locks outside a transaction are not seen, and said so",
      test_locks_outside_a_transaction_are_not_seen_and_said_so },
    { "locks over the threshold fail the run", test_locks_over_the_threshold_fail_the_run },
    { "the JSON report", test_locks_json_report },
    { "--rows and --lock-threshold need --locks", test_locks_options_need_locks },
    CU_TEST_INFO_NULL,
};
