/* test_ops_render.c -- the SQL every op_* helper renders (ops_render.c), and
 * the offline op table (ops_sql.c) writing it to a stream.  No database:
 * that the SQL runs is tests/integration's job. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "sql_quote.h"

/* The statements of s joined by ";\n", released; caller frees. */
static char *joined(struct ops_stmts *s)
{
    struct strbuf sb = STRBUF_INIT;

    for (size_t i = 0; i < s->n; i++) {
        strbuf_adds(&sb, s->sql[i]);
        strbuf_adds(&sb, ";\n");
    }
    ops_stmts_release(s);
    return strbuf_detach(&sb);
}

#define CHECK_SQL(render_call, expected)                        \
    do {                                                        \
        struct ops_stmts s_ = OPS_STMTS_INIT;                   \
        struct err e_ = ERR_INIT;                               \
        char *got_;                                             \
        CU_ASSERT_EQUAL_FATAL(render_call, 0);                  \
        CU_ASSERT_EQUAL(e_.code, ERR_OK);                       \
        got_ = joined(&s_);                                     \
        CU_ASSERT_STRING_EQUAL(got_, expected);                 \
        if (strcmp(got_, expected) != 0)                        \
            fprintf(stderr, "\n--- got:\n%s--- expected:\n%s", got_, expected); \
        free(got_);                                             \
    } while (0)

#define CHECK_ERR(render_call, expected)                        \
    do {                                                        \
        struct ops_stmts s_ = OPS_STMTS_INIT;                   \
        struct err e_ = ERR_INIT;                               \
        CU_ASSERT_EQUAL(render_call, -1);                       \
        CU_ASSERT_EQUAL(e_.code, ERR_FAIL);                     \
        CU_ASSERT_EQUAL(s_.n, 0);                               \
        CU_ASSERT_PTR_NULL(strchr(e_.msg, '\n'));               \
        CU_ASSERT_STRING_EQUAL(e_.msg, expected);               \
        if (strcmp(e_.msg, expected) != 0)                      \
            fprintf(stderr, "\n--- got: %s\n--- expected: %s\n", e_.msg, expected); \
        ops_stmts_release(&s_);                                 \
    } while (0)

/* ------------------------------------------------------------------ */
/* Tables.                                                             */

static void test_ops_create_table_guide_users(void)
{
    runner_table t = {
        .name = "users",
        .columns = RUNNER_COLUMNS(
            { .name = "id", .type = "serial", .primary_key = 1 },
            { .name = "email", .type = "varchar(255)", .not_null = 1, .unique = 1 },
            { .name = "name", .type = "varchar(100)" },
            { .name = "created_at", .type = "timestamp with time zone", .not_null = 1,
              .server_default = "now()" }),
    };

    CHECK_SQL(ops_render_create_table(&s_, &t, &e_),
              "CREATE TABLE \"users\" (\n"
              "    \"id\" serial NOT NULL,\n"
              "    \"email\" varchar(255) NOT NULL,\n"
              "    \"name\" varchar(100),\n"
              "    \"created_at\" timestamp with time zone DEFAULT now() NOT NULL,\n"
              "    PRIMARY KEY (\"id\"),\n"
              "    UNIQUE (\"email\")\n"
              ");\n");
}

static void test_ops_create_table_composite_pk_constraints_and_comments(void)
{
    runner_table t = {
        .schema = "app",
        .name = "membership",
        .columns = RUNNER_COLUMNS(
            { .name = "user_id", .type = "integer", .primary_key = 1, .comment = "who" },
            { .name = "group_id", .type = "integer", .primary_key = 1 },
            { .name = "role", .type = "text", .server_default = "'member'",
              .comment = "it's the role" }),
        .constraints = RUNNER_CONSTRAINTS(
            { .kind = RUNNER_FOREIGN_KEY, .name = "fk_membership_user",
              .columns = RUNNER_NAMES("user_id"), .ref_schema = "app", .ref_table = "users",
              .ref_columns = RUNNER_NAMES("id"), .on_delete = "cascade",
              .on_update = "no action" },
            { .kind = RUNNER_FOREIGN_KEY, .columns = RUNNER_NAMES("group_id"),
              .ref_table = "groups" },
            { .kind = RUNNER_UNIQUE, .name = "uq_role", .columns = RUNNER_NAMES("user_id", "role") },
            { .kind = RUNNER_CHECK, .name = "ck_role", .check = "role <> ''" }),
        .comment = "who is in which group",
    };

    CHECK_SQL(ops_render_create_table(&s_, &t, &e_),
              "CREATE TABLE \"app\".\"membership\" (\n"
              "    \"user_id\" integer NOT NULL,\n"
              "    \"group_id\" integer NOT NULL,\n"
              "    \"role\" text DEFAULT 'member',\n"
              "    PRIMARY KEY (\"user_id\", \"group_id\"),\n"
              "    CONSTRAINT \"fk_membership_user\" FOREIGN KEY (\"user_id\") REFERENCES"
              " \"app\".\"users\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION,\n"
              "    FOREIGN KEY (\"group_id\") REFERENCES \"groups\",\n"
              "    CONSTRAINT \"uq_role\" UNIQUE (\"user_id\", \"role\"),\n"
              "    CONSTRAINT \"ck_role\" CHECK (role <> '')\n"
              ");\n"
              "COMMENT ON TABLE \"app\".\"membership\" IS 'who is in which group';\n"
              "COMMENT ON COLUMN \"app\".\"membership\".\"user_id\" IS 'who';\n"
              "COMMENT ON COLUMN \"app\".\"membership\".\"role\" IS 'it''s the role';\n");
}

