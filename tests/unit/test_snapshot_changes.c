/* test_snapshot_changes.c -- incremental snapshots without a database:
 * snapshot_apply() replaces exactly the facts of the owners read again,
 * and snapshot_diff_changes() compares only those (the catalog side is
 * covered by tests/integration/test_roundtrip.c). */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"

/* Facts from "owner|object|attr|value" lines (sorted by object, attr). */
static void build(struct snapshot *s, const char *const *lines)
{
    size_t n = 0;

    while (lines[n])
        n++;
    s->facts = calloc(n ? n : 1, sizeof(*s->facts));
    s->n_facts = s->alloc = n;
    for (size_t i = 0; i < n; i++) {
        char *copy = strdup(lines[i]);
        char *b1 = strchr(copy, '|');
        char *b2 = strchr(b1 + 1, '|');
        char *b3 = strchr(b2 + 1, '|');

        *b1 = *b2 = *b3 = '\0';
        s->facts[i].owner = s->facts[i].self = strtoull(copy, NULL, 10);
        s->facts[i].object = strdup(b1 + 1);
        s->facts[i].attr = strdup(b2 + 1);
        s->facts[i].value = strdup(b3 + 1);
        free(copy);
    }
}

static void set_owners(struct snapshot_changes *c, const uint64_t *keys, size_t n)
{
    c->owners = calloc(n ? n : 1, sizeof(*c->owners));
    memcpy(c->owners, keys, n * sizeof(*keys));
    c->n_owners = n;
}

static const char *const base[] = {
    "1|column a.id||",
    "1|column a.id|type|integer",
    "2|column b.id||",
    "2|column b.id|type|integer",
    "1|table a||",
    "2|table b||",
    NULL,
};

static void test_snapshot_apply_replaces_only_the_owners_read_again(void)
{
    static const char *const fresh[] = {
        "2|column b.id||",
        "2|column b.id|type|bigint",
        "3|index ix_c||",
        "2|table b||",
        "3|table c||",
        NULL,
    };
    static const uint64_t owners[] = { 2, 3 };
    struct snapshot s = SNAPSHOT_INIT;
    struct snapshot_changes c = SNAPSHOT_CHANGES_INIT;
    struct err e = ERR_INIT;
    static const char *const want[] = {
        "column a.id", "column a.id", "column b.id", "column b.id", "index ix_c",
        "table a", "table b", "table c",
    };

    build(&s, base);
    build(&c.facts, fresh);
    set_owners(&c, owners, 2);
    CU_ASSERT_EQUAL_FATAL(snapshot_apply(&s, &c, &e), 0);
    CU_ASSERT_EQUAL_FATAL(s.n_facts, 8);
    for (size_t i = 0; i < 8; i++)
        CU_ASSERT_STRING_EQUAL(s.facts[i].object, want[i]);
    CU_ASSERT_STRING_EQUAL(s.facts[3].value, "bigint");
    CU_ASSERT_PTR_NULL(c.owners);       /* handed over and released */
    snapshot_release(&s);
}

static void test_snapshot_apply_forgets_a_dropped_owner(void)
{
    static const uint64_t owners[] = { 1 };
    struct snapshot s = SNAPSHOT_INIT;
    struct snapshot_changes c = SNAPSHOT_CHANGES_INIT;
    struct err e = ERR_INIT;

    build(&s, base);
    set_owners(&c, owners, 1);          /* read again: nothing is there */
    CU_ASSERT_EQUAL_FATAL(snapshot_apply(&s, &c, &e), 0);
    CU_ASSERT_EQUAL_FATAL(s.n_facts, 3);
    CU_ASSERT_STRING_EQUAL(s.facts[0].object, "column b.id");
    CU_ASSERT_STRING_EQUAL(s.facts[2].object, "table b");
    snapshot_release(&s);
}

static void test_snapshot_diff_changes_compares_the_owners_read_again(void)
{
    static const char *const fresh[] = {
        "2|column b.id||",
        "2|column b.id|type|bigint",
        "2|table b||",
        NULL,
    };
    static const uint64_t owners[] = { 1, 2 };
    struct snapshot s = SNAPSHOT_INIT;
    struct snapshot_changes c = SNAPSHOT_CHANGES_INIT;
    struct strbuf out = STRBUF_INIT;

    build(&s, base);
    build(&c.facts, fresh);
    set_owners(&c, owners, 2);
    /* a is gone, b's column changed type */
    CU_ASSERT_EQUAL(snapshot_diff_changes(&s, &c, "downgrade of x", 8, &out), 3);
    CU_ASSERT_STRING_EQUAL(strbuf_str(&out),
                           "downgrade of x did not restore column a.id; "
                           "downgrade of x left column b.id type bigint, expected integer; "
                           "downgrade of x did not restore table a");
    strbuf_reset(&out);
    /* owner 1 not read again: only b is compared */
    c.n_owners = 1;
    c.owners[0] = 2;
    CU_ASSERT_EQUAL(snapshot_diff_changes(&s, &c, "downgrade of x", 8, &out), 1);
    snapshot_changes_release(&c);
    snapshot_release(&s);
    strbuf_release(&out);
}

static void test_snapshot_full_changes_compare_everything(void)
{
    struct snapshot s = SNAPSHOT_INIT;
    struct snapshot_changes c = SNAPSHOT_CHANGES_INIT;
    struct strbuf out = STRBUF_INIT;
    struct err e = ERR_INIT;

    build(&s, base);
    build(&c.facts, base + 2);          /* table a's columns gone */
    c.full = 1;
    CU_ASSERT_EQUAL(snapshot_diff_changes(&s, &c, "downgrade of x", 8, &out), 1);
    CU_ASSERT_EQUAL_FATAL(snapshot_apply(&s, &c, &e), 0);
    CU_ASSERT_EQUAL(s.n_facts, 4);
    snapshot_release(&s);
    strbuf_release(&out);
}

CU_TestInfo snapshot_changes_tests[] = {
    { "snapshot apply replaces only the owners read again",
      test_snapshot_apply_replaces_only_the_owners_read_again },
    { "snapshot apply forgets a dropped owner", test_snapshot_apply_forgets_a_dropped_owner },
    { "snapshot diff of changes compares the owners read again",
      test_snapshot_diff_changes_compares_the_owners_read_again },
    { "snapshot full changes compare everything", test_snapshot_full_changes_compare_everything },
    CU_TEST_INFO_NULL,
};
