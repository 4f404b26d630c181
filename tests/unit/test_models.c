/* test_models.c -- loading models plugins (runner/autogen/models.c): the good
 * registry converts with SQLAlchemy's defaults, and each bad plugin of
 * tests/plugins/models gives its exact one-line error. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "models.h"
#include "schema.h"

#define MODELS_DIR TEST_PLUGIN_DIR "/models"

static void test_good_registry_converts_with_sqlalchemy_defaults(void)
{
    struct schema s = SCHEMA_INIT;
    struct err e = ERR_INIT;
    const struct schema_table *users, *posts;
    const struct schema_column *c;
    const struct schema_constraint *k;

    CU_ASSERT_EQUAL_FATAL(models_load(MODELS_DIR "/good_blog.so", &s, &e), 0);
    CU_ASSERT_EQUAL(s.n_tables, 2);
    users = schema_find_table(&s, "public", "users");
    posts = schema_find_table(&s, NULL, "posts");
    CU_ASSERT_PTR_NOT_NULL_FATAL(users);
    CU_ASSERT_PTR_NOT_NULL_FATAL(posts);

    c = schema_find_column(users, "id");
    CU_ASSERT_STRING_EQUAL(c->type, "integer");
    CU_ASSERT(c->not_null && c->autoincrement);
    c = schema_find_column(users, "email");
    CU_ASSERT_STRING_EQUAL(c->type, "character varying");
    CU_ASSERT(!c->not_null);
    CU_ASSERT_STRING_EQUAL(schema_find_column(users, "created_at")->type,
                           "timestamp with time zone");
    CU_ASSERT_STRING_EQUAL(schema_find_column(posts, "tags")->type, "text[]");
    CU_ASSERT_STRING_EQUAL(schema_find_column(posts, "score")->type, "numeric(10,2)");
    /* a foreign-key column is not autoincrement; a bigint primary key is */
    CU_ASSERT(!schema_find_column(posts, "user_id")->autoincrement);
    CU_ASSERT(schema_find_column(posts, "id")->autoincrement);

    /* index=True, unique=True: a unique index, not a constraint */
    CU_ASSERT_PTR_NOT_NULL_FATAL(schema_find_index(users, "ix_users_email"));
    CU_ASSERT(schema_find_index(users, "ix_users_email")->unique);
    CU_ASSERT(!schema_find_index(users, "ix_users_id")->unique);
    CU_ASSERT_PTR_NULL(schema_find_constraint(users, "users_email_key"));
    /* unique=True alone: PostgreSQL's <table>_<col>_key constraint */
    k = schema_find_constraint(users, "users_nick_key");
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    CU_ASSERT_EQUAL(k->kind, SCHEMA_UNIQUE);
    k = schema_primary_key(users);
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    CU_ASSERT_STRING_EQUAL(k->name, "users_pkey");

    k = schema_find_constraint(posts, "posts_user_id_fkey");
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    CU_ASSERT_STRING_EQUAL(k->ref_schema, "public");
    CU_ASSERT_STRING_EQUAL(k->ref_table, "users");
    CU_ASSERT_STRING_EQUAL(k->ref_columns[0], "id");
    CU_ASSERT_STRING_EQUAL(k->on_delete, "CASCADE");
    CU_ASSERT_PTR_NULL(k->on_update);
    CU_ASSERT_PTR_NOT_NULL(schema_find_index(posts, "ix_posts_user_id"));
    CU_ASSERT_PTR_NOT_NULL(schema_find_constraint(posts, "ck_posts_score"));
    schema_release(&s);
}

static void check_bad(const char *file, const char *want)
{
    char path[512];
    struct schema s = SCHEMA_INIT;
    struct err e = ERR_INIT;

    snprintf(path, sizeof(path), MODELS_DIR "/%s", file);
    CU_ASSERT_EQUAL(models_load(path, &s, &e), -1);
    CU_ASSERT_EQUAL(s.n_tables, 0);
    CU_ASSERT_EQUAL(e.code, ERR_FAIL);
    if (!strstr(e.msg, want))
        fprintf(stderr, "\n%s: got '%s', want '%s'\n", file, e.msg, want);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, want));
    CU_ASSERT_PTR_NULL(strchr(e.msg, '\n'));
}

static void test_missing_file_is_error(void)
{
    check_bad("no_such.so", "cannot open models plugin '" MODELS_DIR "/no_such.so': ");
}

static void test_missing_symbol_is_error(void)
{
    check_bad("bad_no_symbol.so", "bad_no_symbol.so': no 'runner_models' symbol (missing RUNNER_MODELS)");
}

static void test_wrong_abi_is_error(void)
{
    check_bad("bad_abi_version.so", "bad_abi_version.so': built for models ABI version 99, runner has 3");
}

static void test_bad_magic_is_error(void)
{
    check_bad("bad_magic.so", "bad_magic.so': bad magic 0x12345678, not a models registry");
}

static void test_duplicate_table_names_both_models(void)
{
    check_bad("bad_duplicate_table.so",
              "bad_duplicate_table.so': model 'account': duplicate table 'users' (also declared by model 'user')");
}

static void test_duplicate_column_is_error(void)
{
    check_bad("bad_duplicate_column.so", "bad_duplicate_column.so': model 'user': duplicate column 'email'");
}

static void test_unknown_type_is_error(void)
{
    check_bad("bad_unknown_type.so", "bad_unknown_type.so': model 'user': column 'mood': unknown type 77");
}

static void test_missing_type_is_error(void)
{
    check_bad("bad_no_type.so", "bad_no_type.so': model 'user': column 'id': no type");
}

static void test_fk_to_missing_table_is_error(void)
{
    check_bad("bad_fk_missing_table.so",
              "bad_fk_missing_table.so': model 'post': foreign key 'posts_author_id_fkey': unknown table 'public.authors'");
}

static void test_fk_to_missing_column_is_error(void)
{
    check_bad("bad_fk_missing_column.so",
              "bad_fk_missing_column.so': model 'post': foreign key 'posts_user_id_fkey': unknown column 'users.uid'");
}

static void test_index_on_missing_column_is_error(void)
{
    check_bad("bad_index_column.so",
              "bad_index_column.so': model 'user': index 'ix_users_x': unknown column 'x'");
}

CU_TestInfo models_tests[] = {
    { "good registry converts with sqlalchemy defaults", test_good_registry_converts_with_sqlalchemy_defaults },
    { "missing file is error", test_missing_file_is_error },
    { "missing symbol is error", test_missing_symbol_is_error },
    { "wrong abi is error", test_wrong_abi_is_error },
    { "bad magic is error", test_bad_magic_is_error },
    { "duplicate table names both models", test_duplicate_table_names_both_models },
    { "duplicate column is error", test_duplicate_column_is_error },
    { "unknown type is error", test_unknown_type_is_error },
    { "missing type is error", test_missing_type_is_error },
    { "fk to missing table is error", test_fk_to_missing_table_is_error },
    { "fk to missing column is error", test_fk_to_missing_column_is_error },
    { "index on missing column is error", test_index_on_missing_column_is_error },
    CU_TEST_INFO_NULL,
};
