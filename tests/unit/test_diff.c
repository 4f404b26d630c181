/* test_diff.c -- schema normalisation, diff and codegen on in-memory
 * schemas (runner/autogen/schema.c, diff.c, codegen.c): no database, no dlopen.
 * The "database" side is built from model declarations too, then touched
 * up the way introspect.c reports things (sequence defaults, casts). */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <runner/model.h>

#include "c_escape.h"
#include "codegen.h"
#include "diff.h"
#include "models.h"
#include "schema.h"
#include "strbuf.h"

/* ------------------------------------------------------------------ */
/* Fixtures. */

static const runner_model user_model = {
    .model = "user",
    .table = "users",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1, .index = 1 },
        { .name = "email", .type = RUNNER_T_STRING, .unique = 1, .index = 1 },
        { .name = "name", .type = RUNNER_T_STRING },
        { .name = "created_at", .type = RUNNER_T_DATETIME, .server_default = "now()" }),
};

/* users as a later revision wants it: name text NOT NULL DEFAULT 'x',
 * created_at gone, age added, a unique constraint and a check. */
static const runner_model user_v2_model = {
    .model = "user",
    .table = "users",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1, .index = 1 },
        { .name = "email", .type = RUNNER_T_STRING, .unique = 1, .index = 1 },
        { .name = "name", .type = RUNNER_T_TEXT, .not_null = 1, .server_default = "'x'" },
        { .name = "age", .type = RUNNER_T_SMALLINTEGER },
        { .name = "nick", .type = RUNNER_T_VARCHAR(20), .unique = 1 }),
    .constraints = RUNNER_CONSTRAINTS(
        { .kind = RUNNER_CHECK, .name = "ck_users_age", .check = "age >= 0" }),
};

static const runner_model post_model = {
    .model = "post",
    .table = "posts",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1 },
        { .name = "user_id", .type = RUNNER_T_INTEGER, .foreign_key = "users.id",
          .on_delete = "cascade" }),
};

/* a <-> b: a cycle of foreign keys */
static const runner_model a_model = {
    .model = "a",
    .table = "a",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1 },
        { .name = "b_id", .type = RUNNER_T_INTEGER, .foreign_key = "b.id" }),
};

static const runner_model b_model = {
    .model = "b",
    .table = "b",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1 },
        { .name = "a_id", .type = RUNNER_T_INTEGER, .foreign_key = "a.id" }),
};

/* posts as a later revision wants it: another ON DELETE, a partial index */
static const runner_model post_v2 = {
    .model = "post",
    .table = "posts",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1 },
        { .name = "user_id", .type = RUNNER_T_INTEGER, .foreign_key = "users.id",
          .on_delete = "SET NULL" }),
    .indexes = RUNNER_MODEL_INDEXES(
        { .name = "ix_posts_live", .columns = RUNNER_NAMES("user_id"), .where = "user_id > 0" }),
};

/* names that are hard on a C string literal */
static const runner_model odd = {
    .model = "odd",
    .schema = "sch\"ema",
    .table = "t\\a\"b/*le*/",
    .comment = "line1\nline2 ?\?= caf\xc3\xa9",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1 },
        { .name = "na\"me\n", .type = RUNNER_T_VARCHAR(3), .server_default = "'\\'",
          .comment = "it's \"quoted\"", .index = 1 }),
};

#define REGISTRY(...)                                                \
    (&(const struct runner_models){                                  \
        .magic = RUNNER_MODELS_MAGIC,                                \
        .abi_version = RUNNER_MODELS_ABI_VERSION,                    \
        .size = sizeof(struct runner_models),                        \
        .models = (const runner_model *const[]){ __VA_ARGS__, NULL } })

#define EMPTY_REGISTRY                                               \
    (&(const struct runner_models){                                  \
        .magic = RUNNER_MODELS_MAGIC,                                \
        .abi_version = RUNNER_MODELS_ABI_VERSION,                    \
        .size = sizeof(struct runner_models),                        \
        .models = (const runner_model *const[]){ NULL } })

static void load(const struct runner_models *reg, struct schema *s)
{
    struct err e = ERR_INIT;

    *s = (struct schema)SCHEMA_INIT;
    CU_ASSERT_EQUAL_FATAL(models_convert(reg, s, &e), 0);
}

/* Make the "database" side look like introspect.c's output: a serial
 * column carries its sequence default. */
static void as_introspected(struct schema *s)
{
    for (size_t i = 0; i < s->n_tables; i++) {
        struct schema_table *t = &s->tables[i];

        for (size_t j = 0; j < t->n_columns; j++) {
            struct schema_column *c = &t->columns[j];
            char buf[256];

            if (!c->autoincrement)
                continue;
            snprintf(buf, sizeof(buf), "nextval('%s_%s_seq'::regclass)", t->name, c->name);
            free(c->server_default);
            c->server_default = strdup(buf);
        }
    }
}

