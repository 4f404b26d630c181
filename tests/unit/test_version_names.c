/* test_version_names.c -- the version table's names and literals as
 * versions.c renders them through sql_quote.c (no database; the server's
 * reading of them is tests/integration/test_versions.c's). */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "versions.h"

static char *render(const struct versions *v, const struct step *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f)
        return NULL;
    versions_render_step(v, f, s);
    fclose(f);
    return buf;
}

/* issue 10.7: '\' would end the literal early under
 * standard_conforming_strings=off; E'' with it doubled means the same
 * under both settings. */
static void test_version_names_backslash_id_is_an_escape_literal(void)
{
    struct versions v = VERSIONS_INIT;
    struct err e = ERR_INIT;
    struct step up = { .vt = VT_UPDATE, .from = "a'1", .to = "b2\\" };
    char *s;

    CU_ASSERT_EQUAL_FATAL(versions_init(&v, NULL, NULL, NULL, &e), 0);
    s = render(&v, &up);
    CU_ASSERT_STRING_EQUAL(s, "UPDATE alembic_version SET version_num=E'b2\\\\' WHERE "
                              "alembic_version.version_num = 'a''1';\n\n");
    free(s);
    versions_release(&v);
}

static void test_version_names_lock_name_waits_for_resolve(void)
{
    struct versions v = VERSIONS_INIT;
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL_FATAL(versions_init(&v, NULL, "Versions", "h", &e), 0);
    CU_ASSERT_PTR_NULL(versions_lock_name(&v));
    CU_ASSERT_STRING_EQUAL(v.table, "\"Versions\"");
    CU_ASSERT_STRING_EQUAL(v.history, "h");
    CU_ASSERT_STRING_EQUAL(v.pkc, "\"Versions_pkc\"");
    versions_release(&v);
    CU_ASSERT_EQUAL_FATAL(versions_init(&v, "user", NULL, NULL, &e), 0);
    CU_ASSERT_STRING_EQUAL(v.table, "\"user\".alembic_version");    /* reserved: quoted */
    CU_ASSERT_EQUAL(versions_resolve(&v, NULL, &e), 0);            /* configured: no query */
    CU_ASSERT_STRING_EQUAL(versions_lock_name(&v), "user.alembic_version");
    versions_release(&v);
}

CU_TestInfo version_names_tests[] = {
    { "a backslash id is an escape literal", test_version_names_backslash_id_is_an_escape_literal },
    { "the lock name waits for resolve", test_version_names_lock_name_waits_for_resolve },
    CU_TEST_INFO_NULL,
};
