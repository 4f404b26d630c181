/* test_lint.c -- runner/lint: every rule on SQL, flagged and not flagged
 * (one table of cases, and a test that every rule of lint_rules() has
 * both), the advice per server version, silencing, lines, and `runner
 * lint` over a project of revisions with their sources
 * (tests/plugins/lint). */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "lint.h"
#include "lint_run.h"
#include "loader.h"

#define META_DIR TEST_PLUGIN_DIR "/lint/meta"
#define PROJECT_DIR TEST_PLUGIN_DIR "/lint/project"
#define PROJECT_SOURCES TEST_SOURCE_DIR "/plugins/lint/project"

struct lint_case {
    const char *rule;
    int flagged;            /* 1: the rule must fire; 0: it must not */
    int in_tx;              /* the statements run in a transaction block */
    int pg_version;         /* 0: LINT_DEFAULT_PG_VERSION */
    const char *sql;
};

static const struct lint_case cases[] = {
    { "create-index-not-concurrently", 1, 1, 0, "CREATE INDEX ix ON users (email)" },
    { "create-index-not-concurrently", 1, 1, 0, "CREATE UNIQUE INDEX ix ON s.users (lower(email))" },
    { "create-index-not-concurrently", 0, 0, 0, "CREATE INDEX CONCURRENTLY ix ON users (email)" },
    { "create-index-not-concurrently", 0, 1, 0,
      "CREATE TABLE t (id int, a text); CREATE INDEX ix_t_a ON t (a)" },

    { "drop-index-not-concurrently", 1, 1, 0, "DROP INDEX ix_users_email" },
    { "drop-index-not-concurrently", 0, 0, 0, "DROP INDEX CONCURRENTLY ix_users_email" },
    { "drop-index-not-concurrently", 0, 1, 0,
      "CREATE TABLE t (a int); CREATE INDEX ix ON t (a); DROP INDEX ix" },

    { "concurrently-in-transaction", 1, 1, 0, "CREATE INDEX CONCURRENTLY ix ON users (email)" },
    { "concurrently-in-transaction", 1, 1, 0, "DROP INDEX CONCURRENTLY ix" },
    { "concurrently-in-transaction", 1, 0, 0,
      "BEGIN; CREATE INDEX CONCURRENTLY ix ON users (email); COMMIT" },
    { "concurrently-in-transaction", 0, 0, 0, "CREATE INDEX CONCURRENTLY ix ON users (email)" },
    { "concurrently-in-transaction", 0, 1, 0,
      "COMMIT; CREATE INDEX CONCURRENTLY ix ON users (email); BEGIN" },

    { "add-column-volatile-default", 1, 1, 0,
      "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid()" },
    { "add-column-volatile-default", 1, 1, 0,
      "ALTER TABLE users ADD COLUMN at timestamptz DEFAULT clock_timestamp()" },
    { "add-column-volatile-default", 1, 1, 0, "ALTER TABLE users ADD COLUMN n bigserial" },
    { "add-column-volatile-default", 1, 1, 0,
      "ALTER TABLE users ADD COLUMN n int GENERATED ALWAYS AS IDENTITY" },
    { "add-column-volatile-default", 1, 1, 0,
      "ALTER TABLE users ADD COLUMN total int GENERATED ALWAYS AS (a + b) STORED" },
    { "add-column-volatile-default", 1, 1, 100000,
      "ALTER TABLE users ADD COLUMN active boolean DEFAULT true" },
    { "add-column-volatile-default", 0, 1, 110000,
      "ALTER TABLE users ADD COLUMN active boolean DEFAULT true" },
    { "add-column-volatile-default", 0, 1, 0,
      "ALTER TABLE users ADD COLUMN created timestamptz DEFAULT now()" },
    { "add-column-volatile-default", 0, 1, 0,
      "ALTER TABLE users ADD COLUMN kind text DEFAULT 'user'::text" },
    { "add-column-volatile-default", 0, 1, 0, "ALTER TABLE users ADD COLUMN note text" },

    { "add-column-not-null-without-default", 1, 1, 0,
      "ALTER TABLE users ADD COLUMN n int NOT NULL" },
    { "add-column-not-null-without-default", 0, 1, 0,
      "ALTER TABLE users ADD COLUMN n int NOT NULL DEFAULT 0" },
    { "add-column-not-null-without-default", 0, 1, 0, "ALTER TABLE users ADD COLUMN n int" },

    { "set-not-null", 1, 1, 0, "ALTER TABLE users ALTER COLUMN email SET NOT NULL" },
    { "set-not-null", 1, 1, 0,
      "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;"
      "ALTER TABLE users ALTER COLUMN email SET NOT NULL" },
    { "set-not-null", 0, 1, 120000,
      "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;"
      "ALTER TABLE users VALIDATE CONSTRAINT email_nn;"
      "ALTER TABLE users ALTER COLUMN email SET NOT NULL" },
    { "set-not-null", 1, 1, 110000,
      "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;"
      "ALTER TABLE users VALIDATE CONSTRAINT email_nn;"
      "ALTER TABLE users ALTER COLUMN email SET NOT NULL" },
    { "set-not-null", 0, 1, 0, "ALTER TABLE users ALTER COLUMN email DROP NOT NULL" },

    { "column-type-rewrite", 1, 1, 0, "ALTER TABLE users ALTER COLUMN id TYPE bigint" },
    { "column-type-rewrite", 1, 1, 0,
      "ALTER TABLE users ALTER COLUMN name TYPE varchar(100) USING left(name, 100)" },
    { "column-type-rewrite", 0, 1, 0, "ALTER TABLE users ALTER COLUMN id SET DEFAULT 1" },
    { "column-type-rewrite", 0, 1, 0,
      "CREATE TABLE t (id int); ALTER TABLE t ALTER COLUMN id TYPE bigint" },

    { "constraint-not-valid", 1, 1, 0,
      "ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id)" },
    { "constraint-not-valid", 1, 1, 0,
      "ALTER TABLE posts ADD CONSTRAINT ck CHECK (length(title) > 0)" },
    { "constraint-not-valid", 1, 1, 0,
      "ALTER TABLE posts ADD COLUMN owner int REFERENCES users (id)" },
    { "constraint-not-valid", 1, 1, 0,
      "ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;"
      "ALTER TABLE posts VALIDATE CONSTRAINT fk" },
    { "constraint-not-valid", 0, 0, 0,
      "ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;"
      "ALTER TABLE posts VALIDATE CONSTRAINT fk" },
    { "constraint-not-valid", 0, 1, 0,
      "ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;"
      "COMMIT; BEGIN; ALTER TABLE posts VALIDATE CONSTRAINT fk" },
    { "constraint-not-valid", 0, 1, 0,
      "ALTER TABLE posts ADD CONSTRAINT ck CHECK (length(title) > 0) NOT VALID" },

    { "unique-without-index", 1, 1, 0, "ALTER TABLE users ADD CONSTRAINT u UNIQUE (email)" },
    { "unique-without-index", 1, 1, 0, "ALTER TABLE users ADD PRIMARY KEY (id)" },
    { "unique-without-index", 1, 1, 0, "ALTER TABLE users ADD COLUMN code text UNIQUE" },
    { "unique-without-index", 0, 1, 0,
      "ALTER TABLE users ADD CONSTRAINT u UNIQUE USING INDEX ix_users_email" },
    { "unique-without-index", 0, 1, 0,
      "ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_idx" },

    { "rename-column", 1, 1, 0, "ALTER TABLE users RENAME COLUMN name TO full_name" },
    { "rename-column", 0, 1, 0, "ALTER TABLE users RENAME CONSTRAINT a TO b" },
    { "rename-table", 1, 1, 0, "ALTER TABLE users RENAME TO accounts" },
    { "rename-table", 0, 1, 0, "ALTER INDEX ix_users_email RENAME TO ix_email" },
    { "rename-table", 0, 1, 0, "CREATE TABLE tmp (a int); ALTER TABLE tmp RENAME TO t2" },

    { "drop-column", 1, 1, 0, "ALTER TABLE users DROP COLUMN nickname" },
    { "drop-column", 0, 1, 0, "ALTER TABLE users DROP CONSTRAINT users_email_key" },
    { "drop-table", 1, 1, 0, "DROP TABLE users" },
    { "drop-table", 1, 1, 0, "DROP TABLE IF EXISTS a, b CASCADE" },
    { "drop-table", 0, 1, 0, "DROP VIEW v" },
    { "drop-table", 0, 1, 0, "CREATE TABLE scratch (a int); DROP TABLE scratch" },

    { "vacuum-full", 1, 0, 0, "VACUUM FULL users" },
    { "vacuum-full", 1, 0, 0, "VACUUM (FULL, ANALYZE) users" },
    { "vacuum-full", 0, 0, 0, "VACUUM users" },
    { "vacuum-full", 0, 0, 0, "VACUUM (FULL false) users" },

    { "cluster", 1, 1, 0, "CLUSTER users USING ix_users_email" },
    { "cluster", 0, 1, 0, "ANALYZE users" },

    { "enum-add-value-in-transaction", 1, 1, 110000, "ALTER TYPE mood ADD VALUE 'meh'" },
    { "enum-add-value-in-transaction", 0, 1, 120000, "ALTER TYPE mood ADD VALUE 'meh'" },
    { "enum-add-value-in-transaction", 0, 0, 110000, "ALTER TYPE mood ADD VALUE 'meh'" },
    { "enum-add-value-in-transaction", 0, 1, 110000,
      "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'" },

    /* lock-timeout-missing: these cases run without the run's lock_timeout */
    { "lock-timeout-missing", 1, 1, 0, "ALTER TABLE users ADD COLUMN n int" },
    { "lock-timeout-missing", 1, 1, 0, "SET lock_timeout = 0; ALTER TABLE users ADD COLUMN n int" },
    { "lock-timeout-missing", 1, 1, 0,
      "SET lock_timeout = '1s'; RESET lock_timeout; DROP TABLE users" },
    { "lock-timeout-missing", 0, 1, 0,
      "SET lock_timeout = '1s'; ALTER TABLE users ADD COLUMN n int" },
    { "lock-timeout-missing", 0, 1, 0,
      "SET LOCAL lock_timeout TO 500; ALTER TABLE users ADD COLUMN n int" },
    { "lock-timeout-missing", 0, 1, 0, "CREATE TABLE t (id int); CREATE INDEX ON t (id)" },
    { "lock-timeout-missing", 1, 1, 0,
      "CREATE TABLE posts (id int, user_id int REFERENCES users (id))" },
    { "lock-timeout-missing", 1, 1, 0,
      "CREATE TABLE posts (id int, uid int, FOREIGN KEY (uid) REFERENCES users (id))" },
    { "lock-timeout-missing", 0, 1, 0,
      "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (a_id int REFERENCES a (id))" },
    { "lock-timeout-missing", 0, 0, 0, "CREATE INDEX CONCURRENTLY ix ON users (email)" },
    { "lock-timeout-missing", 1, 0, 0, "VACUUM FULL users" },
    { "lock-timeout-missing", 1, 1, 0, "CLUSTER users USING ix" },
    { "lock-timeout-missing", 1, 1, 0, "DROP VIEW active_users" },
    { "lock-timeout-missing", 0, 1, 0, "CREATE VIEW v AS SELECT 1; DROP VIEW v" },
    { "lock-timeout-missing", 0, 0, 0, "VACUUM users" },

    { "mixed-data-and-ddl", 1, 1, 0,
      "UPDATE users SET name = email; ALTER TABLE users ALTER COLUMN name SET DEFAULT ''" },
    { "mixed-data-and-ddl", 1, 1, 0,
      "ALTER TABLE users ADD COLUMN n int; INSERT INTO users (id, n) VALUES (1, 2)" },
    { "mixed-data-and-ddl", 0, 1, 0,
      "UPDATE users SET name = email; ALTER TABLE posts ADD COLUMN n int" },
    { "mixed-data-and-ddl", 0, 1, 0,
      "CREATE TABLE t (a int); INSERT INTO t VALUES (1); ALTER TABLE t ADD COLUMN b int" },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static int has_rule(const struct lint_result *r, const char *rule)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->items[i].rule->name, rule) == 0)
            return 1;
    return 0;
}