/* All "Detected" lines of d, joined by newlines. */
static char *describe_all(const struct diff *d)
{
    struct strbuf sb = STRBUF_INIT;

    for (size_t i = 0; i < d->n_ops; i++) {
        char *line = diff_describe(&d->ops[i]);

        if (line) {
            strbuf_adds(&sb, line);
            strbuf_addch(&sb, '\n');
        }
        free(line);
    }
    return strbuf_detach(&sb);
}

/* ------------------------------------------------------------------ */
/* Normalisation. */

static void check_type(const char *in, const char *want, int want_serial)
{
    int serial = -1;
    char *got = schema_type_normalise(in, &serial);

    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "\ntype '%s': got '%s', want '%s'\n", in, got, want);
    CU_ASSERT_STRING_EQUAL(got, want);
    CU_ASSERT_EQUAL(serial, want_serial);
    free(got);
}

static void test_type_synonyms_normalise_to_format_type(void)
{
    check_type("int4", "integer", 0);
    check_type("INT", "integer", 0);
    check_type("int8", "bigint", 0);
    check_type("int2", "smallint", 0);
    check_type("varchar", "character varying", 0);
    check_type("VARCHAR(255)", "character varying(255)", 0);
    check_type("character  varying ( 20 )", "character varying(20)", 0);
    check_type("timestamptz", "timestamp with time zone", 0);
    check_type("timestamp", "timestamp without time zone", 0);
    check_type("timestamp(3) with time zone", "timestamp(3) with time zone", 0);
    check_type("timestamptz(3)", "timestamp(3) with time zone", 0);
    check_type("bool", "boolean", 0);
    check_type("float8", "double precision", 0);
    check_type("decimal(10, 2)", "numeric(10,2)", 0);
    check_type("char", "character(1)", 0);
    check_type("int4[]", "integer[]", 0);
    check_type("varchar(5)[]", "character varying(5)[]", 0);
    check_type("serial", "integer", 1);
    check_type("bigserial", "bigint", 1);
    check_type("\"Mood\"", "\"Mood\"", 0);
    check_type("jsonb", "jsonb", 0);
}

static void test_type_display_is_short_and_normalises_back(void)
{
    const char *types[] = { "character varying", "character varying(20)",
                            "timestamp without time zone", "timestamp with time zone",
                            "time without time zone", "character varying(3)[]", "integer" };
    const char *shown[] = { "varchar", "varchar(20)", "timestamp", "timestamptz", "time",
                            "varchar(3)[]", "integer" };

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        char *d = schema_type_display(types[i]);
        char *back = schema_type_normalise(d, NULL);

        CU_ASSERT_STRING_EQUAL(d, shown[i]);
        CU_ASSERT_STRING_EQUAL(back, types[i]);
        free(d);
        free(back);
    }
}

static void check_default(const char *a, const char *b, int equal)
{
    char *na = schema_default_normalise(a), *nb = schema_default_normalise(b);

    CU_ASSERT_PTR_NOT_NULL_FATAL(na);
    CU_ASSERT_PTR_NOT_NULL_FATAL(nb);
    if ((strcmp(na, nb) == 0) != equal)
        fprintf(stderr, "\ndefaults '%s' ('%s') and '%s' ('%s'): want %s\n", a, na, b, nb,
                equal ? "equal" : "different");
    CU_ASSERT_EQUAL(strcmp(na, nb) == 0, equal);
    free(na);
    free(nb);
}

static void test_defaults_compare_across_postgres_rendering(void)
{
    check_default("'x'::character varying", "'x'", 1);
    check_default("'it''s'::text", "'it''s'", 1);
    check_default("CURRENT_TIMESTAMP", "now()", 1);
    check_default("now()", "NOW()", 1);
    check_default("'-1'::integer", "-1", 1);
    check_default("(0)", "0", 1);
    check_default("'2020-01-01 00:00:00'::timestamp without time zone", "'2020-01-01 00:00:00'", 1);
    check_default("'{}'::text[]", "'{}'", 1);
    check_default("true", "TRUE", 1);
    check_default("'x'", "'y'", 0);
    check_default("'X'", "'x'", 0);             /* literals keep their case */
    check_default("0", "1", 0);
    check_default("(a + b) * c", "a + b * c", 0);
}

