/* test_autogen_names.c -- issue 13, points 5 to 8, on in-memory schemas
 * (runner/autogen/models.c, schema.c, diff.c, codegen.c): naming
 * conventions and SQLAlchemy's default names, PostgreSQL's names for
 * unnamed checks, enum labels added and removed, when a revision must run
 * outside a transaction, and the cast-keeping default comparison.  No
 * database; the integration suite autogen_fidelity checks the same
 * against PostgreSQL and SQLAlchemy. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include <runner/model.h>

#include "codegen.h"
#include "diff.h"
#include "models.h"
#include "schema.h"

#define REGISTRY_NAMED(naming_convention, ...)                       \
    (&(const struct runner_models){                                  \
        .magic = RUNNER_MODELS_MAGIC,                                \
        .abi_version = RUNNER_MODELS_ABI_VERSION,                    \
        .size = sizeof(struct runner_models),                        \
        .models = (const runner_model *const[]){ __VA_ARGS__, NULL }, \
        .naming = (naming_convention) })
#define REGISTRY(...) REGISTRY_NAMED(NULL, __VA_ARGS__)

#define LONG70 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LONGB70 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static const runner_model items_model = {
    .model = "item",
    .table = "items",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1 },
        { .name = "a", .type = RUNNER_T_INTEGER, .index = 1 },
        { .name = "b", .type = RUNNER_T_INTEGER, .unique = 1 },
        { .name = "c", .type = RUNNER_T_TEXT },
        { .name = "owner_id", .type = RUNNER_T_INTEGER, .foreign_key = "items.id" },
        { .name = "boss_id", .type = RUNNER_T_INTEGER, .foreign_key = "items.id",
          .foreign_key_name = "fk_boss" }),
    .indexes = RUNNER_MODEL_INDEXES(
        { .columns = RUNNER_NAMES("b", "a") },
        { .name = "by_c", .columns = RUNNER_NAMES("c") }),
    .constraints = RUNNER_CONSTRAINTS(
        { .kind = RUNNER_CHECK, .check = "b >= 0" },
        { .kind = RUNNER_CHECK, .check = "\"b\" < 100 AND length('a') > 0" },
        { .kind = RUNNER_CHECK, .check = "a < b" },
        { .kind = RUNNER_CHECK, .check = "lower(c) <> c::text" },
        { .kind = RUNNER_CHECK, .name = "named", .check = "a > 0" }),
};

static int has_index(const struct schema_table *t, const char *name)
{
    return schema_find_index(t, name) != NULL;
}

static int has_constraint(const struct schema_table *t, const char *name)
{
    return schema_find_constraint(t, name) != NULL;
}

/* SQLAlchemy's "ix_%(column_0_label)s" for every unnamed index, even one
 * over several columns; PostgreSQL's names for unnamed constraints. */
static void test_default_names_are_sqlalchemys_and_postgresqls(void)
{
    struct schema s = SCHEMA_INIT;
    struct err e = ERR_INIT;
    const struct schema_table *t;

    CU_ASSERT_EQUAL_FATAL(models_convert(REGISTRY(&items_model), &s, &e), 0);
    t = &s.tables[0];
    CU_ASSERT(has_index(t, "ix_items_a"));
    CU_ASSERT(has_index(t, "ix_items_b"));          /* not ix_items_b_a */
    CU_ASSERT(has_index(t, "by_c"));
    CU_ASSERT(has_constraint(t, "items_pkey"));
    CU_ASSERT(has_constraint(t, "items_b_key"));
    CU_ASSERT(has_constraint(t, "items_owner_id_fkey"));
    CU_ASSERT(has_constraint(t, "fk_boss"));
    /* one column named: <table>_<column>_check, numbered when taken */
    CU_ASSERT(has_constraint(t, "items_b_check"));
    CU_ASSERT(has_constraint(t, "items_b_check1"));  /* 'a' is a literal, "b" quoted */
    CU_ASSERT(has_constraint(t, "items_check"));     /* two columns */
    CU_ASSERT(has_constraint(t, "items_c_check"));   /* lower() and ::text are no columns */
    CU_ASSERT(has_constraint(t, "named"));
    schema_release(&s);
}