static int run_lint(const struct lint_input *in, struct lint_result *r)
{
    struct err e = ERR_INIT;
    int rc = lint_sql(in, r, &e);

    if (rc < 0)
        fprintf(stderr, "\nlint_sql: %s\n", e.msg);
    return rc;
}

static void test_lint_every_case_flags_or_passes_as_expected(void)
{
    for (size_t i = 0; i < N_CASES; i++) {
        const struct lint_case *c = &cases[i];
        struct lint_result r = LINT_RESULT_INIT;
        struct lint_input in = {
            .sql = c->sql, .in_transaction = c->in_tx,
            .pg_version = c->pg_version ? c->pg_version : LINT_DEFAULT_PG_VERSION,
            .run_lock_timeout = strcmp(c->rule, "lock-timeout-missing") != 0,
        };

        CU_ASSERT_EQUAL_FATAL(run_lint(&in, &r), 0);
        CU_ASSERT_EQUAL(has_rule(&r, c->rule), c->flagged);
        if (has_rule(&r, c->rule) != c->flagged)
            fprintf(stderr, "\ncase %zu: %s %s: %s\n", i, c->rule,
                    c->flagged ? "not flagged" : "flagged", c->sql);
        lint_result_release(&r);
    }
}

static void test_lint_every_rule_has_a_flagged_and_a_clean_case(void)
{
    size_t n;
    const struct lint_rule *rules = lint_rules(&n);

    CU_ASSERT(n >= 17);
    for (size_t i = 0; i < n; i++) {
        int flagged = 0, clean = 0;

        CU_ASSERT_PTR_EQUAL(lint_rule_find(rules[i].name), &rules[i]);
        CU_ASSERT(strlen(rules[i].reason) > 10 && strlen(rules[i].instead) > 10);
        for (size_t j = 0; j < N_CASES; j++)
            if (strcmp(cases[j].rule, rules[i].name) == 0) {
                flagged += cases[j].flagged;
                clean += !cases[j].flagged;
            }
        CU_ASSERT(flagged > 0 && clean > 0);
        if (!flagged || !clean)
            fprintf(stderr, "\nrule %s lacks a %s case\n", rules[i].name,
                    flagged ? "clean" : "flagged");
    }
    CU_ASSERT_PTR_NULL(lint_rule_find("no-such-rule"));
}