static void test_default_constraint_names_follow_postgres(void)
{
    const char *cols[] = { "user_id", "title" };
    char long_table[80];
    char *n;

    n = schema_default_constraint_name("users", NULL, 0, "pkey");
    CU_ASSERT_STRING_EQUAL(n, "users_pkey");
    free(n);
    n = schema_default_constraint_name("posts", cols, 2, "key");
    CU_ASSERT_STRING_EQUAL(n, "posts_user_id_title_key");
    free(n);
    n = schema_default_constraint_name("posts", cols, 1, "fkey");
    CU_ASSERT_STRING_EQUAL(n, "posts_user_id_fkey");
    free(n);
    /* makeObjectName(): the longer part is shortened until all fits 63 */
    memset(long_table, 't', 70);
    long_table[70] = '\0';
    n = schema_default_constraint_name(long_table, cols, 1, "fkey");
    CU_ASSERT_EQUAL(strlen(n), 63);
    CU_ASSERT_STRING_EQUAL(n + 63 - 13, "_user_id_fkey");
    free(n);
}

/* ------------------------------------------------------------------ */
/* Diff. */

static void test_guide_user_on_empty_database(void)
{
    struct schema m, db;
    struct diff d = DIFF_INIT;
    struct err e = ERR_INIT;
    char *lines;

    load(REGISTRY(&user_model), &m);
    load(EMPTY_REGISTRY, &db);
    CU_ASSERT_EQUAL_FATAL(diff_schemas(&m, &db, &d, &e), 0);
    CU_ASSERT_EQUAL_FATAL(d.n_ops, 3);
    CU_ASSERT_EQUAL(d.ops[0].kind, DIFF_ADD_TABLE);
    CU_ASSERT_EQUAL(d.ops[1].kind, DIFF_ADD_INDEX);
    CU_ASSERT_EQUAL(d.ops[2].kind, DIFF_ADD_INDEX);
    lines = describe_all(&d);
    /* alembic 1.8's lines for the same SQLAlchemy model, in its order */
    CU_ASSERT_STRING_EQUAL(lines,
        "Detected added table 'users'\n"
        "Detected added index 'ix_users_email' on '['email']'\n"
        "Detected added index 'ix_users_id' on '['id']'\n");
    free(lines);
    diff_release(&d);
    schema_release(&m);
    schema_release(&db);
}

static void test_guide_user_codegen_matches_alembic_shape(void)
{
    struct schema m, db;
    struct diff d = DIFF_INIT;
    struct err e = ERR_INIT;
    char *up = NULL, *down = NULL;

    load(REGISTRY(&user_model), &m);
    load(EMPTY_REGISTRY, &db);
    CU_ASSERT_EQUAL_FATAL(diff_schemas(&m, &db, &d, &e), 0);
    CU_ASSERT_EQUAL_FATAL(codegen_render(&d, &up, &down, &e), 0);
    CU_ASSERT_STRING_EQUAL(up,
        "    /* commands auto generated by runner - please adjust! */\n"
        "    if (op_create_table(op, &(const runner_table){\n"
        "            .name = \"users\",\n"
        "            .columns = RUNNER_COLUMNS(\n"
        "                { .name = \"id\", .type = \"serial\", .primary_key = 1 },\n"
        "                { .name = \"email\", .type = \"varchar\" },\n"
        "                { .name = \"name\", .type = \"varchar\" },\n"
        "                { .name = \"created_at\", .type = \"timestamp\", .server_default = \"now()\" }),\n"
        "        }) < 0)\n"
        "        return -1;\n"
        "    if (op_create_index(op, &(const runner_index){ .name = \"ix_users_email\", .table = \"users\", .columns = RUNNER_NAMES(\"email\"), .unique = 1 }) < 0)\n"
        "        return -1;\n"
        "    if (op_create_index(op, &(const runner_index){ .name = \"ix_users_id\", .table = \"users\", .columns = RUNNER_NAMES(\"id\") }) < 0)\n"
        "        return -1;\n"
        "    /* end of runner commands */\n"
        "    return 0;\n");
    CU_ASSERT_STRING_EQUAL(down,
        "    /* commands auto generated by runner - please adjust! */\n"
        "    if (op_drop_index(op, NULL, \"ix_users_id\") < 0)\n"
        "        return -1;\n"
        "    if (op_drop_index(op, NULL, \"ix_users_email\") < 0)\n"
        "        return -1;\n"
        "    if (op_drop_table(op, NULL, \"users\") < 0)\n"
        "        return -1;\n"
        "    /* end of runner commands */\n"
        "    return 0;\n");
    free(up);
    free(down);
    diff_release(&d);
    schema_release(&m);
    schema_release(&db);
}

static void test_same_schema_has_no_changes(void)
{
    struct schema m, db;
    struct diff d = DIFF_INIT;
    struct err e = ERR_INIT;

    load(REGISTRY(&user_model, &post_model), &m);
    load(REGISTRY(&post_model, &user_model), &db);
    as_introspected(&db);
    CU_ASSERT_EQUAL_FATAL(diff_schemas(&m, &db, &d, &e), 0);
    CU_ASSERT_EQUAL(d.n_ops, 0);
    diff_release(&d);
    schema_release(&m);
    schema_release(&db);
}

