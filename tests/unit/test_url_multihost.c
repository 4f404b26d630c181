/* test_url_multihost.c -- libpq's multi-host urls (a primary and its
 * standbys, target_session_attrs) pass url.c untouched, and are shown
 * with every host and without their password. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

static void check_kept(const char *in, const char *want)
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

static void test_url_multihost_conninfo_is_kept(void)
{
    const char *kv = "host=/run/b,/run/a port=5432,5433 dbname=app "
                     "target_session_attrs=read-write";

    check_kept(kv, kv);
    check_kept("host=db1,db2 port=5432 target_session_attrs=primary",
               "host=db1,db2 port=5432 target_session_attrs=primary");
}

static void test_url_multihost_uri_is_kept(void)
{
    const char *uri = "postgresql://%2Frun%2Fb:5432,%2Frun%2Fa:5433/app?"
                      "target_session_attrs=read-write";

    check_kept(uri, uri);
    check_kept("postgresql+psycopg2://u:pw@db1:5432,db2:5432/app?target_session_attrs=read-write",
               "postgresql://u:pw@db1:5432,db2:5432/app?target_session_attrs=read-write");
}

static void test_url_multihost_mask_lists_every_host_without_password(void)
{
    check_mask("postgresql://%2Frun%2Fb:5432,%2Frun%2Fa:5433/app?target_session_attrs=read-write",
               "/run/b:5432,/run/a:5433/app");
    check_mask("host=/run/b,/run/a port=5432,5433 dbname=app password=s3cret "
               "target_session_attrs=read-write",
               "/run/b:5432,/run/a:5433/app");
    check_mask("postgresql://u:s3cret@db1,db2/app?target_session_attrs=read-write",
               "u@db1,db2/app");
}

CU_TestInfo url_multihost_tests[] = {
    { "multi-host conninfo is kept", test_url_multihost_conninfo_is_kept },
    { "multi-host uri is kept", test_url_multihost_uri_is_kept },
    { "multi-host mask lists every host without password",
      test_url_multihost_mask_lists_every_host_without_password },
    CU_TEST_INFO_NULL,
};
