/* test_json.c -- json_str() writes valid UTF-8 JSON whatever the bytes. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* json_str(s) as a string; the caller frees it. */
static char *json_of(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    json_str(f, s);
    fclose(f);
    return buf;
}

static void check(const char *in, const char *want)
{
    char *got = json_of(in);

    if (strcmp(got, want) != 0)
        fprintf(stderr, "\njson_str: got %s, want %s\n", got, want);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(got);
}

static void test_json_valid_utf8_passes_through(void)
{
    check("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
          "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    check("a\"b\\c\nd\x01", "\"a\\\"b\\\\c\\nd\\u0001\"");
    check(NULL, "null");
}

static void test_json_invalid_bytes_become_replacement_characters(void)
{
    check("a\xff" "b", "\"a\\ufffdb\"");
    check("\xc3", "\"\\ufffd\"");                       /* truncated at the end */
    check("\xc3(", "\"\\ufffd(\"");                     /* bad continuation */
    check("\xc0\xaf", "\"\\ufffd\\ufffd\"");            /* overlong '/' */
    check("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\""); /* overlong, 3 bytes */
    check("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* a UTF-16 surrogate */
    check("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  /* above U+10FFFF */
}

CU_TestInfo json_tests[] = {
    { "valid UTF-8 passes through", test_json_valid_utf8_passes_through },
    { "invalid bytes become U+FFFD", test_json_invalid_bytes_become_replacement_characters },
    CU_TEST_INFO_NULL,
};