static void test_lint_line_is_the_statements_first_token(void)
{
    struct lint_result r = LINT_RESULT_INIT;
    struct lint_input in = {
        .sql = "SELECT 1;\n\n-- a comment\n/* and\n another */\nDROP TABLE users;\n\n"
               "ALTER TABLE users\n  DROP COLUMN x;\n",
        .in_transaction = 1, .pg_version = LINT_DEFAULT_PG_VERSION, .run_lock_timeout = 1,
    };

    CU_ASSERT_EQUAL_FATAL(run_lint(&in, &r), 0);
    CU_ASSERT_EQUAL_FATAL(r.n, 2);
    CU_ASSERT_STRING_EQUAL(r.items[0].rule->name, "drop-table");
    CU_ASSERT_EQUAL(r.items[0].line, 6);
    CU_ASSERT_STRING_EQUAL(r.items[0].statement, "DROP TABLE users");
    CU_ASSERT_STRING_EQUAL(r.items[0].detail, "table \"users\" is dropped");
    CU_ASSERT_STRING_EQUAL(r.items[1].rule->name, "drop-column");
    CU_ASSERT_EQUAL(r.items[1].line, 8);
    lint_result_release(&r);
}

static void test_lint_advice_names_the_server_version(void)
{
    struct lint_result r = LINT_RESULT_INIT;
    struct lint_input in = {
        .sql = "ALTER TABLE users ADD COLUMN active boolean DEFAULT true",
        .in_transaction = 1, .pg_version = 100000, .run_lock_timeout = 1,
    };

    CU_ASSERT_EQUAL_FATAL(run_lint(&in, &r), 0);
    CU_ASSERT_EQUAL_FATAL(r.n, 1);
    CU_ASSERT_STRING_EQUAL(r.items[0].detail,
                           "column \"active\" of \"users\" gets a default, and PostgreSQL 10 "
                           "rewrites the table for any default (11+ does not for a non-volatile "
                           "one)");
    lint_result_release(&r);
}