static void test_ops_create_table_named_primary_key_constraint(void)
{
    runner_table t = {
        .name = "alembic_version",
        .columns = RUNNER_COLUMNS({ .name = "version_num", .type = "varchar(32)", .not_null = 1 }),
        .constraints = RUNNER_CONSTRAINTS({ .kind = RUNNER_PRIMARY_KEY,
                                            .name = "alembic_version_pkc",
                                            .columns = RUNNER_NAMES("version_num") }),
    };

    CHECK_SQL(ops_render_create_table(&s_, &t, &e_),
              "CREATE TABLE \"alembic_version\" (\n"
              "    \"version_num\" varchar(32) NOT NULL,\n"
              "    CONSTRAINT \"alembic_version_pkc\" PRIMARY KEY (\"version_num\")\n"
              ");\n");
}

static void test_ops_create_table_bad_input_is_one_line_error(void)
{
    runner_table t = { .name = "t", .columns = RUNNER_COLUMNS({ .name = "a", .type = "int" }) };
    runner_table none = { .name = "t" };
    runner_table notype = { .name = "t", .columns = RUNNER_COLUMNS({ .name = "a" }) };
    runner_table two_pk = {
        .name = "t",
        .columns = RUNNER_COLUMNS({ .name = "a", .type = "int", .primary_key = 1 }),
        .constraints = RUNNER_CONSTRAINTS({ .kind = RUNNER_PRIMARY_KEY,
                                            .columns = RUNNER_NAMES("a") }),
    };
    runner_table bad_action = {
        .name = "t",
        .columns = RUNNER_COLUMNS({ .name = "a", .type = "int" }),
        .constraints = RUNNER_CONSTRAINTS({ .kind = RUNNER_FOREIGN_KEY,
                                            .columns = RUNNER_NAMES("a"), .ref_table = "o",
                                            .on_delete = "CASCADE; DROP TABLE o" }),
    };
    runner_table fk_count = {
        .name = "t",
        .columns = RUNNER_COLUMNS({ .name = "a", .type = "int" }),
        .constraints = RUNNER_CONSTRAINTS({ .kind = RUNNER_FOREIGN_KEY,
                                            .columns = RUNNER_NAMES("a"), .ref_table = "o",
                                            .ref_columns = RUNNER_NAMES("x", "y") }),
    };
    runner_table empty_unique = {
        .name = "t",
        .columns = RUNNER_COLUMNS({ .name = "a", .type = "int" }),
        .constraints = RUNNER_CONSTRAINTS({ .kind = RUNNER_UNIQUE,
                                            .columns = (const char *const[]){ NULL } }),
    };
    runner_table bad_kind = {
        .name = "t",
        .columns = RUNNER_COLUMNS({ .name = "a", .type = "int" }),
        .constraints = RUNNER_CONSTRAINTS({ .kind = (enum runner_constraint_kind)42 }),
    };

    CHECK_ERR(ops_render_create_table(&s_, NULL, &e_), "missing table");
    t.name = NULL;
    CHECK_ERR(ops_render_create_table(&s_, &t, &e_), "missing table name");
    t.name = "";
    CHECK_ERR(ops_render_create_table(&s_, &t, &e_), "empty table name");
    t.name = "t";
    t.schema = "";
    CHECK_ERR(ops_render_create_table(&s_, &t, &e_), "empty schema name");
    CHECK_ERR(ops_render_create_table(&s_, &none, &e_), "table \"t\" has no columns");
    CHECK_ERR(ops_render_create_table(&s_, &notype, &e_), "missing type for column \"a\"");
    CHECK_ERR(ops_render_create_table(&s_, &two_pk, &e_),
              "table \"t\" has more than one primary key");
    CHECK_ERR(ops_render_create_table(&s_, &bad_action, &e_),
              "unknown ON DELETE action \"CASCADE; DROP TABLE o\" (expected CASCADE, SET NULL,"
              " SET DEFAULT, RESTRICT or NO ACTION)");
    CHECK_ERR(ops_render_create_table(&s_, &fk_count, &e_),
              "foreign key has 1 column but references 2");
    CHECK_ERR(ops_render_create_table(&s_, &empty_unique, &e_),
              "empty column list for unique constraint");
    CHECK_ERR(ops_render_create_table(&s_, &bad_kind, &e_), "unknown constraint kind 42");
}

static void test_ops_drop_and_rename_table(void)
{
    CHECK_SQL(ops_render_drop_table(&s_, NULL, "users", &e_), "DROP TABLE \"users\";\n");
    CHECK_SQL(ops_render_drop_table(&s_, "app", "users", &e_), "DROP TABLE \"app\".\"users\";\n");
    CHECK_SQL(ops_render_rename_table(&s_, "app", "users", "accounts", &e_),
              "ALTER TABLE \"app\".\"users\" RENAME TO \"accounts\";\n");
    CHECK_ERR(ops_render_drop_table(&s_, NULL, NULL, &e_), "missing table name");
    CHECK_ERR(ops_render_rename_table(&s_, NULL, "users", "", &e_), "empty new table name");
}

/* ------------------------------------------------------------------ */
/* Columns.                                                            */

static void test_ops_add_and_drop_column(void)
{
    runner_column plain = { .name = "age", .type = "integer" };
    runner_column full = { .name = "code", .type = "varchar(8)", .not_null = 1, .unique = 1,
                           .server_default = "'x'", .comment = "the code" };
    runner_column pk = { .name = "id", .type = "bigint", .primary_key = 1 };

    CHECK_SQL(ops_render_add_column(&s_, NULL, "users", &plain, &e_),
              "ALTER TABLE \"users\" ADD COLUMN \"age\" integer;\n");
    CHECK_SQL(ops_render_add_column(&s_, "app", "users", &full, &e_),
              "ALTER TABLE \"app\".\"users\" ADD COLUMN \"code\" varchar(8) DEFAULT 'x' NOT NULL UNIQUE;\n"
              "COMMENT ON COLUMN \"app\".\"users\".\"code\" IS 'the code';\n");
    CHECK_SQL(ops_render_add_column(&s_, NULL, "t", &pk, &e_),
              "ALTER TABLE \"t\" ADD COLUMN \"id\" bigint NOT NULL PRIMARY KEY;\n");
    CHECK_SQL(ops_render_drop_column(&s_, "app", "users", "age", &e_),
              "ALTER TABLE \"app\".\"users\" DROP COLUMN \"age\";\n");
    CHECK_ERR(ops_render_add_column(&s_, NULL, "users", NULL, &e_), "missing column");
    plain.type = "";
    CHECK_ERR(ops_render_add_column(&s_, NULL, "users", &plain, &e_),
              "missing type for column \"age\"");
    plain.type = "int";
    plain.server_default = "";
    CHECK_ERR(ops_render_add_column(&s_, NULL, "users", &plain, &e_), "empty server_default");
    CHECK_ERR(ops_render_drop_column(&s_, NULL, "users", NULL, &e_), "missing column name");
}

