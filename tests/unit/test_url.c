/* test_url.c -- connection strings are normalised for libpq and never
 * shown with their password. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

static void check_normalize(const char *in, const char *want)
{
    struct err e = ERR_INIT;
    char *got = url_normalize(in, &e);

    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(got);
}

static void check_mask(const char *in, const char *want)
{
    char buf[256];

    CU_ASSERT_STRING_EQUAL(url_mask(in, buf, sizeof(buf)), want);
}

static void test_url_sqlalchemy_driver_is_stripped(void)
{
    check_normalize("postgresql+psycopg2://u:p@h:5433/db", "postgresql://u:p@h:5433/db");
    check_normalize("postgresql+asyncpg://h/db", "postgresql://h/db");
    check_normalize("postgres+pg8000://h/db", "postgresql://h/db");
}

static void test_url_plain_forms_are_kept(void)
{
    check_normalize("postgresql://h/db", "postgresql://h/db");
    check_normalize("postgres://h/db", "postgresql://h/db");
    check_normalize("host=/tmp dbname=x", "host=/tmp dbname=x");
    check_normalize("", "");
}

static void test_url_foreign_scheme_is_usage_error(void)
{
    struct err e = ERR_INIT;

    CU_ASSERT_PTR_NULL(url_normalize("mysql://u:secret@h/db", &e));
    CU_ASSERT_EQUAL(e.code, ERR_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "'mysql'"));
    CU_ASSERT_PTR_NULL(strstr(e.msg, "secret"));
}

static void test_url_is_uri(void)
{
    CU_ASSERT_TRUE(url_is_uri("postgresql://x"));
    CU_ASSERT_TRUE(url_is_uri("postgresql+psycopg2://x"));
    CU_ASSERT_FALSE(url_is_uri("host=x dbname=y"));
    CU_ASSERT_FALSE(url_is_uri(NULL));
}

static void test_url_mask_uri_password(void)
{
    check_mask("postgresql://alice:s3cret@db.example:5432/app",
               "postgresql://alice:***@db.example:5432/app");
    check_mask("postgresql+psycopg2://alice:s3cret@h/app?sslmode=require",
               "postgresql+psycopg2://alice:***@h/app?sslmode=require");
    /* a raw '@' in the password is still hidden */
    check_mask("postgresql://alice:p@ss@h/app", "postgresql://alice:***@h/app");
    /* no password: unchanged */
    check_mask("postgresql://alice@h/app", "postgresql://alice@h/app");
    check_mask("postgresql:///postgres?host=/tmp/x&port=5999",
               "postgresql:///postgres?host=/tmp/x&port=5999");
}

static void test_url_mask_query_password(void)
{
    check_mask("postgresql://h/db?user=a&password=s3cret&port=1",
               "postgresql://h/db?user=a&password=***&port=1");
    check_mask("postgresql:///db?password=s3cret", "postgresql:///db?password=***");
}

static void test_url_mask_conninfo_password(void)
{
    check_mask("host=h password=s3cret dbname=d", "host=h password=*** dbname=d");
    check_mask("host=h password = 'with space \\' quote' dbname=d",
               "host=h password = *** dbname=d");
    check_mask("password=s3cret", "password=***");
    check_mask("passwordx=shown", "passwordx=shown");
}

static void test_url_mask_empty_is_libpq_defaults(void)
{
    check_mask(NULL, "(libpq defaults)");
    check_mask("", "(libpq defaults)");
}

static void test_url_mask_truncates_safely(void)
{
    char buf[12];

    url_mask("postgresql://alice:s3cret@h/app", buf, sizeof(buf));
    CU_ASSERT_EQUAL(strlen(buf), sizeof(buf) - 1);
    CU_ASSERT_PTR_NULL(strstr(buf, "s3c"));
}

static void test_url_scrub_removes_secret(void)
{
    char msg[] = "invalid percent-encoded token: \"s3%cret\" in s3%cret";
    char small[] = "pw ab here ab";

    url_scrub(msg, "s3%cret");
    CU_ASSERT_STRING_EQUAL(msg, "invalid percent-encoded token: \"***\" in ***");
    url_scrub(small, "ab");
    CU_ASSERT_STRING_EQUAL(small, "pw ** here **");
    url_scrub(small, NULL);
    CU_ASSERT_STRING_EQUAL(small, "pw ** here **");
}

static void check_password(const char *in, const char *want)
{
    char *pw = url_password(in);

    if (!want) {
        CU_ASSERT_PTR_NULL(pw);
    } else {
        CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
        CU_ASSERT_STRING_EQUAL(pw, want);
    }
    free(pw);
}

static void test_url_password_as_written(void)
{
    check_password("postgresql://alice:s%zz@h/db", "s%zz");
    check_password("postgresql://h/db?a=1&password=q1", "q1");
    check_password("host=h password='a \\'b' x=y", "a 'b");
    check_password("host=h password=plain", "plain");
    check_password("postgresql://alice@h/db", NULL);
    check_password("host=h", NULL);
    check_password(NULL, NULL);
}

CU_TestInfo url_tests[] = {
    { "password is extracted as written", test_url_password_as_written },
    { "sqlalchemy +driver is stripped", test_url_sqlalchemy_driver_is_stripped },
    { "plain forms are kept", test_url_plain_forms_are_kept },
    { "foreign scheme is a usage error", test_url_foreign_scheme_is_usage_error },
    { "uri or conninfo", test_url_is_uri },
    { "mask hides the uri password", test_url_mask_uri_password },
    { "mask hides a password query parameter", test_url_mask_query_password },
    { "mask hides a conninfo password", test_url_mask_conninfo_password },
    { "mask of nothing names libpq defaults", test_url_mask_empty_is_libpq_defaults },
    { "mask truncates safely", test_url_mask_truncates_safely },
    { "scrub removes the secret", test_url_scrub_removes_secret },
    CU_TEST_INFO_NULL,
};
