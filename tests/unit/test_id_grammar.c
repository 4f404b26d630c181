/* test_id_grammar.c -- ids and references read from plugins follow the
 * grammar `revision --rev-id` enforces (rev_id.h): anything else is
 * refused by the loader, naming the file, the field and the value
 * (issue 10.8).  The plugins are tests/plugins/loader/bad/bad_*_grammar.c. */
#include <CUnit/CUnit.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "loader.h"
#include "rev_id.h"

#define BAD_DIR TEST_PLUGIN_DIR "/loader/bad"

static void expect_refused(const char *name, const char *what)
{
    struct runner_revision m;
    struct err e = ERR_INIT;
    char path[PATH_MAX], want[PATH_MAX + 256];

    snprintf(path, sizeof(path), "%s/%s", BAD_DIR, name);
    snprintf(want, sizeof(want), "plugin '%s': %s may hold only letters, digits, '_' and '.'",
             path, what);
    CU_ASSERT_EQUAL(loader_read_meta(path, &m, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    if (strcmp(e.msg, want) != 0)
        fprintf(stderr, "\n  got:  %s\n  want: %s\n", e.msg, want);
}

static void test_id_grammar_plugin_revision_outside_is_refused(void)
{
    expect_refused("bad_id_grammar.so", "revision id 'bad0000/0010'");
}

static void test_id_grammar_plugin_label_outside_is_refused(void)
{
    expect_refused("bad_label_grammar.so", "branch_labels entry 1 'acc'ounts'");
}

static void test_id_grammar_plugin_down_revision_outside_is_refused(void)
{
    expect_refused("bad_down_grammar.so", "down_revision entry 2 'bb bb'");
}

static void test_id_grammar_is_letters_digits_underscore_dot(void)
{
    CU_ASSERT_PTR_NULL(rev_id_bad_char("ae1027a6acf"));
    CU_ASSERT_PTR_NULL(rev_id_bad_char("Release_1.2"));
    CU_ASSERT_PTR_NULL(rev_id_bad_char(""));
    CU_ASSERT_STRING_EQUAL(rev_id_bad_char("ab-cd"), "-cd");
    CU_ASSERT_STRING_EQUAL(rev_id_bad_char("ab\\"), "\\");
    CU_ASSERT_STRING_EQUAL(rev_id_bad_char("caf\xc3\xa9"), "\xc3\xa9");
}

CU_TestInfo id_grammar_tests[] = {
    { "plugin revision id outside the grammar is refused",
      test_id_grammar_plugin_revision_outside_is_refused },
    { "plugin branch label outside the grammar is refused",
      test_id_grammar_plugin_label_outside_is_refused },
    { "plugin down revision outside the grammar is refused",
      test_id_grammar_plugin_down_revision_outside_is_refused },
    { "the grammar is letters, digits, '_' and '.'", test_id_grammar_is_letters_digits_underscore_dot },
    CU_TEST_INFO_NULL,
};
