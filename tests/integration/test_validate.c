/* test_validate.c -- `validate`, `repair` and upgrade's checksum check
 * against a real PostgreSQL: revisions are written and compiled with
 * `runner build` in a scratch project, applied, edited and rebuilt. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itrust.h"

#define HAS(hay, needle) CU_ASSERT_PTR_NOT_NULL(strstr((hay), (needle)))
#define HAS_NOT(hay, needle) CU_ASSERT_PTR_NULL(strstr((hay), (needle)))

static struct it_run run;       /* big buffers: static, reused by each test in turn */

#define RUN(p, url, ...) it_project_run(&run, (p), (url), (const char *const[]){ __VA_ARGS__, NULL })

static void show(const char *what)
{
    fprintf(stderr, "\n%s exited %d:\n%s%s\n", what, run.status, run.out, run.err);
}

/* v1 <- v2 <- v3, built with `runner build` and applied. */
static int applied_project(struct it_project *p, const char *db, char *url, size_t size)
{
    if (it_db_create(db, url, size) < 0 || it_project_new(p) < 0)
        return -1;
    if (it_project_rev(p, "v1", NULL, NULL) < 0 || it_project_rev(p, "v2", "v1", NULL) < 0 ||
        it_project_rev(p, "v3", "v2", NULL) < 0)
        return -1;
    if (RUN(p, url, "build") != 0 || RUN(p, url, "upgrade", "head") != 0) {
        show("build/upgrade");
        return -1;
    }
    return 0;
}

static void test_clean_project_validates(void)
{
    struct it_project p;
    char url[IT_URL_SIZE];

    CU_ASSERT_FATAL(applied_project(&p, "it_val_clean", url, sizeof(url)) == 0);
    CU_ASSERT_EQUAL(RUN(&p, url, "validate"), 0);
    HAS(run.out, "3 applied revisions: 3 ok, 0 edited, 0 missing");
    CU_ASSERT_EQUAL(RUN(&p, url, "validate", "-v"), 0);
    HAS(run.out, "ok: revision v1 (");
    HAS(run.out, "ok: revision v3 (");
    /* nothing to repair */
    CU_ASSERT_EQUAL(RUN(&p, url, "repair"), 0);
    HAS(run.out, "0 checksums recorded");
    it_project_remove(&p);
}

