/* test_snapshot.c -- snapshot_diff(): what `runner test` says when a
 * downgrade did not restore the schema (the catalog reads are covered by
 * tests/integration/test_roundtrip.c). */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"

/* A snapshot from "object|attr|value" lines, already in sorted order. */
static void build(struct snapshot *s, const char *const *facts)
{
    size_t n = 0;

    while (facts[n])
        n++;
    s->facts = calloc(n ? n : 1, sizeof(*s->facts));
    s->n_facts = s->alloc = n;
    for (size_t i = 0; i < n; i++) {
        char *copy = strdup(facts[i]);
        char *bar1 = strchr(copy, '|');
        char *bar2 = strchr(bar1 + 1, '|');

        *bar1 = *bar2 = '\0';
        s->facts[i].object = strdup(copy);
        s->facts[i].attr = strdup(bar1 + 1);
        s->facts[i].value = strdup(bar2 + 1);
        free(copy);
    }
}

static const char *const before[] = {
    "column users.display_name||",
    "column users.display_name|nullability|NULL",
    "column users.display_name|type|varchar(50)",
    "column users.id||",
    "column users.id|type|integer",
    "table users||",
    NULL,
};

static void test_snapshot_same_schema_has_no_difference(void)
{
    struct snapshot a = SNAPSHOT_INIT, b = SNAPSHOT_INIT;
    struct strbuf out = STRBUF_INIT;

    build(&a, before);
    build(&b, before);
    CU_ASSERT_EQUAL(snapshot_diff(&a, &b, "downgrade of x", 8, &out), 0);
    CU_ASSERT_STRING_EQUAL(strbuf_str(&out), "");
    snapshot_release(&a);
    snapshot_release(&b);
    strbuf_release(&out);
}

static void test_snapshot_names_what_was_left_and_what_was_lost(void)
{
    static const char *const after[] = {
        "column users.display_name||",
        "column users.display_name|default|'x'::text",
        "column users.display_name|nullability|NULL",
        "column users.display_name|type|varchar(100)",
        "index ix_users_email||",
        "index ix_users_email|definition|CREATE INDEX ix_users_email ON public.users ...",
        "table users||",
        NULL,
    };
    struct snapshot a = SNAPSHOT_INIT, b = SNAPSHOT_INIT;
    struct strbuf out = STRBUF_INIT;

    build(&a, before);
    build(&b, after);
    CU_ASSERT_EQUAL(snapshot_diff(&a, &b, "downgrade of 1975ea83b712", 8, &out), 4);
    CU_ASSERT_STRING_EQUAL(strbuf_str(&out),
                           "downgrade of 1975ea83b712 left column users.display_name default "
                           "'x'::text, expected none; "
                           "downgrade of 1975ea83b712 left column users.display_name type "
                           "varchar(100), expected varchar(50); "
                           "downgrade of 1975ea83b712 did not restore column users.id; "
                           "downgrade of 1975ea83b712 left index ix_users_email");
    strbuf_reset(&out);
    CU_ASSERT_EQUAL(snapshot_diff(&a, &b, "d", 1, &out), 4);
    CU_ASSERT_STRING_EQUAL(strbuf_str(&out), "d left column users.display_name default "
                                             "'x'::text, expected none; and 3 more");
    snapshot_release(&a);
    snapshot_release(&b);
    strbuf_release(&out);
}

CU_TestInfo snapshot_tests[] = {
    { "snapshot same schema has no difference", test_snapshot_same_schema_has_no_difference },
    { "snapshot names what was left and what was lost",
      test_snapshot_names_what_was_left_and_what_was_lost },
    CU_TEST_INFO_NULL,
};