static void test_ops_alter_column_every_option_in_alembic_order(void)
{
    runner_alter all = { .type = "bigint", .using_expr = "id::bigint",
                         .nullable = RUNNER_SET_NOT_NULL, .server_default = "0",
                         .new_name = "uid" };
    runner_alter type_only = { .type = "text" };
    runner_alter nullable = { .nullable = RUNNER_SET_NULLABLE, .drop_default = 1 };

    CHECK_SQL(ops_render_alter_column(&s_, "app", "users", "id", &all, &e_),
              "ALTER TABLE \"app\".\"users\" ALTER COLUMN \"id\" TYPE bigint USING id::bigint;\n"
              "ALTER TABLE \"app\".\"users\" ALTER COLUMN \"id\" SET NOT NULL;\n"
              "ALTER TABLE \"app\".\"users\" ALTER COLUMN \"id\" SET DEFAULT 0;\n"
              "ALTER TABLE \"app\".\"users\" RENAME COLUMN \"id\" TO \"uid\";\n");
    CHECK_SQL(ops_render_alter_column(&s_, NULL, "users", "name", &type_only, &e_),
              "ALTER TABLE \"users\" ALTER COLUMN \"name\" TYPE text;\n");
    CHECK_SQL(ops_render_alter_column(&s_, NULL, "users", "name", &nullable, &e_),
              "ALTER TABLE \"users\" ALTER COLUMN \"name\" DROP NOT NULL;\n"
              "ALTER TABLE \"users\" ALTER COLUMN \"name\" DROP DEFAULT;\n");
}

static void test_ops_alter_column_bad_input(void)
{
    runner_alter nothing = { 0 };
    runner_alter using_alone = { .using_expr = "x::int" };
    runner_alter both_defaults = { .server_default = "1", .drop_default = 1 };
    runner_alter bad_nullable = { .nullable = (enum runner_nullable)7 };
    runner_alter bad_name = { .new_name = "" };

    CHECK_ERR(ops_render_alter_column(&s_, NULL, "t", "c", NULL, &e_), "missing alteration");
    CHECK_ERR(ops_render_alter_column(&s_, NULL, "t", "c", &nothing, &e_),
              "nothing to alter for column \"c\"");
    CHECK_ERR(ops_render_alter_column(&s_, NULL, "t", "c", &using_alone, &e_),
              "using expression without a new type for column \"c\"");
    CHECK_ERR(ops_render_alter_column(&s_, NULL, "t", "c", &both_defaults, &e_),
              "both a new default and drop_default for column \"c\"");
    CHECK_ERR(ops_render_alter_column(&s_, NULL, "t", "c", &bad_nullable, &e_),
              "unknown nullable value 7 for column \"c\"");
    CHECK_ERR(ops_render_alter_column(&s_, NULL, "t", "c", &bad_name, &e_),
              "empty new column name");
    CHECK_ERR(ops_render_alter_column(&s_, NULL, "t", NULL, &nothing, &e_),
              "missing column name");
}

/* ------------------------------------------------------------------ */
/* Indexes and constraints.                                            */

static void test_ops_create_index_every_option(void)
{
    runner_index guide = { .table = "users", .columns = RUNNER_NAMES("email"), .unique = 1 };
    runner_index multi = { .schema = "app", .table = "users",
                           .columns = RUNNER_NAMES("last", "first") };
    runner_index partial = { .name = "ix_active_email", .schema = "app", .table = "users",
                             .columns = RUNNER_NAMES("email"),
                             .expressions = RUNNER_NAMES("lower(name)"),
                             .where = "deleted_at IS NULL", .concurrently = 1, .unique = 1 };
    runner_index expr_only = { .name = "ix_lower", .table = "users",
                               .expressions = RUNNER_NAMES("lower(email)") };

    CHECK_SQL(ops_render_create_index(&s_, &guide, &e_),
              "CREATE UNIQUE INDEX \"ix_users_email\" ON \"users\" (\"email\");\n");
    CHECK_SQL(ops_render_create_index(&s_, &multi, &e_),
              "CREATE INDEX \"ix_users_last_first\" ON \"app\".\"users\" (\"last\", \"first\");\n");
    CHECK_SQL(ops_render_create_index(&s_, &partial, &e_),
              "CREATE UNIQUE INDEX CONCURRENTLY \"ix_active_email\" ON \"app\".\"users\""
              " (\"email\", lower(name)) WHERE deleted_at IS NULL;\n");
    CHECK_SQL(ops_render_create_index(&s_, &expr_only, &e_),
              "CREATE INDEX \"ix_lower\" ON \"users\" (lower(email));\n");
    CHECK_SQL(ops_render_drop_index(&s_, NULL, "ix_users_email", &e_),
              "DROP INDEX \"ix_users_email\";\n");
    CHECK_SQL(ops_render_drop_index(&s_, "app", "ix_users_email", &e_),
              "DROP INDEX \"app\".\"ix_users_email\";\n");
}

