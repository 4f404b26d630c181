/* test_build_known.c -- the stale check can take "does this plugin carry
 * its source checksum" from a caller that has just scanned the plugins
 * (build_opts.plugin_has_checksum) instead of reading each file again,
 * and upgrade/downgrade's stale-plugin warning, which answers from the
 * graph, still counts a plugin built without a checksum.  Needs a C
 * compiler. */
#include <CUnit/CUnit.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"

#define FMT(buf, ...) CU_ASSERT_FATAL(snprintf(buf, sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))
#define INC TEST_SOURCE_DIR "/../plugin-api/include"

static const char rev_src[] =
    "#include <runner/plugin.h>\n"
    "RUNNER_REVISION(.revision = \"c0ffee000001\", .message = \"known\");\n"
    "int upgrade(runner_op *op) { (void)op; return 0; }\n"
    "int downgrade(runner_op *op) { (void)op; return 0; }\n";

struct fx {
    char root[PATH_MAX], src[PATH_MAX], dir[PATH_MAX], so[PATH_MAX];
};

/* A source and, newer than it, its plugin built by a plain cc line: no
 * checksum, so stale by the file. */
static void fx_init(struct fx *f)
{
    char path[PATH_MAX], cmd[3 * PATH_MAX];
    FILE *out;

    FMT(f->root, "/tmp/runner-test-known-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(f->root));
    CU_ASSERT_FATAL(chmod(f->root, 0755) == 0);
    FMT(f->src, "%s/revisions", f->root);
    FMT(f->dir, "%s/plugins", f->root);
    CU_ASSERT_FATAL(mkdir(f->src, 0755) == 0 && mkdir(f->dir, 0755) == 0);
    FMT(path, "%s/c0ffee000001_known.c", f->src);
    FMT(f->so, "%s/c0ffee000001_known.so", f->dir);
    out = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    CU_ASSERT(fputs(rev_src, out) >= 0);
    CU_ASSERT_FATAL(fclose(out) == 0);
    FMT(cmd, "${CC:-cc} -shared -fPIC -I '%s' '%s' -o '%s'", INC, path, f->so);
    CU_ASSERT_FATAL(system(cmd) == 0);
}

static void fx_release(struct fx *f)
{
    char cmd[PATH_MAX + 16];

    FMT(cmd, "rm -rf '%s'", f->root);
    CU_ASSERT(system(cmd) == 0);
}

struct answer {
    int value;                  /* what the callback says */
    char asked[PATH_MAX];       /* the last path it was asked about */
    int calls;
};

static int answer(const char *path, void *arg)
{
    struct answer *a = arg;

    snprintf(a->asked, sizeof(a->asked), "%s", path);
    a->calls++;
    return a->value;
}

static size_t stale_with(const struct fx *f, struct answer *a)
{
    struct build_opts o;
    struct build_result r = { 0 };
    struct err e = ERR_INIT;

    memset(&o, 0, sizeof(o));
    o.sources = f->src;
    o.dir = f->dir;
    o.include_dir = INC;
    o.jobs = 1;
    o.quiet = 1;
    o.dry_run = 1;
    if (a) {
        o.plugin_has_checksum = answer;
        o.plugin_has_checksum_arg = a;
    }
    CU_ASSERT(build_run(&o, &r, &e) == 0);
    return r.stale;
}

static void test_build_known_checksum_answers_instead_of_the_file(void)
{
    struct fx f;
    struct answer yes = { 1, "", 0 }, no = { 0, "", 0 }, unknown = { -1, "", 0 };

    fx_init(&f);
    CU_ASSERT_EQUAL(stale_with(&f, NULL), 1);       /* the file: no checksum */
    CU_ASSERT_EQUAL(stale_with(&f, &yes), 0);       /* the caller's word wins */
    CU_ASSERT_EQUAL(yes.calls, 1);
    CU_ASSERT_STRING_EQUAL(yes.asked, f.so);
    CU_ASSERT_EQUAL(stale_with(&f, &no), 1);
    CU_ASSERT_EQUAL(stale_with(&f, &unknown), 1);   /* unknown: the file is read */
    CU_ASSERT_EQUAL(unknown.calls, 1);
    fx_release(&f);
}

/* The CLI's answer comes from the graph: a plugin built without checksum
 * is still reported.  downgrade against a server that is not there: the
 * warning comes before connecting. */
static void test_build_known_upgrade_warns_about_a_plugin_without_checksum(void)
{
    struct fx f;
    char cmd[4 * PATH_MAX], out[PATH_MAX], text[4096] = "";
    FILE *in;
    size_t n;

    fx_init(&f);
    FMT(out, "%s/stderr", f.root);
    FMT(cmd, "cd '%s' && '%s' --sources '%s' --dir '%s' --url 'host=%s/nowhere port=1' "
        "downgrade base >/dev/null 2>'%s'", f.root, RUNNER_BIN, f.src, f.dir, f.root, out);
    CU_ASSERT(system(cmd) != 0);        /* nothing to connect to */
    in = fopen(out, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    n = fread(text, 1, sizeof(text) - 1, in);
    text[n] = '\0';
    fclose(in);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "runner: warning: 1 plugin is older than its source or "
                                        "not built; run 'runner build'"));
    fx_release(&f);
}

CU_TestInfo build_known_tests[] = {
    { "known checksum answers instead of the file",
      test_build_known_checksum_answers_instead_of_the_file },
    { "upgrade warns about a plugin without checksum",
      test_build_known_upgrade_warns_about_a_plugin_without_checksum },
    CU_TEST_INFO_NULL,
};
