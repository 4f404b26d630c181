/* test_build.c -- build_run() compiles what is stale, in parallel, embeds
 * the source checksum, never leaves a broken or temporary file behind, and
 * names every source that failed.  Needs a C compiler ($CC or cc), as
 * `runner build` does. */
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "checksum.h"
#include "loader.h"
#include "scan_index.h"

#define FMT(buf, ...) CU_ASSERT_FATAL(snprintf(buf, sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

static const char good_a[] =
    "#include <runner/plugin.h>\n"
    "RUNNER_REVISION(.revision = \"b0000000000a\", .message = \"first\");\n"
    "int upgrade(runner_op *op) { (void)op; return 0; }\n"
    "int downgrade(runner_op *op) { (void)op; return 0; }\n";

static const char good_b[] =
    "#include <runner/plugin.h>\r\n"
    "RUNNER_REVISION(.revision = \"b0000000000b\",\r\n"
    "                .down_revision = RUNNER_REVS(\"b0000000000a\"));\r\n"
    "int upgrade(runner_op *op) { (void)op; return 0; }\r\n"
    "int downgrade(runner_op *op) { (void)op; return 0; }\r\n";

/* -Werror turns the unused variable into a failure */
static const char broken[] =
    "#include <runner/plugin.h>\n"
    "RUNNER_REVISION(.revision = \"b0000000000c\");\n"
    "int upgrade(runner_op *op) { int unused; (void)op; return 0; }\n"
    "int downgrade(runner_op *op) { (void)op; return 0; }\n";

struct fixture {
    char root[PATH_MAX];
    char src[PATH_MAX];
    char dir[PATH_MAX];
};

static int put(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX];
    FILE *f;
    int ok;

    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
        return -1;
    f = fopen(path, "wb");
    if (!f)
        return -1;
    ok = fwrite(text, 1, strlen(text), f) == strlen(text);
    return fclose(f) == 0 && ok ? 0 : -1;
}