static void test_ops_index_name_is_shortened_like_sqlalchemy(void)
{
    /* python3: n = 'ix_t_' + 'a'*30 + '_' + 'b'*30;
     *          n[:55] + '_' + hashlib.md5(n.encode()).hexdigest()[-4:] */
    const char *a30 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", *b30 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    runner_index ix = { .table = "t", .columns = (const char *const[]){ a30, b30, NULL } };
    struct strbuf sb = STRBUF_INIT;
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL(ops_render_index_name(&sb, "t", ix.columns, &e), 0);
    CU_ASSERT_STRING_EQUAL(strbuf_str(&sb),
                           "ix_t_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbb_f247");
    CU_ASSERT_EQUAL(sb.len, 60);
    strbuf_release(&sb);
    CHECK_SQL(ops_render_create_index(&s_, &ix, &e_),
              "CREATE INDEX \"ix_t_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbb_f247\" ON"
              " \"t\" (\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\");\n");
    /* exactly 63 characters: kept as it is */
    ix.columns = RUNNER_NAMES("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbb");
    CU_ASSERT_EQUAL(ops_render_index_name(&sb, "t", ix.columns, &e), 0);
    CU_ASSERT_STRING_EQUAL(strbuf_str(&sb),
                           "ix_t_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbb");
    strbuf_release(&sb);
}

static void test_ops_create_index_bad_input(void)
{
    runner_index none = { .table = "users" };
    runner_index empty = { .table = "users", .columns = (const char *const[]){ NULL } };
    runner_index expr_unnamed = { .table = "users", .expressions = RUNNER_NAMES("lower(email)") };
    runner_index no_table = { .columns = RUNNER_NAMES("a") };
    runner_index empty_where = { .table = "users", .columns = RUNNER_NAMES("a"), .where = "" };

    CHECK_ERR(ops_render_create_index(&s_, NULL, &e_), "missing index");
    CHECK_ERR(ops_render_create_index(&s_, &none, &e_), "empty column list for index on \"users\"");
    CHECK_ERR(ops_render_create_index(&s_, &empty, &e_), "empty column list for index on \"users\"");
    CHECK_ERR(ops_render_create_index(&s_, &expr_unnamed, &e_),
              "index on \"users\" needs a name: it has no plain columns to name it after");
    CHECK_ERR(ops_render_create_index(&s_, &no_table, &e_), "missing table name");
    CHECK_ERR(ops_render_create_index(&s_, &empty_where, &e_), "empty index predicate");
    CHECK_ERR(ops_render_drop_index(&s_, NULL, "", &e_), "empty index name");
}

static void test_ops_create_and_drop_constraints(void)
{
    runner_constraint uq = { .kind = RUNNER_UNIQUE, .name = "uq_users_email",
                             .columns = RUNNER_NAMES("email") };
    runner_constraint fk = { .kind = RUNNER_FOREIGN_KEY, .name = "fk_posts_user",
                             .columns = RUNNER_NAMES("user_id", "tenant"), .ref_schema = "app",
                             .ref_table = "users", .ref_columns = RUNNER_NAMES("id", "tenant"),
                             .on_delete = "SET NULL", .on_update = "Restrict" };
    runner_constraint ck = { .kind = RUNNER_CHECK, .name = "ck_age", .check = "age >= 0" };
    runner_constraint pk = { .kind = RUNNER_PRIMARY_KEY, .columns = RUNNER_NAMES("id") };
    runner_constraint ck_empty = { .kind = RUNNER_CHECK, .name = "ck" };
    runner_constraint bad_update = { .kind = RUNNER_FOREIGN_KEY, .columns = RUNNER_NAMES("a"),
                                     .ref_table = "o", .on_update = "SET" };
    runner_constraint no_ref = { .kind = RUNNER_FOREIGN_KEY, .columns = RUNNER_NAMES("a") };

    CHECK_SQL(ops_render_create_constraint(&s_, NULL, "users", &uq, &e_),
              "ALTER TABLE \"users\" ADD CONSTRAINT \"uq_users_email\" UNIQUE (\"email\");\n");
    CHECK_SQL(ops_render_create_constraint(&s_, "app", "posts", &fk, &e_),
              "ALTER TABLE \"app\".\"posts\" ADD CONSTRAINT \"fk_posts_user\" FOREIGN KEY"
              " (\"user_id\", \"tenant\") REFERENCES \"app\".\"users\" (\"id\", \"tenant\")"
              " ON DELETE SET NULL ON UPDATE RESTRICT;\n");
    CHECK_SQL(ops_render_create_constraint(&s_, NULL, "users", &ck, &e_),
              "ALTER TABLE \"users\" ADD CONSTRAINT \"ck_age\" CHECK (age >= 0);\n");
    CHECK_SQL(ops_render_create_constraint(&s_, NULL, "users", &pk, &e_),
              "ALTER TABLE \"users\" ADD PRIMARY KEY (\"id\");\n");
    CHECK_SQL(ops_render_drop_constraint(&s_, "app", "users", "uq_users_email", &e_),
              "ALTER TABLE \"app\".\"users\" DROP CONSTRAINT \"uq_users_email\";\n");
    CHECK_ERR(ops_render_create_constraint(&s_, NULL, "users", NULL, &e_), "missing constraint");
    CHECK_ERR(ops_render_create_constraint(&s_, NULL, "users", &ck_empty, &e_),
              "check constraint without a condition");
    CHECK_ERR(ops_render_create_constraint(&s_, NULL, "users", &bad_update, &e_),
              "unknown ON UPDATE action \"SET\" (expected CASCADE, SET NULL, SET DEFAULT,"
              " RESTRICT or NO ACTION)");
    CHECK_ERR(ops_render_create_constraint(&s_, NULL, "users", &no_ref, &e_),
              "missing referenced table name");
    CHECK_ERR(ops_render_drop_constraint(&s_, NULL, "users", NULL, &e_),
              "missing constraint name");
}

/* ------------------------------------------------------------------ */
/* Bulk insert.                                                        */