static void test_edited_revision(void)
{
    struct it_project p;
    char url[IT_URL_SIZE], out[512];

    CU_ASSERT_FATAL(applied_project(&p, "it_val_edited", url, sizeof(url)) == 0);
    /* edit the applied v2 (a different statement), add a new head v4 */
    CU_ASSERT_FATAL(it_project_rev(&p, "v2", "v1",
                                   "    return op_execute(op, \"CREATE TABLE trust_v2 "
                                   "(id bigint)\");\n") == 0);
    CU_ASSERT_FATAL(it_project_rev(&p, "v4", "v3", NULL) == 0);
    CU_ASSERT_EQUAL_FATAL(RUN(&p, url, "build", "--force"), 0);

    CU_ASSERT_EQUAL(RUN(&p, url, "validate"), 1);
    HAS(run.out, "edited: revision v2 (");
    HAS(run.out, "v2.so): source checksum changed since it was applied (recorded ");
    HAS_NOT(run.out, "revision v1 (");
    HAS_NOT(run.out, "v4");         /* not applied yet: not validated */
    HAS(run.out, "3 applied revisions: 2 ok, 1 edited, 0 missing");
    HAS(run.err, "runner: error: validation failed: 1 edited, 0 missing");

    /* upgrade refuses, naming the revision, and changes nothing */
    CU_ASSERT_EQUAL(RUN(&p, url, "upgrade", "head"), 1);
    HAS(run.err, "revision v2 (");
    HAS(run.err, "source checksum changed since it was applied (recorded ");
    HAS(run.err, "revert the edit, or run `runner repair` after a deliberate change; "
                 "--ignore-checksums to skip");
    it_check_versions(url, "v3");
    CU_ASSERT_EQUAL(it_tables(url, "trust_v4"), 0);

    /* the offline renderer needs no database: not checked */
    CU_ASSERT_EQUAL(RUN(&p, url, "upgrade", "--sql", "v3:head"), 0);

    /* --ignore-checksums proceeds */
    CU_ASSERT_EQUAL(RUN(&p, url, "upgrade", "head", "--ignore-checksums"), 0);
    if (run.status != 0)
        show("upgrade --ignore-checksums");
    it_check_versions(url, "v4");
    CU_ASSERT_EQUAL(it_tables(url, "trust_v4"), 1);
    /* still edited */
    CU_ASSERT_EQUAL(RUN(&p, url, "validate"), 1);
    HAS(run.out, "4 applied revisions: 3 ok, 1 edited");

    /* repair records the new checksum; validate is clean again */
    CU_ASSERT_EQUAL(RUN(&p, url, "repair"), 0);
    HAS(run.out, "repaired: revision v2 (");
    HAS(run.out, "1 checksum recorded");
    it_query(url, "SELECT direction || ':' || success::text || ':' || length(checksum) "
                  "FROM runner_history WHERE revision = 'v2' ORDER BY id", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "upgrade:true:64,repair:true:64");
    it_query(url, "SELECT count(DISTINCT checksum) FROM runner_history WHERE revision = 'v2'",
             out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "2");
    CU_ASSERT_EQUAL(RUN(&p, url, "validate"), 0);
    HAS(run.out, "4 applied revisions: 4 ok, 0 edited, 0 missing");
    it_check_versions(url, "v4");
    /* and upgrade runs without complaint */
    CU_ASSERT_EQUAL(RUN(&p, url, "upgrade", "head"), 0);

    /* downgrade below v2, re-upgrade: the new source is what ran, recorded */
    CU_ASSERT_FATAL(it_project_rev(&p, "v2", "v1",
                                   "    return op_execute(op, \"CREATE TABLE trust_v2 "
                                   "(id smallint)\");\n") == 0);
    CU_ASSERT_EQUAL_FATAL(RUN(&p, url, "build", "--force"), 0);
    CU_ASSERT_EQUAL(RUN(&p, url, "downgrade", "v1"), 0);
    CU_ASSERT_EQUAL(RUN(&p, url, "validate"), 0);   /* v2 no longer applied */
    HAS(run.out, "1 applied revision: 1 ok");
    CU_ASSERT_EQUAL(RUN(&p, url, "upgrade", "head"), 0);
    CU_ASSERT_EQUAL(RUN(&p, url, "validate"), 0);
    HAS(run.out, "4 applied revisions: 4 ok");
    it_project_remove(&p);
}

static void test_missing_plugin(void)
{
    struct it_project p;
    char url[IT_URL_SIZE], path[1024];

    CU_ASSERT_FATAL(applied_project(&p, "it_val_missing", url, sizeof(url)) == 0);
    snprintf(path, sizeof(path), "%s/v3.so", p.plugins);
    CU_ASSERT_EQUAL_FATAL(unlink(path), 0);
    CU_ASSERT_EQUAL(RUN(&p, url, "validate"), 1);
    HAS(run.out, "missing: revision v3: applied, but no plugin in the directory");
    HAS(run.out, "3 applied revisions: 2 ok, 0 edited, 1 missing");
    HAS(run.err, "validation failed: 0 edited, 1 missing");
    /* repair cannot invent the checksum of a plugin that is not there */
    CU_ASSERT_EQUAL(RUN(&p, url, "repair"), 1);
    HAS(run.err, "1 applied revision missing from '");
    /* upgrade still names the unknown version as alembic does */
    CU_ASSERT_EQUAL(RUN(&p, url, "upgrade", "head"), 1);
    HAS(run.err, "Can't locate revision identified by 'v3'");
    it_project_remove(&p);
}

/* Stamped revisions have no recorded checksum, a plugin compiled with
 * plain cc has none embedded: both reported, neither an error. */