static void fixture_init(struct fixture *fx)
{
    FMT(fx->root, "/tmp/runner-test-build-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(fx->root));
    FMT(fx->src, "%s/revisions", fx->root);
    FMT(fx->dir, "%s/out/plugins", fx->root);     /* created by the build */
    CU_ASSERT_EQUAL_FATAL(mkdir(fx->src, 0755), 0);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[PATH_MAX];

    if (!d)
        return;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
            continue;
        if (de->d_type == DT_DIR)
            remove_dir(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static void opts_init(struct build_opts *o, const struct fixture *fx)
{
    const char *cc = getenv("CC");

    memset(o, 0, sizeof(*o));
    o->sources = fx->src;
    o->dir = fx->dir;
    o->cc = cc && *cc ? cc : "cc";
    o->include_dir = TEST_SOURCE_DIR "/../plugin-api/include";
    o->jobs = 2;
    o->quiet = 1;
}

/* Entries of dir whose name starts with '.', other than . and .. and the
 * scan index the build writes: temporaries left behind */
static int count_hidden(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    if (!d)
        return -1;
    while ((de = readdir(d)))
        if (de->d_name[0] == '.' && strcmp(de->d_name, ".") != 0 &&
            strcmp(de->d_name, "..") != 0 && strcmp(de->d_name, SCAN_INDEX_NAME) != 0)
            n++;
    closedir(d);
    return n;
}

static void set_mtime(const char *path, time_t delta)
{
    struct timespec ts[2];

    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec += delta;
    ts[1] = ts[0];
    CU_ASSERT_EQUAL(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void test_build_compiles_stale_sources_and_names_failures(void)
{
    struct fixture fx;
    struct build_opts o;
    struct build_result r;
    struct err e = ERR_INIT;
    struct runner_revision m;
    struct stat st;
    char path[PATH_MAX], src[PATH_MAX], want[ERR_MSG_SIZE], sum[CHECKSUM_HEX_SIZE];

    fixture_init(&fx);
    CU_ASSERT_EQUAL(put(fx.src, "a_first.c", good_a), 0);
    CU_ASSERT_EQUAL(put(fx.src, "b_second.c", good_b), 0);
    CU_ASSERT_EQUAL(put(fx.src, "c_broken.c", broken), 0);
    CU_ASSERT_EQUAL(put(fx.src, ".hidden.c", "not C"), 0);
    CU_ASSERT_EQUAL(put(fx.src, "notes.txt", "not C"), 0);
    opts_init(&o, &fx);

    fprintf(stderr, "\n(one compiler error about 'unused' is expected below)\n");
    CU_ASSERT_EQUAL(build_run(&o, &r, &e), -1);
    FMT(want, "failed to compile 1 of 3 revisions: '%s/c_broken.c'", fx.src);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    CU_ASSERT_EQUAL(r.compiled, 2);
    CU_ASSERT_EQUAL(r.failed, 1);
    CU_ASSERT_EQUAL(r.up_to_date, 0);

    /* good ones in place, safe modes; the broken one absent; no temp files */
    FMT(path, "%s/a_first.so", fx.dir);
    CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 022, 0);
    FMT(path, "%s/c_broken.so", fx.dir);
    CU_ASSERT_EQUAL(access(path, F_OK), -1);
    CU_ASSERT_EQUAL(count_hidden(fx.dir), 0);

    /* the checksum of the source (CRLF normalised) is embedded */
    FMT(path, "%s/b_second.so", fx.dir);
    FMT(src, "%s/b_second.c", fx.src);
    CU_ASSERT_EQUAL_FATAL(loader_read_meta(path, &m, &e), 0);
    CU_ASSERT_EQUAL_FATAL(checksum_file(src, sum, &e), 0);
    CU_ASSERT_STRING_EQUAL(m.source_sha256, sum);
    CU_ASSERT_STRING_EQUAL(m.down_revision[0], "b0000000000a");

    /* without the broken one, everything is up to date */
    FMT(src, "%s/c_broken.c", fx.src);
    CU_ASSERT_EQUAL(unlink(src), 0);
    err_clear(&e);
    CU_ASSERT_EQUAL(build_run(&o, &r, &e), 0);
    CU_ASSERT_EQUAL(r.compiled, 0);
    CU_ASSERT_EQUAL(r.up_to_date, 2);
    /* the scan index was missing (the first build failed): written now,
     * safe for the scan to use */
    FMT(path, "%s/%s", fx.dir, SCAN_INDEX_NAME);
    CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0644);

    /* a source newer than its plugin is rebuilt, only it */
    FMT(src, "%s/a_first.c", fx.src);
    set_mtime(src, 5);
    CU_ASSERT_EQUAL(build_run(&o, &r, &e), 0);
    CU_ASSERT_EQUAL(r.compiled, 1);
    CU_ASSERT_EQUAL(r.up_to_date, 1);

    /* --force rebuilds all */
    o.force = 1;
    CU_ASSERT_EQUAL(build_run(&o, &r, &e), 0);
    CU_ASSERT_EQUAL(r.compiled, 2);
    remove_dir(fx.root);
}

static void test_build_failure_keeps_the_previous_plugin(void)
{
    struct fixture fx;
    struct build_opts o;
    struct build_result r;
    struct err e = ERR_INIT;
    struct runner_revision m;
    char path[PATH_MAX], src[PATH_MAX], sum[CHECKSUM_HEX_SIZE];

    fixture_init(&fx);
    CU_ASSERT_EQUAL(put(fx.src, "a_first.c", good_a), 0);
    opts_init(&o, &fx);
    o.jobs = 1;
    CU_ASSERT_EQUAL_FATAL(build_run(&o, &r, &e), 0);
    /* a build that compiled something writes the scan index, and it
     * holds what was built */
    FMT(path, "%s/%s", fx.dir, SCAN_INDEX_NAME);
    CU_ASSERT_EQUAL(access(path, F_OK), 0);
    {
        struct scan_index ix;
        int dfd = open(fx.dir, O_RDONLY | O_DIRECTORY);

        CU_ASSERT_FATAL(dfd >= 0);
        CU_ASSERT_EQUAL(scan_index_load(dfd, &ix), 1);
        CU_ASSERT_EQUAL(ix.n, 1);
        if (ix.n == 1)
            CU_ASSERT_STRING_EQUAL(ix.v[0].name, "a_first.so");
        scan_index_release(&ix);
        close(dfd);
    }

    /* the source is edited into something that does not compile */
    CU_ASSERT_EQUAL(put(fx.src, "a_first.c", broken), 0);
    FMT(src, "%s/a_first.c", fx.src);
    set_mtime(src, 5);
    fprintf(stderr, "\n(one compiler error about 'unused' is expected below)\n");
    CU_ASSERT_EQUAL(build_run(&o, &r, &e), -1);
    CU_ASSERT_EQUAL(r.failed, 1);

    /* the old plugin is still there, whole, with the old checksum */
    FMT(path, "%s/a_first.so", fx.dir);
    CU_ASSERT_EQUAL_FATAL(loader_read_meta(path, &m, &e), 0);
    CU_ASSERT_STRING_EQUAL(m.revision, "b0000000000a");
    CU_ASSERT_EQUAL(checksum_buf(good_a, strlen(good_a), sum, &e), 0);
    CU_ASSERT_STRING_EQUAL(m.source_sha256, sum);
    CU_ASSERT_EQUAL(count_hidden(fx.dir), 0);
    remove_dir(fx.root);
}

static void test_build_errors_name_what_is_missing(void)
{
    struct fixture fx;
    struct build_opts o;
    struct build_result r;
    struct err e = ERR_INIT;
    char want[ERR_MSG_SIZE], path[PATH_MAX];

    fixture_init(&fx);
    opts_init(&o, &fx);

    /* nothing to build is not an error, and creates nothing */
    CU_ASSERT_EQUAL(build_run(&o, &r, &e), 0);
    CU_ASSERT_EQUAL(r.compiled + r.failed + r.up_to_date, 0);

    CU_ASSERT_EQUAL(put(fx.src, "a_first.c", good_a), 0);
    o.cc = "/nonexistent/runner-cc";
    CU_ASSERT_EQUAL(build_run(&o, &r, &e), -1);
    CU_ASSERT_STRING_EQUAL(e.msg,
        "cannot run compiler '/nonexistent/runner-cc': No such file or directory");
    FMT(path, "%s/a_first.so", fx.dir);
    CU_ASSERT_EQUAL(access(path, F_OK), -1);
    CU_ASSERT_EQUAL(count_hidden(fx.dir), 0);

    FMT(path, "%s/missing", fx.root);
    o.sources = path;
    CU_ASSERT_EQUAL(build_run(&o, &r, &e), -1);
    FMT(want, "cannot read sources directory '%s': No such file or directory", path);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    remove_dir(fx.root);
}

static void test_build_include_dir_can_be_overridden(void)
{
    const char *old = getenv("RUNNER_PLUGIN_INCLUDE");
    char *saved = old ? strdup(old) : NULL;

    setenv("RUNNER_PLUGIN_INCLUDE", "/opt/somewhere/include", 1);
    CU_ASSERT_STRING_EQUAL(build_include_dir(), "/opt/somewhere/include");
    unsetenv("RUNNER_PLUGIN_INCLUDE");
    /* otherwise one of the two compiled-in places, holding the header */
    CU_ASSERT(strcmp(build_include_dir(), RUNNER_PLUGIN_INCLUDE_INSTALL) == 0 ||
              strcmp(build_include_dir(), RUNNER_PLUGIN_INCLUDE_BUILD) == 0);
    if (saved) {
        setenv("RUNNER_PLUGIN_INCLUDE", saved, 1);
        free(saved);
    }
}

CU_TestInfo build_tests[] = {
    { "compiles stale sources and names failures",
      test_build_compiles_stale_sources_and_names_failures },
    { "a failed compile keeps the previous plugin", test_build_failure_keeps_the_previous_plugin },
    { "errors name what is missing", test_build_errors_name_what_is_missing },
    { "include dir can be overridden", test_build_include_dir_can_be_overridden },
    CU_TEST_INFO_NULL,
};
