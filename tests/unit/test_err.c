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

CU_TestInfo err_tests[] = {
    { "err_set returns -1 and keeps one line", test_err_set_returns_minus_one_and_keeps_one_line },
    { "err_set folds libpq line breaks into one space",
      test_err_set_folds_libpq_line_breaks_into_one_space },
    { "err_prefix adds context", test_err_prefix_adds_context },
    { "long message is truncated, not overflowed", test_err_long_message_is_truncated_not_overflowed },
    CU_TEST_INFO_NULL,
};
