/* test_build_stale.c -- what build_run() counts as stale beyond mtimes: a
 * plugin without its source checksum (a plain `cc` line), and the models
 * plugin against models_sources; the dry run counts without compiling;
 * build_cflags() prints what the build passes.  Needs a C compiler. */
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "checksum.h"
#include "loader.h"

#define FMT(buf, ...) CU_ASSERT_FATAL(snprintf(buf, sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))
#define INC TEST_SOURCE_DIR "/../plugin-api/include"

static const char rev_src[] =
    "#include <runner/plugin.h>\n"
    "RUNNER_REVISION(.revision = \"5ta1e0000001\", .message = \"stale\");\n"
    "int upgrade(runner_op *op) { (void)op; return 0; }\n"
    "int downgrade(runner_op *op) { (void)op; return 0; }\n";

static const char model_src[] =
    "#include <runner/model.h>\n"
    "RUNNER_MODEL(thing, .table = \"things\",\n"
    "    .columns = RUNNER_MODEL_COLUMNS({ .name = \"id\", .type = RUNNER_T_INTEGER, .primary_key = 1 }));\n";

static const char registry_src[] =
    "#include <runner/model.h>\n"
    "RUNNER_MODEL_DECLARE(thing);\n"
    "RUNNER_MODELS(RUNNER_MODEL_REF(thing));\n";

struct fx {
    char root[PATH_MAX], src[PATH_MAX], dir[PATH_MAX], models[PATH_MAX], models_out[PATH_MAX];
};

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT(fputs(text, f) >= 0);
    CU_ASSERT(fclose(f) == 0);
}

static void fx_init(struct fx *f)
{
    FMT(f->root, "/tmp/runner-test-stale-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(f->root));
    FMT(f->src, "%s/revisions", f->root);
    FMT(f->dir, "%s/plugins", f->root);
    FMT(f->models, "%s/models", f->root);
    FMT(f->models_out, "%s/build/models.so", f->root);
    CU_ASSERT_FATAL(mkdir(f->src, 0755) == 0 && mkdir(f->dir, 0755) == 0 &&
                    mkdir(f->models, 0755) == 0);
}

static void fx_release(struct fx *f)
{
    char cmd[PATH_MAX + 16];

    FMT(cmd, "rm -rf '%s'", f->root);
    CU_ASSERT(system(cmd) == 0);
}

static void opts(struct build_opts *o, const struct fx *f)
{
    const char *cc = getenv("CC");

    memset(o, 0, sizeof(*o));
    o->sources = f->src;
    o->dir = f->dir;
    o->cc = cc && *cc ? cc : "cc";
    o->include_dir = INC;
    o->jobs = 1;
    o->quiet = 1;
}

static void test_build_rebuilds_a_plugin_without_checksum(void)
{
    struct fx f;
    struct build_opts o;
    struct build_result r;
    struct err e = ERR_INIT;
    struct runner_revision m;
    char src[PATH_MAX], so[PATH_MAX], cmd[3 * PATH_MAX], sha[CHECKSUM_HEX_SIZE];

    fx_init(&f);
    opts(&o, &f);
    FMT(src, "%s/5ta1e0000001_stale.c", f.src);
    FMT(so, "%s/5ta1e0000001_stale.so", f.dir);
    put(src, rev_src);
    /* the README's plain line: newer than its source, but no checksum */
    FMT(cmd, "${CC:-cc} -shared -fPIC -I '%s' '%s' -o '%s'", INC, src, so);
    CU_ASSERT_FATAL(system(cmd) == 0);
    CU_ASSERT_FATAL(loader_read_meta(so, &m, &e) == 0);
    CU_ASSERT_STRING_EQUAL(m.source_sha256, "");

    o.dry_run = 1;
    CU_ASSERT(build_run(&o, &r, &e) == 0);
    CU_ASSERT_EQUAL(r.stale, 1);
    CU_ASSERT_EQUAL(r.compiled, 0);
    o.dry_run = 0;
    CU_ASSERT(build_run(&o, &r, &e) == 0);
    CU_ASSERT_EQUAL(r.compiled, 1);
    CU_ASSERT_FATAL(checksum_file(src, sha, &e) == 0);
    CU_ASSERT_FATAL(loader_read_meta(so, &m, &e) == 0);
    CU_ASSERT_STRING_EQUAL(m.source_sha256, sha);
    /* and now it is up to date */
    CU_ASSERT(build_run(&o, &r, &e) == 0);
    CU_ASSERT_EQUAL(r.compiled, 0);
    CU_ASSERT_EQUAL(r.up_to_date, 1);
    fx_release(&f);
}

static void test_build_compiles_the_models_plugin_when_a_source_changed(void)
{
    struct fx f;
    struct build_opts o;
    struct build_result r;
    struct err e = ERR_INIT;
    char path[PATH_MAX];
    struct stat st;

    fx_init(&f);
    opts(&o, &f);
    o.models_sources = f.models;
    o.models_out = f.models_out;
    FMT(path, "%s/thing.c", f.models);
    put(path, model_src);
    FMT(path, "%s/models.c", f.models);
    put(path, registry_src);

    CU_ASSERT(build_run(&o, &r, &e) == 0);
    CU_ASSERT_EQUAL(r.compiled, 1);
    CU_ASSERT_FATAL(stat(f.models_out, &st) == 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0755);
    o.dry_run = 1;
    CU_ASSERT(build_run(&o, &r, &e) == 0);
    CU_ASSERT_EQUAL(r.stale, 0);
    /* a source newer than the plugin */
    {
        struct timespec ts[2] = { { st.st_mtim.tv_sec + 10, 0 }, { st.st_mtim.tv_sec + 10, 0 } };

        CU_ASSERT(utimensat(AT_FDCWD, path, ts, 0) == 0);
    }
    CU_ASSERT(build_run(&o, &r, &e) == 0);
    CU_ASSERT_EQUAL(r.stale, 1);
    fx_release(&f);
}

static void test_build_cflags_prints_include_and_checksum(void)
{
    struct fx f;
    struct err e = ERR_INIT;
    char src[PATH_MAX], sha[CHECKSUM_HEX_SIZE], want[PATH_MAX + 128];
    char *flags = NULL;

    fx_init(&f);
    FMT(src, "%s/x.c", f.src);
    put(src, rev_src);
    CU_ASSERT_FATAL(checksum_file(src, sha, &e) == 0);
    CU_ASSERT_FATAL(build_cflags(src, "/inc", &flags, &e) == 0);
    FMT(want, "-I/inc -DRUNNER_SOURCE_SHA256=\"%s\"", sha);
    CU_ASSERT_STRING_EQUAL(flags, want);
    free(flags);
    CU_ASSERT(build_cflags("/nonexistent/x.c", "/inc", &flags, &e) < 0);
    CU_ASSERT_PTR_NULL(flags);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "/nonexistent/x.c"));
    fx_release(&f);
}

CU_TestInfo build_stale_tests[] = {
    { "a plugin without checksum is rebuilt", test_build_rebuilds_a_plugin_without_checksum },
    { "the models plugin is compiled when a source changed",
      test_build_compiles_the_models_plugin_when_a_source_changed },
    { "cflags prints the include dir and the checksum",
      test_build_cflags_prints_include_and_checksum },
    CU_TEST_INFO_NULL,
};