static const runner_model schema_model = {
    .model = "ledger",
    .schema = "acct",
    .table = "ledger",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1, .index = 1 },
        { .name = LONG70, .type = RUNNER_T_INTEGER, .index = 1 }),
};

static const runner_model long_model = {
    .model = "t",
    .table = "t",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1 },
        { .name = LONG70, .type = RUNNER_T_INTEGER, .index = 1 },
        { .name = LONGB70, .type = RUNNER_T_INTEGER, .unique = 1 }),
};

/* column_0_label carries the schema; a long name is cut as SQLAlchemy
 * cuts it (python3: n[:55] + '_' + md5(n).hexdigest()[-4:]). */
static void test_index_label_has_schema_and_long_names_are_cut(void)
{
    struct schema s = SCHEMA_INIT;
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL_FATAL(models_convert(REGISTRY(&schema_model), &s, &e), 0);
    CU_ASSERT(has_index(&s.tables[0], "ix_acct_ledger_id"));
    schema_release(&s);
    CU_ASSERT_EQUAL_FATAL(models_convert(REGISTRY_NAMED(
        RUNNER_NAMING(.uq = "uq_%(table_name)s_%(column_0_name)s"), &long_model), &s, &e), 0);
    CU_ASSERT(has_index(&s.tables[0],
                        "ix_t_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_cd21"));
    CU_ASSERT(has_constraint(&s.tables[0],
                             "uq_t_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb_5f67"));
    schema_release(&s);
}

/* MetaData(naming_convention=...): every token, and a declared name kept
 * unless the template uses %(constraint_name)s. */
static void test_naming_convention_tokens(void)
{
    struct schema s = SCHEMA_INIT;
    struct err e = ERR_INIT;
    const struct schema_table *t;

    CU_ASSERT_EQUAL_FATAL(models_convert(REGISTRY_NAMED(RUNNER_NAMING(
        .ix = "ix_%(column_0_N_label)s",
        .uq = "uq_%(table_name)s_%(column_0N_name)s",
        .ck = "ck_%(table_name)s_%(constraint_name)s",
        .fk = "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s_%(referred_column_0_name)s",
        .pk = "pk_%(table_name)s"), &items_model), &s, &e), -1);
    /* the unnamed checks cannot fill %(constraint_name)s */
    CU_ASSERT_STRING_EQUAL(e.msg, "model 'item': check constraint '(unnamed)': naming convention "
                           "'ck_%(table_name)s_%(constraint_name)s' needs a declared name");

    CU_ASSERT_EQUAL_FATAL(models_convert(REGISTRY_NAMED(RUNNER_NAMING(
        .ix = "ix_%(column_0_N_label)s",
        .uq = "uq_%(table_name)s_%(column_0N_name)s",
        .fk = "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s_%(referred_column_0_name)s",
        .pk = "pk_%(table_name)s"), &items_model), &s, &e), 0);
    t = &s.tables[0];
    CU_ASSERT(has_index(t, "ix_items_a"));
    CU_ASSERT(has_index(t, "ix_items_b_items_a"));
    CU_ASSERT(has_index(t, "by_c"));
    CU_ASSERT(has_constraint(t, "pk_items"));
    CU_ASSERT(has_constraint(t, "uq_items_b"));
    CU_ASSERT(has_constraint(t, "fk_items_owner_id_items_id"));
    CU_ASSERT(has_constraint(t, "fk_boss"));        /* declared, no %(constraint_name)s */
    CU_ASSERT(has_constraint(t, "named"));
    CU_ASSERT(has_constraint(t, "items_b_check1"));  /* no .ck: PostgreSQL's names */
    schema_release(&s);

    /* one name for every unnamed check: they collide, as in SQLAlchemy */
    CU_ASSERT_EQUAL(models_convert(REGISTRY_NAMED(RUNNER_NAMING(.ck = "ck_%(table_name)s"),
                                                  &items_model), &s, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "model 'item': duplicate constraint name 'ck_items'");

    CU_ASSERT_EQUAL(models_convert(REGISTRY_NAMED(RUNNER_NAMING(.ix = "ix_%(column_9_name)s"),
                                                  &items_model), &s, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "model 'item': column 'a': naming convention "
                           "'ix_%(column_9_name)s': cannot fill '%(column_9_name)s'");
}

/* RUNNER_MODELS() with nothing in it: an empty registry that loads. */
RUNNER_MODELS();

static void test_empty_models_macro_is_an_empty_set(void)
{
    struct schema s = SCHEMA_INIT;
    struct err e = ERR_INIT;

    CU_ASSERT_PTR_NULL(runner_models.models[0]);
    CU_ASSERT_PTR_NULL(runner_models.naming);
    CU_ASSERT_EQUAL(models_convert(&runner_models, &s, &e), 0);
    CU_ASSERT_EQUAL(s.n_tables, 0);
    schema_release(&s);
}

static const runner_model mood_abcde = {
    .model = "m", .table = "m",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1 },
        { .name = "mood", .type = RUNNER_T_ENUM("mood", "a", "b", "c", "d", "e") }),
};
static const runner_model mood_bd = {
    .model = "m", .table = "m",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1 },
        { .name = "mood", .type = RUNNER_T_ENUM("mood", "b", "d") }),
};
static const runner_model mood_db = {
    .model = "m", .table = "m",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1 },
        { .name = "mood", .type = RUNNER_T_ENUM("mood", "d", "b*/x") }),
};
static const runner_model mood_bdx_default = {
    .model = "m", .table = "m",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1 },
        { .name = "mood", .type = RUNNER_T_ENUM("mood", "b", "d", "x"),
          .server_default = "'x'" }),
};

