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
    check_mask("postgresql://alice:s3cret@db.example:5432/app", "alice@db.example:5432/app");
    check_mask("postgresql+psycopg2://alice:s3cret@h/app?sslmode=require", "alice@h/app");
    /* a raw '@' in the password: libpq takes the rest for the host */
    check_mask("postgresql://alice:p@ss@h/app", "alice@***/app");
    /* no password: the same parts */
    check_mask("postgresql://alice@h/app", "alice@h/app");
    check_mask("postgresql:///postgres?host=/tmp/x&port=5999", "/tmp/x:5999/postgres");
}

static void test_url_mask_query_password(void)
{
    check_mask("postgresql://h/db?user=a&password=s3cret&port=1", "a@h:1/db");
    check_mask("postgresql:///db?password=s3cret", "/db");
}

static void test_url_mask_conninfo_password(void)
{
    check_mask("host=h password=s3cret dbname=d", "h/d");
    check_mask("host=h password = 'with space \\' quote' dbname=d", "h/d");
    check_mask("password=s3cret", "(libpq defaults)");
    check_mask("host=h passwordx=shown", "(invalid connection string)");
}

/* Each of these leaked with the old text-searching mask. */
static void check_hidden(const char *url, const char *want)
{
    char buf[256];

    url_mask(url, buf, sizeof(buf));
    CU_ASSERT_PTR_NULL(strstr(buf, "s3cret"));
    CU_ASSERT_STRING_EQUAL(buf, want);
}

static void test_url_mask_percent_encoded_password_key(void)
{
    check_hidden("postgresql://alice@h/app?pass%77ord=s3cret", "alice@h/app");
    check_hidden("postgresql://alice@h/app?%70assword=s3cret", "alice@h/app");
    check_hidden("postgresql://alice@h/app?%70%61%73%73%77%6f%72%64=s3cret", "alice@h/app");
}

static void test_url_mask_sslpassword(void)
{
    check_hidden("host=h sslpassword=s3cret dbname=d", "h/d");
    check_hidden("postgresql://alice@h/app?sslpassword=s3cret", "alice@h/app");
}

static void test_url_mask_nested_url_in_dbname(void)
{
    check_hidden("host=h dbname=postgresql://u:s3cret@h2/db", "h/***");
    check_hidden("host=h dbname='user=u password=s3cret'", "h/***");
    check_hidden("postgresql://h/?dbname=postgresql%3A%2F%2Fu%3As3cret%40h2%2Fdb", "h/***");
}

static void test_url_mask_multi_host(void)
{
    check_mask("postgresql://alice:s3cret@h1:5432,h2:5433/app", "alice@h1:5432,h2:5433/app");
    check_mask("host=h1,h2 port=6000 dbname=d", "h1:6000,h2:6000/d");
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

/* url_normalize refuses what would put a secret into libpq's messages,
 * and its own message shows none of the url. */
static void check_refused(const char *url)
{
    struct err e = ERR_INIT;
    char *got = url_normalize(url, &e);

    CU_ASSERT_PTR_NULL(got);
    CU_ASSERT_EQUAL(e.code, ERR_FAIL);      /* as a connection that cannot succeed */
    CU_ASSERT_PTR_NULL(strstr(e.msg, "s3"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "invalid database url"));
    free(got);
}

static void test_url_normalize_refuses_what_would_echo_the_password(void)
{
    /* libpq: invalid percent-encoded token: "s3%zzcret" */
    check_refused("postgresql://alice:s3%zzcret@h/db");
    check_refused("host=h dbname=postgresql://u:s3cret@h2/db");
    check_refused("postgresql://alice:s3@cret@h/db");
}

static void test_url_has_password(void)
{
    CU_ASSERT_TRUE(url_has_password("postgresql://alice:s3cret@h/db"));
    CU_ASSERT_TRUE(url_has_password("postgresql://h/db?pass%77ord=x"));
    CU_ASSERT_TRUE(url_has_password("host=h sslpassword=x"));
    CU_ASSERT_FALSE(url_has_password("postgresql://alice@h/db"));
    CU_ASSERT_FALSE(url_has_password("host=h"));
    CU_ASSERT_FALSE(url_has_password(NULL));
}

CU_TestInfo url_tests[] = {
    { "sqlalchemy +driver is stripped", test_url_sqlalchemy_driver_is_stripped },
    { "plain forms are kept", test_url_plain_forms_are_kept },
    { "foreign scheme is a usage error", test_url_foreign_scheme_is_usage_error },
    { "uri or conninfo", test_url_is_uri },
    { "mask hides the uri password", test_url_mask_uri_password },
    { "mask hides a password query parameter", test_url_mask_query_password },
    { "mask hides a conninfo password", test_url_mask_conninfo_password },
    { "mask of nothing names libpq defaults", test_url_mask_empty_is_libpq_defaults },
    { "mask truncates safely", test_url_mask_truncates_safely },
    { "mask hides a password under a percent-encoded key",
      test_url_mask_percent_encoded_password_key },
    { "mask hides an sslpassword", test_url_mask_sslpassword },
    { "mask hides a url nested in dbname", test_url_mask_nested_url_in_dbname },
    { "mask lists several hosts", test_url_mask_multi_host },
    { "normalize refuses what would echo the password",
      test_url_normalize_refuses_what_would_echo_the_password },
    { "has_password sees every spelling", test_url_has_password },
    CU_TEST_INFO_NULL,
};
