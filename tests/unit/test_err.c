/* test_err.c -- struct err stays one line and bounded. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "err.h"

static void test_err_set_returns_minus_one_and_keeps_one_line(void)
{
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL(err_set(&e, ERR_FAIL, "bad\nthing %d\n", 3), -1);
    CU_ASSERT_STRING_EQUAL(e.msg, "bad thing 3");
    CU_ASSERT_EQUAL(e.code, ERR_FAIL);
}

static void test_err_set_folds_libpq_line_breaks_into_one_space(void)
{
    struct err e = ERR_INIT;

    err_set(&e, ERR_FAIL, "failed: Connection refused\n\tIs the server running?\n");
    CU_ASSERT_STRING_EQUAL(e.msg, "failed: Connection refused Is the server running?");
    err_set(&e, ERR_FAIL, "a \r\n\n  b\tc");
    CU_ASSERT_STRING_EQUAL(e.msg, "a b c");
}

static void test_err_prefix_adds_context(void)
{
    struct err e = ERR_INIT;

    err_set(&e, ERR_USAGE, "relation \"users\" already exists");
    err_prefix(&e, "revision %s", "ae10");
    CU_ASSERT_STRING_EQUAL(e.msg, "revision ae10: relation \"users\" already exists");
    CU_ASSERT_EQUAL(e.code, ERR_USAGE);
}

static void test_err_long_message_is_truncated_not_overflowed(void)
{
    struct err e = ERR_INIT;
    char big[4000];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    err_set(&e, ERR_FAIL, "%s", big);
    CU_ASSERT_EQUAL(strlen(e.msg), ERR_MSG_SIZE - 1);
    err_prefix(&e, "%s", big);
    CU_ASSERT(strlen(e.msg) < ERR_MSG_SIZE);
    CU_ASSERT(strlen(e.msg) > ERR_MSG_SIZE - 8);
}

static void test_err_set_escapes_control_characters(void)
{
    struct err e = ERR_INIT;

    err_set(&e, ERR_FAIL, "relation \"a\x1b[2Jb\" does not exist\x7f");
    CU_ASSERT_STRING_EQUAL(e.msg, "relation \"a\\x1b[2Jb\" does not exist\\x7f");
    err_prefix(&e, "revision \x01");
    CU_ASSERT_PTR_NULL(strchr(e.msg, '\x01'));
}

static void test_err_quote_escapes_and_cuts(void)
{
    char q[ERR_QUOTE_SIZE];
    char big[1000];

    CU_ASSERT_STRING_EQUAL(err_quote(q, sizeof(q), "a\nb\tc\x1b[0m\xc2\x9b"),
                           "a\\nb\\tc\\x1b[0m\\u009b");
    CU_ASSERT_STRING_EQUAL(err_quote(q, sizeof(q), "caf\xc3\xa9"), "caf\xc3\xa9");
    CU_ASSERT_STRING_EQUAL(err_quote(q, sizeof(q), NULL), "");
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    err_quote(q, sizeof(q), big);
    CU_ASSERT_EQUAL(strlen(q), ERR_QUOTE_MAX + 3);
    CU_ASSERT_STRING_EQUAL(q + ERR_QUOTE_MAX, "...");
    /* all controls: every escape fits in ERR_QUOTE_SIZE */
    memset(big, '\x1b', sizeof(big) - 1);
    err_quote(q, sizeof(q), big);
    CU_ASSERT_STRING_EQUAL(q + strlen(q) - 3, "...");
    /* a small buffer stays terminated */
    CU_ASSERT(strlen(err_quote(q, 8, "abcdefghijkl")) < 8);
}

static void test_err_server_fields_kept_apart(void)
{
    struct err e = ERR_INIT;

    err_set(&e, ERR_FAIL, "boom");
    err_server_fields(&e, "Key (x)=(1) already exists.\n", NULL, "line 1\nline 2", 7);
    err_prefix(&e, "revision a");
    CU_ASSERT_STRING_EQUAL(e.msg, "revision a: boom");
    CU_ASSERT_STRING_EQUAL(e.detail, "Key (x)=(1) already exists.");
    CU_ASSERT_STRING_EQUAL(e.hint, "");
    CU_ASSERT_STRING_EQUAL(e.context, "line 1\nline 2");
    CU_ASSERT_EQUAL(e.position, 7);
    err_set(&e, ERR_FAIL, "another");
    CU_ASSERT_STRING_EQUAL(e.detail, "");
    CU_ASSERT_EQUAL(e.position, 0);
}

CU_TestInfo err_tests[] = {
    { "err_set returns -1 and keeps one line", test_err_set_returns_minus_one_and_keeps_one_line },
    { "err_set folds libpq line breaks into one space",
      test_err_set_folds_libpq_line_breaks_into_one_space },
    { "err_prefix adds context", test_err_prefix_adds_context },
    { "long message is truncated, not overflowed", test_err_long_message_is_truncated_not_overflowed },
    { "err_set escapes control characters", test_err_set_escapes_control_characters },
    { "err_quote escapes and cuts a subject", test_err_quote_escapes_and_cuts },
    { "server fields are kept apart", test_err_server_fields_kept_apart },
    CU_TEST_INFO_NULL,
};