static void test_lint_silenced_rules_are_kept_and_marked(void)
{
    struct lint_result r = LINT_RESULT_INIT;
    struct lint_input in = {
        .sql = "-- runner-lint: allow rename-table\nDROP TABLE a;\nDROP INDEX ix;\n"
               "ALTER TABLE b RENAME TO c;\nVACUUM FULL d",
        .in_transaction = 1, .pg_version = LINT_DEFAULT_PG_VERSION, .run_lock_timeout = 1,
        .allow_meta = "drop-table,drop-index-not-concurrently",
        .allow_comment = "vacuum-full",
    };

    CU_ASSERT_EQUAL_FATAL(run_lint(&in, &r), 0);
    CU_ASSERT_EQUAL_FATAL(r.n, 4);
    CU_ASSERT_STRING_EQUAL(r.items[0].silenced_by, "metadata");
    CU_ASSERT_STRING_EQUAL(r.items[1].silenced_by, "metadata");
    CU_ASSERT_STRING_EQUAL(r.items[2].silenced_by, "comment");
    CU_ASSERT_STRING_EQUAL(r.items[3].silenced_by, "comment");
    lint_result_release(&r);
}

static void test_lint_allow_comment_lists_names(void)
{
    struct strbuf sb = STRBUF_INIT;

    lint_allow_from_text("/* runner-lint: allow drop-table, rename-column */\n"
                         "x // runner-lint: allow cluster\n", &sb);
    CU_ASSERT_STRING_EQUAL(strbuf_str(&sb), "drop-table rename-column cluster");
    CU_ASSERT(lint_list_has(strbuf_str(&sb), "cluster"));
    CU_ASSERT(!lint_list_has(strbuf_str(&sb), "drop"));
    CU_ASSERT(!lint_list_has(NULL, "drop-table"));
    strbuf_release(&sb);
}

