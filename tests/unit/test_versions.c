/* test_versions.c -- the version table rendered as Alembic's offline mode
 * renders it, and names quoted as SQLAlchemy quotes them (no database). */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_quote.h"
#include "versions.h"

static void check_quote(const char *in, const char *want)
{
    struct strbuf sb = STRBUF_INIT;
    char *got;

    sql_quote_ident_min(&sb, in);
    got = strbuf_detach(&sb);

    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(got);
}

static void test_versions_quote_like_sqlalchemy(void)
{
    check_quote("alembic_version", "alembic_version");
    check_quote("v$2", "v$2");
    check_quote("user", "\"user\"");             /* reserved */
    check_quote("Versions", "\"Versions\"");     /* case matters */
    check_quote("my versions", "\"my versions\"");
    check_quote("a\"b;", "\"a\"\"b;\"");
    check_quote("2fast", "\"2fast\"");
}

/* Render into a string: caller frees. */
static char *render(const struct versions *v, const struct step *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f)
        return NULL;
    if (s)
        versions_render_step(v, f, s);
    else
        versions_render_create(v, f);
    fclose(f);
    return buf;
}

static void init_versions(struct versions *v, const char *schema, const char *table)
{
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL_FATAL(versions_init(v, schema, table, NULL, &e), 0);
}

static void test_versions_create_is_alembics_ddl(void)
{
    struct versions v = VERSIONS_INIT;
    char *s;

    init_versions(&v, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(v.label, "alembic_version");
    CU_ASSERT_STRING_EQUAL(v.hlabel, "runner_history");
    s = render(&v, NULL);
    CU_ASSERT_STRING_EQUAL(s, "CREATE TABLE alembic_version (\n"
                              "    version_num VARCHAR(32) NOT NULL, \n"
                              "    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n"
                              ");\n\n");
    free(s);
    versions_release(&v);
}

static void test_versions_steps_render_like_alembic(void)
{
    struct versions v = VERSIONS_INIT;
    const char *del[] = { "b2" };
    const char *ins[] = { "b2" };
    struct step up = { .vt = VT_UPDATE, .from = "a1", .to = "c3" };
    struct step add = { .vt = VT_INSERT, .to = "a1" };
    struct step drop = { .vt = VT_DELETE, .from = "b2" };
    struct step merge = { .vt = VT_MERGE, .from = "c3", .to = "d4", .del = del, .n_del = 1 };
    struct step unmerge = { .vt = VT_UNMERGE, .from = "d4", .to = "c3", .ins = ins, .n_ins = 1 };
    char *s;

    init_versions(&v, NULL, NULL);
    s = render(&v, &up);
    CU_ASSERT_STRING_EQUAL(s, "UPDATE alembic_version SET version_num='c3' WHERE "
                              "alembic_version.version_num = 'a1';\n\n");
    free(s);
    s = render(&v, &add);
    CU_ASSERT_STRING_EQUAL(s, "INSERT INTO alembic_version (version_num) VALUES ('a1') "
                              "RETURNING alembic_version.version_num;\n\n");
    free(s);
    s = render(&v, &drop);
    CU_ASSERT_STRING_EQUAL(s, "DELETE FROM alembic_version WHERE "
                              "alembic_version.version_num = 'b2';\n\n");
    free(s);
    /* alembic: delete the other branches, then update */
    s = render(&v, &merge);
    CU_ASSERT_STRING_EQUAL(s, "DELETE FROM alembic_version WHERE "
                              "alembic_version.version_num = 'b2';\n\n"
                              "UPDATE alembic_version SET version_num='d4' WHERE "
                              "alembic_version.version_num = 'c3';\n\n");
    free(s);
    /* alembic: insert the other branches, then update */
    s = render(&v, &unmerge);
    CU_ASSERT_STRING_EQUAL(s, "INSERT INTO alembic_version (version_num) VALUES ('b2') "
                              "RETURNING alembic_version.version_num;\n\n"
                              "UPDATE alembic_version SET version_num='c3' WHERE "
                              "alembic_version.version_num = 'd4';\n\n");
    free(s);
    versions_release(&v);
}

static void test_versions_schema_and_name_are_used(void)
{
    struct versions v = VERSIONS_INIT;
    struct step up = { .vt = VT_UPDATE, .from = "a1", .to = "b2" };
    char *s;

    init_versions(&v, "Tenant 1", "versions");
    CU_ASSERT_STRING_EQUAL(v.table, "\"Tenant 1\".versions");
    CU_ASSERT_STRING_EQUAL(v.label, "Tenant 1.versions");
    CU_ASSERT_STRING_EQUAL(v.history, "\"Tenant 1\".runner_history");
    s = render(&v, NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "CREATE TABLE \"Tenant 1\".versions (\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "CONSTRAINT versions_pkc PRIMARY KEY"));
    free(s);
    s = render(&v, &up);
    CU_ASSERT_STRING_EQUAL(s, "UPDATE \"Tenant 1\".versions SET version_num='b2' WHERE "
                              "\"Tenant 1\".versions.version_num = 'a1';\n\n");
    free(s);
    versions_release(&v);
}

static void test_versions_long_table_name_is_refused(void)
{
    struct versions v = VERSIONS_INIT;
    struct err e = ERR_INIT;
    char name[80];

    memset(name, 'v', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    CU_ASSERT_EQUAL(versions_init(&v, NULL, name, NULL, &e), -1);
    CU_ASSERT_EQUAL(e.code, ERR_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "longer than 63 bytes"));
    versions_release(&v);
}

CU_TestInfo versions_tests[] = {
    { "names are quoted like sqlalchemy", test_versions_quote_like_sqlalchemy },
    { "create is alembic's ddl", test_versions_create_is_alembics_ddl },
    { "steps render like alembic", test_versions_steps_render_like_alembic },
    { "schema and name are used", test_versions_schema_and_name_are_used },
    { "a long table name is refused", test_versions_long_table_name_is_refused },
    CU_TEST_INFO_NULL,
};