static void diff_of(const runner_model *want, const runner_model *have, struct schema *m,
                    struct schema *db, struct diff *d)
{
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL_FATAL(models_convert(REGISTRY(want), m, &e), 0);
    CU_ASSERT_EQUAL_FATAL(models_convert(REGISTRY(have), db, &e), 0);
    CU_ASSERT_EQUAL_FATAL(diff_schemas(m, db, d, &e), 0);
}

static void test_enum_labels_added_first_middle_last(void)
{
    struct schema m = SCHEMA_INIT, db = SCHEMA_INIT;
    struct diff d = DIFF_INIT;
    struct err e = ERR_INIT;
    char *up = NULL, *down = NULL;

    diff_of(&mood_abcde, &mood_bd, &m, &db, &d);
    CU_ASSERT_EQUAL_FATAL(d.n_ops, 3);
    CU_ASSERT_EQUAL(d.ops[0].kind, DIFF_ADD_ENUM_VALUE);
    CU_ASSERT_STRING_EQUAL(d.ops[0].enum_label, "a");
    CU_ASSERT_STRING_EQUAL(d.ops[0].enum_anchor, "b");
    CU_ASSERT(d.ops[0].enum_before);
    CU_ASSERT_STRING_EQUAL(d.ops[1].enum_label, "c");
    CU_ASSERT_STRING_EQUAL(d.ops[1].enum_anchor, "b");
    CU_ASSERT(!d.ops[1].enum_before);
    CU_ASSERT_STRING_EQUAL(d.ops[2].enum_label, "e");
    CU_ASSERT_STRING_EQUAL(d.ops[2].enum_anchor, "d");
    /* nothing uses them: in the transaction on 12+, outside it before */
    CU_ASSERT_EQUAL(codegen_needs_no_transaction(&d, 150000), 0);
    CU_ASSERT_EQUAL(codegen_needs_no_transaction(&d, 110000), 1);
    CU_ASSERT_EQUAL_FATAL(codegen_render(&d, &up, &down, &e), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(up, "ALTER TYPE \\\"mood\\\" ADD VALUE IF NOT EXISTS 'a' "
                                      "BEFORE 'b'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(down, "keeps label 'e'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(down, "(void)op;"));
    free(up);
    free(down);
    diff_release(&d);
    schema_release(&m);
    schema_release(&db);
}

/* A label the same revision uses in a default: outside a transaction. */
static void test_new_label_used_needs_no_transaction(void)
{
    struct schema m = SCHEMA_INIT, db = SCHEMA_INIT;
    struct diff d = DIFF_INIT;

    diff_of(&mood_bdx_default, &mood_bd, &m, &db, &d);
    CU_ASSERT_EQUAL(codegen_needs_no_transaction(&d, 150000), 1);
    diff_release(&d);
    schema_release(&m);
    schema_release(&db);
}

/* Labels removed and reordered: one ENUM_CHANGED, a comment both ways
 * that no label can end early. */
static void test_enum_labels_removed_or_reordered_are_a_comment(void)
{
    struct schema m = SCHEMA_INIT, db = SCHEMA_INIT;
    struct diff d = DIFF_INIT;
    struct err e = ERR_INIT;
    char *up = NULL, *down = NULL, *line;

    diff_of(&mood_bd, &mood_db, &m, &db, &d);
    CU_ASSERT_EQUAL_FATAL(d.n_ops, 2);
    CU_ASSERT_EQUAL(d.ops[0].kind, DIFF_ADD_ENUM_VALUE);     /* b */
    CU_ASSERT_STRING_EQUAL(d.ops[0].enum_label, "b");
    CU_ASSERT_STRING_EQUAL(d.ops[0].enum_anchor, "d");
    CU_ASSERT(d.ops[0].enum_before);
    CU_ASSERT_EQUAL(d.ops[1].kind, DIFF_ENUM_CHANGED);
    line = diff_describe(&d.ops[1]);
    CU_ASSERT_STRING_EQUAL(line, "Detected removed, renamed or reordered labels of enum type "
                           "'mood': ['d', 'b*/x'] to ['b', 'd'] (not generated; please adjust)");
    free(line);
    CU_ASSERT_EQUAL_FATAL(codegen_render(&d, &up, &down, &e), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(up, "('d', 'b*\\/x')"));
    CU_ASSERT_PTR_NULL(strstr(up, "b*/x"));
    CU_ASSERT_PTR_NOT_NULL(strstr(down, "please adjust! */"));
    free(up);
    free(down);
    diff_release(&d);
    schema_release(&m);
    schema_release(&db);
}

/* The server's texts keep the casts that change the value. */
static void test_keep_casts_normaliser_tells_cast_from_none(void)
{
    char *a = schema_default_normalise("(now())::date");
    char *b = schema_default_normalise("now()");
    char *c = schema_default_normalise_keep_casts("(now())::date");
    char *d = schema_default_normalise_keep_casts("now()");
    char *f = schema_default_normalise_keep_casts("CURRENT_TIMESTAMP");

    CU_ASSERT_STRING_EQUAL(a, b);       /* why the old comparison missed it */
    CU_ASSERT_STRING_NOT_EQUAL(c, d);
    CU_ASSERT_STRING_EQUAL(f, d);
    free(a);
    free(b);
    free(c);
    free(d);
    free(f);
}

CU_TestInfo autogen_names_tests[] = {
    { "default names are sqlalchemys and postgresqls", test_default_names_are_sqlalchemys_and_postgresqls },
    { "index label has schema and long names are cut", test_index_label_has_schema_and_long_names_are_cut },
    { "naming convention tokens", test_naming_convention_tokens },
    { "empty models macro is an empty set", test_empty_models_macro_is_an_empty_set },
    { "enum labels added first middle last", test_enum_labels_added_first_middle_last },
    { "new label used needs no transaction", test_new_label_used_needs_no_transaction },
    { "enum labels removed or reordered are a comment", test_enum_labels_removed_or_reordered_are_a_comment },
    { "keep casts normaliser tells cast from none", test_keep_casts_normaliser_tells_cast_from_none },
    CU_TEST_INFO_NULL,
};