static void test_unrecorded_and_no_checksum(void)
{
    struct it_project p;
    char url[IT_URL_SIZE], cmd[4096], out[256];

    CU_ASSERT_FATAL(it_db_create("it_val_unrec", url, sizeof(url)) == 0);
    CU_ASSERT_FATAL(it_project_new(&p) == 0);
    CU_ASSERT_FATAL(it_project_rev(&p, "v1", NULL, NULL) == 0);
    CU_ASSERT_FATAL(it_project_rev(&p, "v2", "v1", NULL) == 0);
    CU_ASSERT_EQUAL_FATAL(RUN(&p, url, "build"), 0);
    /* v3 by hand, without -DRUNNER_SOURCE_SHA256 */
    CU_ASSERT_FATAL(it_project_rev(&p, "v3", "v2", NULL) == 0);
    snprintf(cmd, sizeof(cmd), "cc -shared -fPIC -I '%s' -o '%s/v3.so' '%s/v3.c'",
             RUNNER_PLUGIN_INCLUDE_BUILD, p.plugins, p.sources);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);

    CU_ASSERT_EQUAL(RUN(&p, url, "stamp", "v1"), 0);
    CU_ASSERT_EQUAL(RUN(&p, url, "validate"), 0);
    HAS(run.out, "unrecorded: revision v1 (");
    HAS(run.out, "1 applied revision: 0 ok, 0 edited, 0 missing, 1 unrecorded");
    CU_ASSERT_EQUAL(RUN(&p, url, "upgrade", "head"), 0);
    if (run.status != 0)
        show("upgrade");
    it_check_versions(url, "v3");
    CU_ASSERT_EQUAL(RUN(&p, url, "validate"), 0);
    HAS(run.out, "no checksum: revision v3 (");
    HAS(run.out, "the plugin was built without RUNNER_SOURCE_SHA256");
    HAS(run.out, "3 applied revisions: 1 ok, 0 edited, 0 missing, 1 unrecorded, "
                 "1 without checksum");
    /* repair records v1's checksum (it has one), not v3's (none) */
    CU_ASSERT_EQUAL(RUN(&p, url, "repair"), 0);
    HAS(run.out, "repaired: revision v1 (");
    HAS(run.out, "(none before)");
    HAS(run.out, "1 checksum recorded");
    it_query(url, "SELECT count(*) FROM runner_history WHERE direction = 'repair'", out,
             sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "1");
    CU_ASSERT_EQUAL(RUN(&p, url, "validate"), 0);
    HAS(run.out, "3 applied revisions: 2 ok, 0 edited, 0 missing, 0 unrecorded, "
                 "1 without checksum");
    it_project_remove(&p);
}

/* A database without version or history table: nothing applied. */
static void test_empty_database(void)
{
    struct it_project p;
    char url[IT_URL_SIZE];

    CU_ASSERT_FATAL(it_db_create("it_val_empty", url, sizeof(url)) == 0);
    CU_ASSERT_FATAL(it_project_new(&p) == 0);
    CU_ASSERT_FATAL(it_project_rev(&p, "v1", NULL, NULL) == 0);
    CU_ASSERT_EQUAL_FATAL(RUN(&p, url, "build"), 0);
    CU_ASSERT_EQUAL(RUN(&p, url, "validate"), 0);
    HAS(run.out, "0 applied revisions");
    CU_ASSERT_EQUAL(RUN(&p, url, "repair"), 0);
    it_check_versions(url, "-");       /* repair with nothing to record creates nothing */
    CU_ASSERT_EQUAL(RUN(&p, url, "validate", "extra"), 2);
    CU_ASSERT_EQUAL(RUN(&p, url, "repair", "--bogus"), 2);
    it_project_remove(&p);
}

CU_TestInfo validate_tests[] = {
    { "a clean project validates", test_clean_project_validates },
    { "an edited applied revision: validate, upgrade, --ignore-checksums, repair",
      test_edited_revision },
    { "a missing plugin of an applied revision", test_missing_plugin },
    { "stamped (unrecorded) and plain-cc (no checksum) revisions",
      test_unrecorded_and_no_checksum },
    { "an empty database", test_empty_database },
    CU_TEST_INFO_NULL,
};
