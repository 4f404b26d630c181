/* test_revision.c -- the revision source template: slugs, ids, escaping,
 * and that what it writes compiles against the plugin API. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "revision_source.h"

static void test_revision_slug_matches_alembic(void)
{
    char *s = revision_slug("Add users table");

    CU_ASSERT_STRING_EQUAL(s, "add_users_table");
    free(s);
    s = revision_slug("  add: 'email' column!! ");
    CU_ASSERT_STRING_EQUAL(s, "add_email_column");
    free(s);
    s = revision_slug("");
    CU_ASSERT_STRING_EQUAL(s, "");
    free(s);
}

static void test_revision_slug_is_truncated_at_a_word(void)
{
    char *s = revision_slug("this is a rather long message about adding many columns at once");

    CU_ASSERT(strlen(s) <= 41);
    CU_ASSERT_STRING_EQUAL(s, "this_is_a_rather_long_message_about_");
    free(s);
}

static void test_revision_id_with_illegal_char_is_error(void)
{
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL(revision_check_id("ab-cd", &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "Revision identifier 'ab-cd' cannot contain '-'");
    CU_ASSERT_EQUAL(revision_check_id("abcdefabcdefabcdefabcdefabcdefabc", &e), -1);
    CU_ASSERT_EQUAL(revision_check_id("a\"b", &e), -1);
    CU_ASSERT_EQUAL(revision_check_id("ae1027a6acf", &e), 0);
}

static void test_revision_new_id_is_12_hex(void)
{
    char a[13], b[13];

    CU_ASSERT_EQUAL(revision_new_id(a, NULL), 0);
    CU_ASSERT_EQUAL(revision_new_id(b, NULL), 0);
    CU_ASSERT_EQUAL(strlen(a), 12);
    CU_ASSERT_EQUAL(strspn(a, "0123456789abcdef"), 12);
    CU_ASSERT(strcmp(a, b) != 0);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t len = 0;

    if (!f)
        return NULL;
    if (getdelim(&buf, &len, '\0', f) < 0) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* The generated file must compile as is, hostile message included. */
static void test_revision_write_compiles_with_hostile_message(void)
{
    char dir[] = "/tmp/runner-test-rev.XXXXXX";
    const char *down[] = { "ae1027a6acf", "27c6a30d7c24" };
    const char *labels[] = { "accounts" };
    struct revision_spec spec = {
        .id = "1975ea83b712",
        .message = "Add \"users\" */ table\\ with\nnewline ?\?= and ünïcode",
        .down = down, .n_down = 2,
        .labels = labels, .n_labels = 1,
        .no_transaction = 1,
    };
    struct err e = ERR_INIT;
    char *path = NULL, *text = NULL, cmd[1024];

    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    spec.dir = dir;
    CU_ASSERT_EQUAL_FATAL(revision_write(&spec, &path, &e), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(path, "/1975ea83b712_add_users_table_with_newline_and_n"));
    text = slurp(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, ".down_revision = RUNNER_REVS(\"ae1027a6acf\", \"27c6a30d7c24\")"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, " * Revises: ae1027a6acf, 27c6a30d7c24\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, ".flags = RUNNER_NO_TRANSACTION"));
    snprintf(cmd, sizeof(cmd),
             "cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -I %s/../plugin-api/include "
             "'%s' -o %s/out.so", TEST_SOURCE_DIR, path, dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
    /* a second file with the same id is refused */
    {
        char *again = NULL;

        CU_ASSERT_EQUAL(revision_write(&spec, &again, &e), -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "already exists"));
        free(again);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
    free(text);
    free(path);
}

static void test_revision_too_long_message_is_error(void)
{
    char msg[600];
    struct revision_spec spec = { .id = "abc", .message = msg, .dir = "/tmp" };
    struct err e = ERR_INIT;
    char *path = NULL;

    memset(msg, 'm', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    CU_ASSERT_EQUAL(revision_write(&spec, &path, &e), -1);
    CU_ASSERT_PTR_NULL(path);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "message is 599 bytes long"));
}

CU_TestInfo revision_tests[] = {
    { "slug matches alembic", test_revision_slug_matches_alembic },
    { "slug is truncated at a word", test_revision_slug_is_truncated_at_a_word },
    { "id with illegal char is an error", test_revision_id_with_illegal_char_is_error },
    { "new id is 12 hex characters", test_revision_new_id_is_12_hex },
    { "written file compiles, hostile message included",
      test_revision_write_compiles_with_hostile_message },
    { "too long message is an error", test_revision_too_long_message_is_error },
    CU_TEST_INFO_NULL,
};