static void test_synonym_types_and_cast_defaults_are_no_change(void)
{
    struct schema m, db;
    struct diff d = DIFF_INIT;
    struct err e = ERR_INIT;
    struct schema_column *c;

    load(REGISTRY(&user_v2_model), &m);
    load(REGISTRY(&user_v2_model), &db);
    as_introspected(&db);
    c = schema_find_column(&db.tables[0], "name");
    free(c->server_default);
    c->server_default = strdup("'x'::text");
    CU_ASSERT_EQUAL_FATAL(diff_schemas(&m, &db, &d, &e), 0);
    CU_ASSERT_EQUAL(d.n_ops, 0);
    diff_release(&d);
    schema_release(&m);
    schema_release(&db);
}

static void test_column_changes_are_detected_and_inverted(void)
{
    struct schema m, db;
    struct diff d = DIFF_INIT;
    struct err e = ERR_INIT;
    char *lines, *up = NULL, *down = NULL;

    load(REGISTRY(&user_v2_model), &m);
    load(REGISTRY(&user_model), &db);
    as_introspected(&db);
    CU_ASSERT_EQUAL_FATAL(diff_schemas(&m, &db, &d, &e), 0);
    lines = describe_all(&d);
    CU_ASSERT_STRING_EQUAL(lines,
        "Detected type change from 'character varying' to 'text' on 'users.name'\n"
        "Detected NOT NULL on column 'users.name'\n"
        "Detected server default on column 'users.name'\n"
        "Detected added column 'users.age'\n"
        "Detected added column 'users.nick'\n"
        "Detected added unique constraint 'users_nick_key' on '['nick']'\n"
        "Detected added check constraint 'ck_users_age' on 'users'\n"
        "Detected removed column 'users.created_at'\n");
    CU_ASSERT_EQUAL_FATAL(codegen_render(&d, &up, &down, &e), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(up,
        "op_alter_column(op, NULL, \"users\", \"name\", &(const runner_alter){ .type = \"text\", "
        ".nullable = RUNNER_SET_NOT_NULL, .server_default = \"'x'\" })"));
    CU_ASSERT_PTR_NOT_NULL(strstr(down,
        "op_alter_column(op, NULL, \"users\", \"name\", &(const runner_alter){ .type = \"varchar\", "
        ".nullable = RUNNER_SET_NULLABLE, .drop_default = 1 })"));
    /* the dropped column comes back whole in the downgrade, first */
    CU_ASSERT_PTR_NOT_NULL(strstr(down,
        "    /* commands auto generated by runner - please adjust! */\n"
        "    if (op_add_column(op, NULL, \"users\", &(const runner_column){ .name = \"created_at\", "
        ".type = \"timestamp\", .server_default = \"now()\" }) < 0)\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(up, "op_drop_column(op, NULL, \"users\", \"created_at\")"));
    CU_ASSERT_PTR_NOT_NULL(strstr(up,
        "op_create_constraint(op, NULL, \"users\", &(const runner_constraint){ .kind = RUNNER_CHECK, "
        ".name = \"ck_users_age\", .check = \"age >= 0\" })"));
    CU_ASSERT_PTR_NOT_NULL(strstr(down, "op_drop_constraint(op, NULL, \"users\", \"ck_users_age\")"));
    free(lines);
    free(up);
    free(down);
    diff_release(&d);
    schema_release(&m);
    schema_release(&db);
}

static size_t op_index(const struct diff *d, enum diff_kind kind, const char *table)
{
    for (size_t i = 0; i < d->n_ops; i++)
        if (d->ops[i].kind == kind && strcmp(d->ops[i].table->name, table) == 0)
            return i;
    return (size_t)-1;
}

static void test_referenced_table_is_created_first_and_dropped_last(void)
{
    struct schema m, db;
    struct diff d = DIFF_INIT;
    struct err e = ERR_INIT;
    char *up = NULL, *down = NULL;

    /* posts is declared first but references users */
    load(REGISTRY(&post_model, &user_model), &m);
    load(EMPTY_REGISTRY, &db);
    CU_ASSERT_EQUAL_FATAL(diff_schemas(&m, &db, &d, &e), 0);
    CU_ASSERT(op_index(&d, DIFF_ADD_TABLE, "users") < op_index(&d, DIFF_ADD_TABLE, "posts"));
    CU_ASSERT_EQUAL_FATAL(codegen_render(&d, &up, &down, &e), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(up,
        "{ .kind = RUNNER_FOREIGN_KEY, .name = \"posts_user_id_fkey\", .columns = RUNNER_NAMES(\"user_id\"), "
        ".ref_table = \"users\", .ref_columns = RUNNER_NAMES(\"id\"), .on_delete = \"CASCADE\" }"));
    CU_ASSERT(strstr(down, "op_drop_table(op, NULL, \"posts\")") <
              strstr(down, "op_drop_table(op, NULL, \"users\")"));
    free(up);
    free(down);
    diff_release(&d);

    /* and the other way: both removed, posts goes first */
    CU_ASSERT_EQUAL_FATAL(diff_schemas(&db, &m, &d, &e), 0);
    CU_ASSERT(op_index(&d, DIFF_DROP_TABLE, "posts") < op_index(&d, DIFF_DROP_TABLE, "users"));
    diff_release(&d);
    schema_release(&m);
    schema_release(&db);
}

static void test_foreign_key_cycle_is_split_out(void)
{
    struct schema m, db;
    struct diff d = DIFF_INIT;
    struct err e = ERR_INIT;
    char *up = NULL, *down = NULL;
    const char *create_b, *create_a, *add_fk;

    load(REGISTRY(&a_model, &b_model), &m);
    load(EMPTY_REGISTRY, &db);
    CU_ASSERT_EQUAL_FATAL(diff_schemas(&m, &db, &d, &e), 0);
    CU_ASSERT_EQUAL_FATAL(codegen_render(&d, &up, &down, &e), 0);
    create_a = strstr(up, ".name = \"a\",");
    create_b = strstr(up, ".name = \"b\",");
    add_fk = strstr(up, "op_create_constraint(op, NULL, \"a\"");
    CU_ASSERT_PTR_NOT_NULL_FATAL(create_a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(create_b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(add_fk);
    /* a goes first without its key; b references a inline; a's key last */
    CU_ASSERT(create_a < create_b && create_b < add_fk);
    CU_ASSERT(strstr(create_a, "a_b_id_fkey") == add_fk + strlen("op_create_constraint(op, NULL, \"a\", "
                                                                    "&(const runner_constraint){ .kind = "
                                                                    "RUNNER_FOREIGN_KEY, .name = \""));
    /* downgrade: drop that key, then b, then a */
    CU_ASSERT(strstr(down, "op_drop_constraint(op, NULL, \"a\", \"a_b_id_fkey\")") <
              strstr(down, "op_drop_table(op, NULL, \"b\")"));
    CU_ASSERT(strstr(down, "op_drop_table(op, NULL, \"b\")") <
              strstr(down, "op_drop_table(op, NULL, \"a\")"));
    free(up);
    free(down);
    diff_release(&d);
    schema_release(&m);
    schema_release(&db);
}

static void test_index_and_fk_changes_on_kept_tables(void)
{
    struct schema m, db;
    struct diff d = DIFF_INIT;
    struct err e = ERR_INIT;
    char *lines;

    load(REGISTRY(&user_model, &post_v2), &m);
    load(REGISTRY(&user_model, &post_model), &db);
    as_introspected(&db);
    CU_ASSERT_EQUAL_FATAL(diff_schemas(&m, &db, &d, &e), 0);
    lines = describe_all(&d);
    /* the changed key is dropped first and added last */
    CU_ASSERT_STRING_EQUAL(lines,
        "Detected removed foreign key (user_id)(id) on table posts\n"
        "Detected added index 'ix_posts_live' on '['user_id']'\n"
        "Detected added foreign key (user_id)(id) on table posts\n");
    free(lines);
    diff_release(&d);
    schema_release(&m);
    schema_release(&db);
}

/* A table only the database has comes back whole in the downgrade: its
 * serial, its keys, and an expression index through its own DDL. */
static void test_removed_table_is_recreated_by_downgrade(void)
{
    struct schema m, db;
    struct diff d = DIFF_INIT;
    struct err e = ERR_INIT;
    struct schema_index *ix;
    char *up = NULL, *down = NULL, *lines;

    load(EMPTY_REGISTRY, &m);
    load(REGISTRY(&user_model), &db);
    as_introspected(&db);
    /* as introspect.c reports an index on lower(email) */
    ix = schema_add_index(&db.tables[0]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ix);
    ix->name = strdup("ix_users_lower_email");
    ix->definition = strdup("CREATE INDEX ix_users_lower_email ON public.users USING btree (lower((email)::text))");
    ix->is_expr = calloc(1, 1);
    ix->is_expr[0] = 1;
    CU_ASSERT_EQUAL(schema_list_add(&ix->columns, &ix->n_columns, "lower((email)::text)"), 0);

    CU_ASSERT_EQUAL_FATAL(diff_schemas(&m, &db, &d, &e), 0);
    lines = describe_all(&d);
    CU_ASSERT_STRING_EQUAL(lines,
        "Detected removed index 'ix_users_id' on 'users'\n"
        "Detected removed index 'ix_users_email' on 'users'\n"
        "Detected removed index 'ix_users_lower_email' on 'users'\n"
        "Detected removed table 'users'\n");
    CU_ASSERT_EQUAL_FATAL(codegen_render(&d, &up, &down, &e), 0);
    CU_ASSERT_STRING_EQUAL(down,
        "    /* commands auto generated by runner - please adjust! */\n"
        "    if (op_create_table(op, &(const runner_table){\n"
        "            .name = \"users\",\n"
        "            .columns = RUNNER_COLUMNS(\n"
        "                { .name = \"id\", .type = \"serial\", .primary_key = 1 },\n"
        "                { .name = \"email\", .type = \"varchar\" },\n"
        "                { .name = \"name\", .type = \"varchar\" },\n"
        "                { .name = \"created_at\", .type = \"timestamp\", .server_default = \"now()\" }),\n"
        "        }) < 0)\n"
        "        return -1;\n"
        "    if (op_execute(op, \"CREATE INDEX ix_users_lower_email ON public.users USING btree (lower((email)::text))\") < 0)\n"
        "        return -1;\n"
        "    if (op_create_index(op, &(const runner_index){ .name = \"ix_users_email\", .table = \"users\", .columns = RUNNER_NAMES(\"email\"), .unique = 1 }) < 0)\n"
        "        return -1;\n"
        "    if (op_create_index(op, &(const runner_index){ .name = \"ix_users_id\", .table = \"users\", .columns = RUNNER_NAMES(\"id\") }) < 0)\n"
        "        return -1;\n"
        "    /* end of runner commands */\n"
        "    return 0;\n");
    free(lines);
    free(up);
    free(down);
    diff_release(&d);
    schema_release(&m);
    schema_release(&db);
}

/* A table outside the default schema is named with its schema, and so are
 * its foreign keys' targets. */
static void test_other_schema_is_explicit_in_code(void)
{
    const runner_model sales_order = {
        .model = "order",
        .schema = "sales",
        .table = "orders",
        .columns = RUNNER_MODEL_COLUMNS(
            { .name = "id", .type = RUNNER_T_UUID, .primary_key = 1 },
            { .name = "customer_id", .type = RUNNER_T_INTEGER, .foreign_key = "sales.customers.id",
              .index = 1 }),
    };
    const runner_model sales_customer = {
        .model = "customer",
        .schema = "sales",
        .table = "customers",
        .columns = RUNNER_MODEL_COLUMNS(
            { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1 }),
    };
    struct schema m, db;
    struct diff d = DIFF_INIT;
    struct err e = ERR_INIT;
    char *up = NULL, *down = NULL, *lines;

    load(REGISTRY(&sales_order, &sales_customer), &m);
    load(EMPTY_REGISTRY, &db);
    CU_ASSERT_EQUAL_FATAL(diff_schemas(&m, &db, &d, &e), 0);
    lines = describe_all(&d);
    CU_ASSERT_STRING_EQUAL(lines,
        "Detected added table 'sales.customers'\n"
        "Detected added table 'sales.orders'\n"
        "Detected added index 'ix_sales_orders_customer_id' on '['customer_id']'\n");
    CU_ASSERT_EQUAL_FATAL(codegen_render(&d, &up, &down, &e), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(up, "            .schema = \"sales\",\n            .name = \"orders\",\n"));
    /* a uuid primary key is no serial */
    CU_ASSERT_PTR_NOT_NULL(strstr(up, "{ .name = \"id\", .type = \"uuid\", .primary_key = 1 }"));
    CU_ASSERT_PTR_NOT_NULL(strstr(up, ".ref_schema = \"sales\", .ref_table = \"customers\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(up, ".name = \"ix_sales_orders_customer_id\", .schema = \"sales\", .table = \"orders\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(down, "op_drop_index(op, \"sales\", \"ix_sales_orders_customer_id\")"));
    CU_ASSERT_PTR_NOT_NULL(strstr(down, "op_drop_table(op, \"sales\", \"customers\")"));
    free(lines);
    free(up);
    free(down);
    diff_release(&d);
    schema_release(&m);
    schema_release(&db);
}

static void test_enum_type_is_created_first_and_dropped_last(void)
{
    const runner_model mood = {
        .model = "diary",
        .table = "diary",
        .comment = "how it went",
        .columns = RUNNER_MODEL_COLUMNS(
            { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1 },
            { .name = "mood", .type = RUNNER_T_ENUM("mood", "good", "it's bad") },
            { .name = "moods", .type = RUNNER_T_ARRAY(RUNNER_T_ENUM("mood", "good", "it's bad")) }),
    };
    const runner_model other_labels = {
        .model = "log",
        .table = "log",
        .columns = RUNNER_MODEL_COLUMNS(
            { .name = "mood", .type = RUNNER_T_ENUM("mood", "good") }),
    };
    struct schema m, db;
    struct diff d = DIFF_INIT;
    struct err e = ERR_INIT;
    char *up = NULL, *down = NULL;
    struct schema_enum *en;
    const char *create_type, *create_table, *drop_type, *drop_table;

    load(REGISTRY(&mood), &m);
    CU_ASSERT_EQUAL_FATAL(m.n_enums, 1);
    CU_ASSERT_STRING_EQUAL(schema_find_column(&m.tables[0], "mood")->type, "mood");
    CU_ASSERT_STRING_EQUAL(schema_find_column(&m.tables[0], "moods")->type, "mood[]");
    load(EMPTY_REGISTRY, &db);
    CU_ASSERT_EQUAL_FATAL(diff_schemas(&m, &db, &d, &e), 0);
    CU_ASSERT_EQUAL_FATAL(codegen_render(&d, &up, &down, &e), 0);
    create_type = strstr(up, "op_execute(op, \"CREATE TYPE \\\"mood\\\" AS ENUM ('good', 'it''s bad')\")");
    create_table = strstr(up, "op_create_table(");
    CU_ASSERT_PTR_NOT_NULL_FATAL(create_type);
    CU_ASSERT_PTR_NOT_NULL_FATAL(create_table);
    CU_ASSERT(create_type < create_table);
    CU_ASSERT_PTR_NOT_NULL(strstr(up, "            .comment = \"how it went\",\n"));
    drop_type = strstr(down, "op_execute(op, \"DROP TYPE \\\"mood\\\"\")");
    drop_table = strstr(down, "op_drop_table(op, NULL, \"diary\")");
    CU_ASSERT_PTR_NOT_NULL_FATAL(drop_type);
    CU_ASSERT(drop_table && drop_table < drop_type);
    free(up);
    free(down);
    diff_release(&d);

    /* the database has the type already: nothing to create */
    en = schema_add_enum(&db);
    CU_ASSERT_PTR_NOT_NULL_FATAL(en);
    en->schema = strdup("public");
    en->name = strdup("mood");
    CU_ASSERT_EQUAL_FATAL(diff_schemas(&m, &db, &d, &e), 0);
    for (size_t i = 0; i < d.n_ops; i++)
        CU_ASSERT_NOT_EQUAL(d.ops[i].kind, DIFF_ADD_ENUM);
    diff_release(&d);
    schema_release(&db);
    schema_release(&m);

    /* one type, two label lists: refused */
    CU_ASSERT_EQUAL(models_convert(REGISTRY(&mood, &other_labels), &m, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "model 'log': column 'mood': enum 'mood' declared again with other labels");
    CU_ASSERT_EQUAL(m.n_tables, 0);
}

static void test_table_comment_change_is_detected_and_inverted(void)
{
    struct schema m, db;
    struct diff d = DIFF_INIT;
    struct err e = ERR_INIT;
    char *up = NULL, *down = NULL, *lines;

    load(REGISTRY(&user_model), &m);
    load(REGISTRY(&user_model), &db);
    as_introspected(&db);
    m.tables[0].comment = strdup("people");
    CU_ASSERT_EQUAL_FATAL(diff_schemas(&m, &db, &d, &e), 0);
    lines = describe_all(&d);
    CU_ASSERT_STRING_EQUAL(lines, "Detected table comment 'users'\n");
    CU_ASSERT_EQUAL_FATAL(codegen_render(&d, &up, &down, &e), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(up, "op_execute(op, \"COMMENT ON TABLE \\\"users\\\" IS 'people'\")"));
    CU_ASSERT_PTR_NOT_NULL(strstr(down, "op_execute(op, \"COMMENT ON TABLE \\\"users\\\" IS NULL\")"));
    free(lines);
    free(up);
    free(down);
    diff_release(&d);
    schema_release(&m);
    schema_release(&db);
}

/* SQLAlchemy shortens a conventional name over 63 bytes to 55 and the
 * tail of its md5 (checked against SQLAlchemy 1.4's CreateIndex). */
static void test_long_index_name_is_truncated_as_sqlalchemy(void)
{
    const runner_model long_names = {
        .model = "long",
        .table = "tttttttttttttttttttttttttttttttttttttttt",
        .columns = RUNNER_MODEL_COLUMNS(
            { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1 },
            { .name = "cccccccccccccccccccccccccccccc", .type = RUNNER_T_INTEGER, .index = 1 }),
    };
    struct schema m;

    load(REGISTRY(&long_names), &m);
    CU_ASSERT_EQUAL_FATAL(m.tables[0].n_indexes, 1);
    CU_ASSERT_STRING_EQUAL(m.tables[0].indexes[0].name,
                           "ix_tttttttttttttttttttttttttttttttttttttttt_ccccccccccc_910b");
    schema_release(&m);
}

/* ------------------------------------------------------------------ */
/* Codegen. */

static void test_c_string_escapes_everything_unsafe(void)
{
    struct strbuf sb = STRBUF_INIT;

    c_escape_literal(&sb, "a\"b\\c\nd\te?\?=f\xc3\xa9" "1");
    CU_ASSERT_STRING_EQUAL(strbuf_str(&sb), "\"a\\\"b\\\\c\\nd\\te?\\?=f\\303\\2511\"");
    strbuf_reset(&sb);
    c_escape_literal(&sb, NULL);
    CU_ASSERT_STRING_EQUAL(strbuf_str(&sb), "NULL");
    strbuf_release(&sb);
}

/* Hostile names survive a real compile: quotes, backslashes, newlines,
 * non-ASCII, trigraphs, comment openers. */
static void test_generated_code_compiles_with_hostile_names(void)
{
    char dir[] = "/tmp/runner-test-codegen-XXXXXX";
    char src[512], cmd[2048];
    struct schema m, db;
    struct diff d = DIFF_INIT;
    struct err e = ERR_INIT;
    char *up = NULL, *down = NULL;
    FILE *f;
    int status;

    load(REGISTRY(&odd), &m);
    load(EMPTY_REGISTRY, &db);
    CU_ASSERT_EQUAL_FATAL(diff_schemas(&m, &db, &d, &e), 0);
    CU_ASSERT_EQUAL_FATAL(codegen_render(&d, &up, &down, &e), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(src, sizeof(src), "%s/rev.c", dir);
    f = fopen(src, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f, "#include <runner/plugin.h>\n\nRUNNER_REVISION(.revision = \"abc\");\n\n"
               "int upgrade(runner_op *op)\n{\n%s}\n\nint downgrade(runner_op *op)\n{\n%s}\n",
            up, down);
    fclose(f);
    snprintf(cmd, sizeof(cmd),
             "cc -std=c11 -Wall -Wextra -Werror -pedantic -shared -fPIC -I %s/../plugin-api/include "
             "%s -o %s/rev.so 2>&1", TEST_SOURCE_DIR, src, dir);
    status = system(cmd);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
    /* the names are in there, escaped */
    CU_ASSERT_PTR_NOT_NULL(strstr(up, ".name = \"t\\\\a\\\"b/*le*/\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(up, ".comment = \"line1\\nline2 ?\\?= caf\\303\\251\""));
    free(up);
    free(down);
    diff_release(&d);
    schema_release(&m);
    schema_release(&db);
}

CU_TestInfo diff_tests[] = {
    { "type synonyms normalise to format_type", test_type_synonyms_normalise_to_format_type },
    { "type display is short and normalises back", test_type_display_is_short_and_normalises_back },
    { "defaults compare across postgres rendering", test_defaults_compare_across_postgres_rendering },
    { "default constraint names follow postgres", test_default_constraint_names_follow_postgres },
    { "guide user on empty database", test_guide_user_on_empty_database },
    { "guide user codegen matches alembic shape", test_guide_user_codegen_matches_alembic_shape },
    { "same schema has no changes", test_same_schema_has_no_changes },
    { "synonym types and cast defaults are no change", test_synonym_types_and_cast_defaults_are_no_change },
    { "column changes are detected and inverted", test_column_changes_are_detected_and_inverted },
    { "referenced table is created first and dropped last", test_referenced_table_is_created_first_and_dropped_last },
    { "foreign key cycle is split out", test_foreign_key_cycle_is_split_out },
    { "index and fk changes on kept tables", test_index_and_fk_changes_on_kept_tables },
    { "removed table is recreated by downgrade", test_removed_table_is_recreated_by_downgrade },
    { "other schema is explicit in code", test_other_schema_is_explicit_in_code },
    { "enum type is created first and dropped last", test_enum_type_is_created_first_and_dropped_last },
    { "table comment change is detected and inverted", test_table_comment_change_is_detected_and_inverted },
    { "long index name is truncated as sqlalchemy", test_long_index_name_is_truncated_as_sqlalchemy },
    { "c string escapes everything unsafe", test_c_string_escapes_everything_unsafe },
    { "generated code compiles with hostile names", test_generated_code_compiles_with_hostile_names },
    CU_TEST_INFO_NULL,
};