static void test_lint_sql_the_parser_refuses_is_an_error_with_its_line(void)
{
    struct lint_result r = LINT_RESULT_INIT;
    struct err e = ERR_INIT;
    struct lint_input in = {
        .sql = "SELECT 1;\nALTER TABLE users ADD COLUMN;\n",
        .in_transaction = 1, .pg_version = LINT_DEFAULT_PG_VERSION,
    };

    CU_ASSERT_EQUAL(lint_sql(&in, &r, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "cannot parse the sql at line 2: syntax error at or near \";\"");
    CU_ASSERT_EQUAL(r.n, 0);
    lint_result_release(&r);
}

static void test_lint_source_line_finds_the_literal_or_upgrade(void)
{
    const char *src = "#include <runner/plugin.h>\n\nint upgrade(runner_op *op)\n{\n"
                      "    return op_execute(op,\n        \"CREATE INDEX ix ON users (a)\");\n}\n";

    CU_ASSERT_EQUAL(lint_source_line(src, "CREATE INDEX ix ON users (a)"), 6);
    CU_ASSERT_EQUAL(lint_source_line(src, "ALTER TABLE \"users\" DROP COLUMN \"a\""), 3);
    CU_ASSERT_EQUAL(lint_source_line("nothing here", "DROP TABLE x"), 1);
}

/* Metadata grown at the end: an older plugin's shorter struct loads, the
 * new member is read without running the plugin, and is checked. */
static void test_lint_meta_v1_plugin_loads_with_empty_allow(void)
{
    struct runner_revision m;
    struct err e = ERR_INIT;

    memset(&m, 'x', sizeof(m));
    CU_ASSERT_EQUAL_FATAL(loader_read_meta(META_DIR "/lint_v1_meta.so", &m, &e), 0);
    CU_ASSERT_STRING_EQUAL(m.revision, "c1000000v1");
    CU_ASSERT_EQUAL(m.size, RUNNER_META_SIZE_V1);
    CU_ASSERT_STRING_EQUAL(m.lint_allow, "");
}

static void test_lint_meta_allow_is_read_from_the_section(void)
{
    struct runner_revision m;
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL_FATAL(loader_read_meta(META_DIR "/lint_allow_meta.so", &m, &e), 0);
    CU_ASSERT_STRING_EQUAL(m.lint_allow, "drop-table, rename-column");
}

static void test_lint_meta_bad_allow_is_refused(void)
{
    struct runner_revision m;
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL(loader_read_meta(META_DIR "/lint_bad_allow.so", &m, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "plugin '" META_DIR "/lint_bad_allow.so': lint_allow may hold "
                                  "only rule names, spaces and commas");
}

static const struct lint_finding *finding(const struct lint_rev *lr, const char *rule)
{
    for (size_t i = 0; i < lr->result.n; i++)
        if (strcmp(lr->result.items[i].rule->name, rule) == 0)
            return &lr->result.items[i];
    return NULL;
}

/* The project of tests/plugins/lint/project linted as `runner lint` does. */
/* The safe way to make a column NOT NULL spans revisions: the check is
 * added NOT VALID in one, validated in the next, and only then does a
 * third SET NOT NULL.  What a revision leaves (lint_carry) is seen by the
 * later ones; without it the third is judged alone. */
static void test_lint_carry_sees_a_check_validated_in_an_earlier_revision(void)
{
    static const char *const revs[] = {
        "ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID",
        "ALTER TABLE users VALIDATE CONSTRAINT users_email_nn",
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL",
    };
    struct lint_carry *carry = lint_carry_new();
    struct lint_result r = LINT_RESULT_INIT;
    struct lint_input in = {
        .in_transaction = 1, .pg_version = LINT_DEFAULT_PG_VERSION, .run_lock_timeout = 1,
    };

    CU_ASSERT_PTR_NOT_NULL_FATAL(carry);
    /* alone, the last one is flagged */
    in.sql = revs[2];
    CU_ASSERT_EQUAL_FATAL(run_lint(&in, &r), 0);
    CU_ASSERT(has_rule(&r, "set-not-null"));
    lint_result_release(&r);
    /* after the two before it, it is not; another column still is */
    in.carry = carry;
    for (size_t i = 0; i < 3; i++) {
        in.sql = revs[i];
        CU_ASSERT_EQUAL_FATAL(run_lint(&in, &r), 0);
        CU_ASSERT(!has_rule(&r, "set-not-null"));
        lint_result_release(&r);
    }
    in.sql = "ALTER TABLE users ALTER COLUMN name SET NOT NULL";
    CU_ASSERT_EQUAL_FATAL(run_lint(&in, &r), 0);
    CU_ASSERT(has_rule(&r, "set-not-null"));
    lint_result_release(&r);
    /* NOT VALID and never validated: still flagged */
    lint_carry_free(carry);
    carry = lint_carry_new();
    in.carry = carry;
    in.sql = revs[0];
    CU_ASSERT_EQUAL_FATAL(run_lint(&in, &r), 0);
    lint_result_release(&r);
    in.sql = revs[2];
    CU_ASSERT_EQUAL_FATAL(run_lint(&in, &r), 0);
    CU_ASSERT(has_rule(&r, "set-not-null"));
    lint_result_release(&r);
    lint_carry_free(carry);
}

static void test_lint_run_places_findings_in_the_sources(void)
{
    struct graph *g = graph_new();
    struct loader_opts lo = { 0 };
    struct lint_report r = LINT_REPORT_INIT;
    struct lint_run_opts o = { 0 };
    struct err e = ERR_INIT;
    const struct lint_finding *f;

    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    if (loader_scan(PROJECT_DIR, &lo, g, &e) < 0) {
        fprintf(stderr, "\nscan: %s\n", e.msg);
        CU_FAIL_FATAL("scan");
    }
    o.graph = g;
    o.sources = PROJECT_SOURCES;
    o.pg_version = LINT_DEFAULT_PG_VERSION;
    CU_ASSERT_EQUAL_FATAL(lint_run(&o, &r, &e), 0);
    CU_ASSERT_EQUAL_FATAL(r.n, 4);
    CU_ASSERT_STRING_EQUAL(r.revs[0].rev->id, "a1000001");
    CU_ASSERT_EQUAL(r.revs[0].result.n, 0);
    CU_ASSERT_STRING_EQUAL(r.revs[1].file, PROJECT_SOURCES "/a1000002_index_users.c");
    CU_ASSERT(r.revs[1].in_source);
    f = finding(&r.revs[1], "create-index-not-concurrently");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NULL(f->silenced_by);
    CU_ASSERT_EQUAL(r.revs[1].file_lines[f - r.revs[1].result.items], 14);
    f = finding(&r.revs[1], "lock-timeout-missing");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_STRING_EQUAL(f->silenced_by, "comment");
    /* a helper's SQL is not in the source: the line of upgrade() */
    f = finding(&r.revs[2], "drop-column");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_STRING_EQUAL(f->silenced_by, "metadata");
    CU_ASSERT_EQUAL(r.revs[2].file_lines[f - r.revs[2].result.items], 11);
    CU_ASSERT_PTR_NULL(finding(&r.revs[2], "lock-timeout-missing"));
    CU_ASSERT_EQUAL(r.revs[3].result.n, 0);
    CU_ASSERT_EQUAL(r.errors, 1);
    CU_ASSERT_EQUAL(r.warnings, 0);
    CU_ASSERT_EQUAL(r.silenced, 2);
    lint_report_release(&r);

    /* a range, and no sources: the plugin and the rendered SQL's lines */
    o.range = "a1000001:a1000002";
    o.sources = NULL;
    CU_ASSERT_EQUAL_FATAL(lint_run(&o, &r, &e), 0);
    CU_ASSERT_EQUAL_FATAL(r.n, 1);
    CU_ASSERT_STRING_EQUAL(r.revs[0].file, PROJECT_DIR "/a1000002_index_users.so");
    CU_ASSERT_EQUAL(r.revs[0].file_lines[0], 1);
    lint_report_release(&r);
    graph_free(g);
}

CU_TestInfo lint_tests[] = {
    { "test_lint_every_case_flags_or_passes_as_expected",
      test_lint_every_case_flags_or_passes_as_expected },
    { "test_lint_every_rule_has_a_flagged_and_a_clean_case",
      test_lint_every_rule_has_a_flagged_and_a_clean_case },
    { "test_lint_line_is_the_statements_first_token", test_lint_line_is_the_statements_first_token },
    { "test_lint_advice_names_the_server_version", test_lint_advice_names_the_server_version },
    { "test_lint_silenced_rules_are_kept_and_marked", test_lint_silenced_rules_are_kept_and_marked },
    { "test_lint_allow_comment_lists_names", test_lint_allow_comment_lists_names },
    { "test_lint_sql_the_parser_refuses_is_an_error_with_its_line",
      test_lint_sql_the_parser_refuses_is_an_error_with_its_line },
    { "test_lint_source_line_finds_the_literal_or_upgrade",
      test_lint_source_line_finds_the_literal_or_upgrade },
    { "test_lint_meta_v1_plugin_loads_with_empty_allow",
      test_lint_meta_v1_plugin_loads_with_empty_allow },
    { "test_lint_meta_allow_is_read_from_the_section", test_lint_meta_allow_is_read_from_the_section },
    { "test_lint_meta_bad_allow_is_refused", test_lint_meta_bad_allow_is_refused },
    { "test_lint_carry_sees_a_check_validated_in_an_earlier_revision",
      test_lint_carry_sees_a_check_validated_in_an_earlier_revision },
    { "test_lint_run_places_findings_in_the_sources", test_lint_run_places_findings_in_the_sources },
    CU_TEST_INFO_NULL,
};