static void test_ops_bulk_insert_literals_and_params(void)
{
    const char *const cols[] = { "id", "name", NULL };
    const char *const values[] = { "1", "O'Brien", "2", NULL, "3", "C:\\dir" };
    struct strbuf sb = STRBUF_INIT;
    struct err e = ERR_INIT;

    CHECK_SQL(ops_render_insert_literals(&s_, "app", "users", cols, values, 3, &e_),
              "INSERT INTO \"app\".\"users\" (\"id\", \"name\") VALUES ('1', 'O''Brien');\n"
              "INSERT INTO \"app\".\"users\" (\"id\", \"name\") VALUES ('2', NULL);\n"
              "INSERT INTO \"app\".\"users\" (\"id\", \"name\") VALUES ('3', E'C:\\\\dir');\n");
    CHECK_SQL(ops_render_insert_literals(&s_, NULL, "users", cols, NULL, 0, &e_), "");
    CU_ASSERT_EQUAL(ops_render_insert_params(&sb, NULL, "users", cols, 3, &e), 0);
    CU_ASSERT_STRING_EQUAL(strbuf_str(&sb), "INSERT INTO \"users\" (\"id\", \"name\") VALUES"
                                            " ($1, $2), ($3, $4), ($5, $6)");
    strbuf_release(&sb);
    CU_ASSERT_EQUAL(ops_render_insert_params(&sb, NULL, "users", cols, 40000, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "cannot insert 40000 rows of 2 columns in one statement");
    strbuf_release(&sb);
    CHECK_ERR(ops_render_insert_literals(&s_, NULL, "users", cols, NULL, 2, &e_),
              "missing values for 2 rows");
    CHECK_ERR(ops_render_insert_literals(&s_, NULL, "users", (const char *const[]){ NULL },
                                         values, 1, &e_),
              "empty column list for bulk insert");
    CHECK_ERR(ops_render_insert_literals(&s_, NULL, "users", NULL, values, 1, &e_),
              "empty column list for bulk insert");
}

/* ------------------------------------------------------------------ */
/* Hostile names and values.                                           */

/* Read back a rendered identifier as PostgreSQL's lexer would: it must be
 * exactly one quoted identifier covering the whole string.  Returns the
 * name (caller frees) or NULL. */
static char *unquote_ident(const char *s)
{
    struct strbuf sb = STRBUF_INIT;

    if (*s++ != '"')
        return NULL;
    for (;;) {
        if (*s == '\0') {
            strbuf_release(&sb);
            return NULL;                /* unterminated */
        }
        if (*s == '"') {
            if (s[1] != '"')
                break;
            s++;
        }
        strbuf_addch(&sb, *s++);
    }
    if (s[1] != '\0') {
        strbuf_release(&sb);
        return NULL;                    /* something after the closing quote */
    }
    return strbuf_detach(&sb);
}

/* Likewise for a literal, under both settings of standard_conforming_strings
 * (backslashes are escapes in E'' always, and in '' when std is 0). */
static char *unquote_literal(const char *s, int std)
{
    struct strbuf sb = STRBUF_INIT;
    int escapes = !std;

    if (*s == 'E') {
        escapes = 1;
        s++;
    }
    if (*s++ != '\'')
        return NULL;
    for (;;) {
        if (*s == '\0')
            goto bad;
        if (escapes && *s == '\\') {
            if (s[1] != '\\' && s[1] != '\'')
                goto bad;               /* renderer never emits other escapes */
            s++;
        } else if (*s == '\'') {
            if (s[1] != '\'')
                break;
            s++;
        }
        strbuf_addch(&sb, *s++);
    }
    if (s[1] != '\0')
        goto bad;
    return strbuf_detach(&sb);
bad:
    strbuf_release(&sb);
    return NULL;
}

static const char *const hostile[] = {
    "users\"; DROP TABLE users; --",
    "\"",
    "\"\"",
    "a'b",
    "back\\slash\\",
    "semi;colon",
    "new\nline\r\ttab",
    "\xe3\x83\xa6\xe3\x83\xbc\xe3\x82\xb6\xe3\x83\xbc",        /* ユーザー */
    "emoji \xf0\x9f\x98\x80 \"quoted\"",
    "$1",
    "$$dollar$$",
    "U&\"\\0041\"",
    "-- comment",
    "/* open comment",
    NULL,
};

static void test_ops_hostile_identifiers_are_quoted_exactly(void)
{
    for (size_t i = 0; hostile[i]; i++) {
        struct strbuf sb = STRBUF_INIT;
        struct err e = ERR_INIT;
        char *back;

        CU_ASSERT_EQUAL_FATAL(ops_render_ident(&sb, hostile[i], "table name", &e), 0);
        back = unquote_ident(strbuf_str(&sb));
        CU_ASSERT_PTR_NOT_NULL(back);
        if (back)
            CU_ASSERT_STRING_EQUAL(back, hostile[i]);
        free(back);
        strbuf_release(&sb);
    }
    /* every byte value in one name */
    {
        char all[256];
        struct strbuf sb = STRBUF_INIT;
        struct err e = ERR_INIT;
        char *back;

        for (int i = 1; i < 256; i++)
            all[i - 1] = (char)i;
        all[255] = '\0';
        all[OPS_MAX_IDENT] = '\0';              /* 1..63 */
        CU_ASSERT_EQUAL(ops_render_ident(&sb, all, "table name", &e), 0);
        back = unquote_ident(strbuf_str(&sb));
        CU_ASSERT_PTR_NOT_NULL(back);
        if (back)
            CU_ASSERT_STRING_EQUAL(back, all);
        free(back);
        strbuf_release(&sb);
    }
}

static void test_ops_hostile_literals_read_back_under_both_settings(void)
{
    for (size_t i = 0; hostile[i]; i++) {
        struct strbuf sb = STRBUF_INIT;

        sql_quote_literal(&sb, hostile[i]);
        for (int std = 0; std <= 1; std++) {
            char *back = unquote_literal(strbuf_str(&sb), std);

            CU_ASSERT_PTR_NOT_NULL(back);
            if (back)
                CU_ASSERT_STRING_EQUAL(back, hostile[i]);
            free(back);
        }
        strbuf_release(&sb);
    }
    {
        struct strbuf sb = STRBUF_INIT;

        sql_quote_literal(&sb, "\\'; DROP TABLE users; --");
        CU_ASSERT_STRING_EQUAL(strbuf_str(&sb), "E'\\\\''; DROP TABLE users; --'");
        strbuf_reset(&sb);
        sql_quote_literal(&sb, NULL);
        CU_ASSERT_STRING_EQUAL(strbuf_str(&sb), "NULL");
        strbuf_reset(&sb);
        sql_quote_literal(&sb, "");
        CU_ASSERT_STRING_EQUAL(strbuf_str(&sb), "''");
        strbuf_release(&sb);
    }
}

static void test_ops_hostile_names_through_every_render(void)
{
    const char *h = "we\"ird; DROP TABLE x; --\n\\";
    const char *q = "\"we\"\"ird; DROP TABLE x; --\n\\\"";
    char expected[1024];
    runner_table t = { .schema = h, .name = h,
                       .columns = (const runner_column[]){ { .name = h, .type = "int",
                                                             .comment = h },
                                                           { 0 } } };
    runner_alter a = { .new_name = h };
    runner_index ix = { .name = h, .schema = h, .table = h,
                        .columns = (const char *const[]){ h, NULL } };
    runner_constraint fk = { .kind = RUNNER_FOREIGN_KEY, .name = h,
                             .columns = (const char *const[]){ h, NULL }, .ref_schema = h,
                             .ref_table = h, .ref_columns = (const char *const[]){ h, NULL } };
    const char *const vals[] = { h };

    snprintf(expected, sizeof(expected),
             "CREATE TABLE %s.%s (\n    %s int\n);\nCOMMENT ON COLUMN %s.%s.%s IS"
             " E'we\"ird; DROP TABLE x; --\n\\\\';\n", q, q, q, q, q, q);
    CHECK_SQL(ops_render_create_table(&s_, &t, &e_), expected);
    snprintf(expected, sizeof(expected), "DROP TABLE %s.%s;\n", q, q);
    CHECK_SQL(ops_render_drop_table(&s_, h, h, &e_), expected);
    snprintf(expected, sizeof(expected), "ALTER TABLE %s.%s RENAME TO %s;\n", q, q, q);
    CHECK_SQL(ops_render_rename_table(&s_, h, h, h, &e_), expected);
    snprintf(expected, sizeof(expected), "ALTER TABLE %s.%s DROP COLUMN %s;\n", q, q, q);
    CHECK_SQL(ops_render_drop_column(&s_, h, h, h, &e_), expected);
    snprintf(expected, sizeof(expected), "ALTER TABLE %s.%s RENAME COLUMN %s TO %s;\n",
             q, q, q, q);
    CHECK_SQL(ops_render_alter_column(&s_, h, h, h, &a, &e_), expected);
    snprintf(expected, sizeof(expected), "CREATE INDEX %s ON %s.%s (%s);\n", q, q, q, q);
    CHECK_SQL(ops_render_create_index(&s_, &ix, &e_), expected);
    snprintf(expected, sizeof(expected), "DROP INDEX %s.%s;\n", q, q);
    CHECK_SQL(ops_render_drop_index(&s_, h, h, &e_), expected);
    snprintf(expected, sizeof(expected),
             "ALTER TABLE %s.%s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s.%s (%s);\n",
             q, q, q, q, q, q, q);
    CHECK_SQL(ops_render_create_constraint(&s_, h, h, &fk, &e_), expected);
    snprintf(expected, sizeof(expected), "ALTER TABLE %s.%s DROP CONSTRAINT %s;\n", q, q, q);
    CHECK_SQL(ops_render_drop_constraint(&s_, h, h, h, &e_), expected);
    snprintf(expected, sizeof(expected),
             "INSERT INTO %s.%s (%s) VALUES (E'we\"ird; DROP TABLE x; --\n\\\\');\n", q, q, q);
    CHECK_SQL(ops_render_insert_literals(&s_, h, h, (const char *const[]){ h, NULL }, vals, 1,
                                         &e_),
              expected);
}

static void test_ops_name_length_limit_is_postgresql_s(void)
{
    char name[OPS_MAX_IDENT + 2];
    char *big = malloc(10241);
    struct ops_stmts s_unused = OPS_STMTS_INIT;
    struct strbuf sb = STRBUF_INIT;
    struct err e = ERR_INIT;

    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    memset(name, 'n', sizeof(name) - 1);
    name[OPS_MAX_IDENT] = '\0';
    CU_ASSERT_EQUAL(ops_render_ident(&sb, name, "table name", &e), 0);
    CU_ASSERT_EQUAL(sb.len, OPS_MAX_IDENT + 2);
    strbuf_release(&sb);
    name[OPS_MAX_IDENT] = 'n';
    name[OPS_MAX_IDENT + 1] = '\0';
    CU_ASSERT_EQUAL(ops_render_ident(&sb, name, "table name", &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "table name \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...\" is too long"
                                  " (64 bytes, at most 63)");
    strbuf_release(&sb);

    /* 10 kB of quotes, newlines, semicolons and backslashes: a bounded
     * one-line error, whichever argument it is */
    for (size_t i = 0; i < 10240; i++)
        big[i] = "\"\n;\\"[i % 4];
    big[10240] = '\0';
    strbuf_adds(&sb, "table name \"");
    for (int i = 0; i < 8; i++)
        strbuf_adds(&sb, "\" ;\\");
    strbuf_adds(&sb, "...\" is too long (10240 bytes, at most 63)");
    CHECK_ERR(ops_render_drop_table(&s_, NULL, big, &e_), strbuf_str(&sb));
    strbuf_release(&sb);
    {
        runner_column c = { .name = big, .type = "int" };
        runner_alter a = { .new_name = big };
        runner_index ix = { .table = "t", .columns = (const char *const[]){ big, NULL } };
        runner_constraint k = { .kind = RUNNER_UNIQUE, .name = big,
                                .columns = RUNNER_NAMES("a") };

        CU_ASSERT_EQUAL(ops_render_drop_table(&s_unused, big, "t", &e), -1);
        CU_ASSERT(strncmp(e.msg, "schema name ", 12) == 0);
        CU_ASSERT_EQUAL(ops_render_add_column(&s_unused, NULL, "t", &c, &e), -1);
        CU_ASSERT(strncmp(e.msg, "column name ", 12) == 0);
        CU_ASSERT_EQUAL(ops_render_alter_column(&s_unused, NULL, "t", "c", &a, &e), -1);
        CU_ASSERT(strncmp(e.msg, "new column name ", 16) == 0);
        CU_ASSERT_EQUAL(ops_render_create_index(&s_unused, &ix, &e), -1);
        CU_ASSERT(strncmp(e.msg, "index column name ", 18) == 0);
        CU_ASSERT_EQUAL(ops_render_create_constraint(&s_unused, NULL, "t", &k, &e), -1);
        CU_ASSERT(strncmp(e.msg, "constraint name ", 16) == 0);
        CU_ASSERT_EQUAL(s_unused.n, 0);
        CU_ASSERT(strlen(e.msg) < 200);
        CU_ASSERT_PTR_NULL(strchr(e.msg, '\n'));
    }
    free(big);
}

/* ------------------------------------------------------------------ */
/* The offline table (ops_sql.c), as a plugin sees it.                 */

static void test_ops_sql_writes_alembic_style_script(void)
{
    const runner_table users = {
        .name = "users",
        .columns = RUNNER_COLUMNS(
            { .name = "id", .type = "serial", .primary_key = 1 },
            { .name = "email", .type = "varchar(255)", .not_null = 1 }),
    };
    runner_index ix = { .table = "users", .columns = RUNNER_NAMES("email"), .unique = 1 };
    const char *const params[] = { "O'Brien", NULL };
    const char *const values[] = { "1", "a@b", "2", NULL };
    char *buf = NULL, *logbuf = NULL;
    size_t len = 0, loglen = 0;
    FILE *f = open_memstream(&buf, &len);
    FILE *logf = open_memstream(&logbuf, &loglen);
    struct op_state st;
    runner_op *op = &st.head;

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(logf);
    ops_sql_init(&st, f, "ae1027a6acf", "plugins/ae1027a6acf_users.so");
    st.log = logf;
    CU_ASSERT_PTR_EQUAL(ops_state(op), &st);
    CU_ASSERT_EQUAL(op->api->abi_version, RUNNER_ABI_VERSION);
    CU_ASSERT_EQUAL(op->api->size, sizeof(struct runner_op_api));
    CU_ASSERT_EQUAL(op_is_offline(op), 1);
    CU_ASSERT_PTR_NULL(op_pgconn(op));
    CU_ASSERT_EQUAL(op_create_table(op, &users), 0);
    CU_ASSERT_EQUAL(op_create_index(op, &ix), 0);
    CU_ASSERT_EQUAL(op_execute(op, "UPDATE users SET email = lower(email);  \n"), 0);
    CU_ASSERT_EQUAL(op_execute(op, "SELECT 1 -- a trailing comment"), 0);
    CU_ASSERT_EQUAL(op_execute_params(op, "UPDATE users SET email = $1 WHERE id = $2", 2,
                                      params), 0);
    CU_ASSERT_EQUAL(op_execute_params(op, "SELECT 2", 0, NULL), 0);
    CU_ASSERT_EQUAL(op_bulk_insert(op, NULL, "users", RUNNER_NAMES("id", "email"), values, 2), 0);
    CU_ASSERT_EQUAL(op_add_column(op, NULL, "users", &(runner_column){ .name = "age",
                                                                        .type = "int" }), 0);
    CU_ASSERT_EQUAL(op_alter_column(op, NULL, "users", "age",
                                    &(runner_alter){ .new_name = "years" }), 0);
    CU_ASSERT_EQUAL(op_drop_column(op, NULL, "users", "years"), 0);
    CU_ASSERT_EQUAL(op_create_constraint(op, NULL, "users",
                                         &(runner_constraint){ .kind = RUNNER_CHECK,
                                                               .name = "ck", .check = "id > 0" }),
                    0);
    CU_ASSERT_EQUAL(op_drop_constraint(op, NULL, "users", "ck"), 0);
    CU_ASSERT_EQUAL(op_drop_index(op, NULL, "ix_users_email"), 0);
    CU_ASSERT_EQUAL(op_rename_table(op, NULL, "users", "accounts"), 0);
    CU_ASSERT_EQUAL(op_drop_table(op, NULL, "accounts"), 0);
    op_log(op, "two\nlines");
    CU_ASSERT_EQUAL(st.err.code, ERR_OK);
    fclose(f);
    fclose(logf);
    CU_ASSERT_STRING_EQUAL(buf,
        "CREATE TABLE \"users\" (\n"
        "    \"id\" serial NOT NULL,\n"
        "    \"email\" varchar(255) NOT NULL,\n"
        "    PRIMARY KEY (\"id\")\n"
        ");\n\n"
        "CREATE UNIQUE INDEX \"ix_users_email\" ON \"users\" (\"email\");\n\n"
        "UPDATE users SET email = lower(email);\n\n"
        "SELECT 1 -- a trailing comment\n;\n\n"
        "PREPARE runner_p1 AS UPDATE users SET email = $1 WHERE id = $2;\n\n"
        "EXECUTE runner_p1('O''Brien', NULL);\n\n"
        "DEALLOCATE runner_p1;\n\n"
        "SELECT 2;\n\n"
        "INSERT INTO \"users\" (\"id\", \"email\") VALUES ('1', 'a@b');\n\n"
        "INSERT INTO \"users\" (\"id\", \"email\") VALUES ('2', NULL);\n\n"
        "ALTER TABLE \"users\" ADD COLUMN \"age\" int;\n\n"
        "ALTER TABLE \"users\" RENAME COLUMN \"age\" TO \"years\";\n\n"
        "ALTER TABLE \"users\" DROP COLUMN \"years\";\n\n"
        "ALTER TABLE \"users\" ADD CONSTRAINT \"ck\" CHECK (id > 0);\n\n"
        "ALTER TABLE \"users\" DROP CONSTRAINT \"ck\";\n\n"
        "DROP INDEX \"ix_users_email\";\n\n"
        "ALTER TABLE \"users\" RENAME TO \"accounts\";\n\n"
        "DROP TABLE \"accounts\";\n\n");
    CU_ASSERT_STRING_EQUAL(logbuf, "runner: revision ae1027a6acf: two lines\n");
    free(buf);
    free(logbuf);
}

static void test_ops_sql_first_failure_wins_and_stops_output(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct op_state st;
    runner_op *op = &st.head;
    const char *expected = "revision ae10 (plugins/ae10.so): op_create_constraint: unknown"
                           " ON DELETE action \"explode\" (expected CASCADE, SET NULL,"
                           " SET DEFAULT, RESTRICT or NO ACTION)";

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    ops_sql_init(&st, f, "ae10", "plugins/ae10.so");
    CU_ASSERT_EQUAL(op_execute(op, "SELECT 1"), 0);
    CU_ASSERT_EQUAL(op_create_constraint(op, NULL, "t",
                                         &(runner_constraint){ .kind = RUNNER_FOREIGN_KEY,
                                                               .columns = RUNNER_NAMES("a"),
                                                               .ref_table = "o",
                                                               .on_delete = "explode" }),
                    -1);
    CU_ASSERT_EQUAL(st.err.code, ERR_FAIL);
    CU_ASSERT_STRING_EQUAL(st.err.msg, expected);
    /* later ops refuse and keep the first error */
    CU_ASSERT_EQUAL(op_execute(op, "SELECT 2"), -1);
    CU_ASSERT_EQUAL(op_drop_table(op, NULL, ""), -1);
    CU_ASSERT_EQUAL(op_bulk_insert(op, NULL, "t", RUNNER_NAMES("a"), NULL, 0), -1);
    CU_ASSERT_STRING_EQUAL(st.err.msg, expected);
    fclose(f);
    CU_ASSERT_STRING_EQUAL(buf, "SELECT 1;\n\n");
    free(buf);

    /* without a file name, and for a bad execute */
    f = open_memstream(&buf, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    ops_sql_init(&st, f, "ae10", NULL);
    CU_ASSERT_EQUAL(op_execute(op, NULL), -1);
    CU_ASSERT_STRING_EQUAL(st.err.msg, "revision ae10: op_execute: missing sql");
    ops_sql_init(&st, f, "ae10", NULL);
    CU_ASSERT_EQUAL(op_execute(op, " ;\n"), -1);
    CU_ASSERT_STRING_EQUAL(st.err.msg, "revision ae10: op_execute: empty sql");
    ops_sql_init(&st, f, "ae10", NULL);
    CU_ASSERT_EQUAL(op_execute_params(op, "SELECT $1", 1, NULL), -1);
    CU_ASSERT_STRING_EQUAL(st.err.msg, "revision ae10: op_execute_params: missing parameters");
    ops_sql_init(&st, f, "ae10", NULL);
    CU_ASSERT_EQUAL(op_execute_params(op, "SELECT 1", -1, NULL), -1);
    CU_ASSERT_STRING_EQUAL(st.err.msg,
                           "revision ae10: op_execute_params: invalid number of parameters -1");
    fclose(f);
    CU_ASSERT_STRING_EQUAL(buf, "");
    free(buf);
}

static void test_ops_sql_write_failure_is_an_error(void)
{
    FILE *f = fopen("/dev/null", "r");      /* writing to it fails */
    struct op_state st;

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    ops_sql_init(&st, f, "ae10", "x.so");
    CU_ASSERT_EQUAL(op_drop_table(&st.head, NULL, "t"), -1);
    CU_ASSERT(strncmp(st.err.msg, "revision ae10 (x.so): op_drop_table: cannot write the sql script: ",
                      66) == 0);
    fclose(f);
}

CU_TestInfo ops_render_tests[] = {
    { "create table: the guide's users table", test_ops_create_table_guide_users },
    { "create table: composite pk, constraints, comments",
      test_ops_create_table_composite_pk_constraints_and_comments },
    { "create table: named primary key constraint",
      test_ops_create_table_named_primary_key_constraint },
    { "create table: bad input is a one-line error", test_ops_create_table_bad_input_is_one_line_error },
    { "drop and rename table", test_ops_drop_and_rename_table },
    { "add and drop column", test_ops_add_and_drop_column },
    { "alter column: every option, alembic's order",
      test_ops_alter_column_every_option_in_alembic_order },
    { "alter column: bad input", test_ops_alter_column_bad_input },
    { "create index: every option", test_ops_create_index_every_option },
    { "index name shortened like sqlalchemy", test_ops_index_name_is_shortened_like_sqlalchemy },
    { "create index: bad input", test_ops_create_index_bad_input },
    { "create and drop constraints", test_ops_create_and_drop_constraints },
    { "bulk insert: literals and params", test_ops_bulk_insert_literals_and_params },
    { "hostile identifiers are quoted exactly", test_ops_hostile_identifiers_are_quoted_exactly },
    { "hostile literals read back under both settings",
      test_ops_hostile_literals_read_back_under_both_settings },
    { "hostile names through every render", test_ops_hostile_names_through_every_render },
    { "name length limit is postgresql's", test_ops_name_length_limit_is_postgresql_s },
    { "offline: alembic-style script", test_ops_sql_writes_alembic_style_script },
    { "offline: first failure wins and stops output",
      test_ops_sql_first_failure_wins_and_stops_output },
    { "offline: write failure is an error", test_ops_sql_write_failure_is_an_error },
    CU_TEST_INFO_NULL,
};
