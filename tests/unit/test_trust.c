/* test_trust.c -- only what was checked is loaded: the trust rule of
 * trust.c applied by the loader to the open file, and the same rule for
 * the models plugin, the config file, the build output directory and the
 * compiler.
 *
 * Each attack here swaps a file between the scan and the open, as a second
 * local user could; the tests run as root and give the attacker's
 * directories to `nobody`, which is what the trust rule looks at. */
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "graph.h"
#include "loader.h"

#define GOOD_DIR TEST_PLUGIN_DIR "/loader/good"

#define FMT(buf, ...) CU_ASSERT_FATAL(snprintf(buf, sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

static int make_tmpdir(char buf[PATH_MAX])
{
    snprintf(buf, PATH_MAX, "/tmp/runner-test-trust-XXXXXX");
    return mkdtemp(buf) && chmod(buf, 0755) == 0 ? 0 : -1;
}

/* rm -r, any depth (the trees here are small). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[PATH_MAX];
    struct stat st;

    if (!d)
        return;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
            continue;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int copy_file(const char *src, const char *dst)
{
    char buf[65536];
    int in, out, ret = -1;
    ssize_t r;

    in = open(src, O_RDONLY);
    if (in < 0)
        return -1;
    out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) {
        close(in);
        return -1;
    }
    while ((r = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)r) != r)
            goto out;
    ret = r < 0 ? -1 : fchmod(out, 0644);
out:
    close(in);
    close(out);
    return ret;
}

/* good_ctor.so's down revisions, good_base.so and good_child.so, into dir. */
static int copy_ancestors(const char *dir)
{
    char dst[PATH_MAX];

    snprintf(dst, sizeof(dst), "%s/good_base.so", dir);
    if (copy_file(GOOD_DIR "/good_base.so", dst) < 0)
        return -1;
    snprintf(dst, sizeof(dst), "%s/good_child.so", dir);
    return copy_file(GOOD_DIR "/good_child.so", dst);
}

static uid_t nobody_uid(void)
{
    struct passwd *pw = getpwnam("nobody");

    return pw ? pw->pw_uid : 65534;
}

/* Issue 10.1: plugins/p.so -> <t>/evil/sub/p.so, where sub is root's and
 * 0755 but its parent evil belongs to nobody.  nobody renames sub away
 * and puts a sub of its own, holding its own p.so, in its place between
 * the scan and the open.  Its constructor must never run: the scan walks
 * every ancestor of the link's target and refuses. */
static void test_trust_symlink_target_with_writable_ancestor_never_runs(void)
{
    char t[PATH_MAX], plugins[PATH_MAX], evil[PATH_MAX], sub[PATH_MAX], target[PATH_MAX];
    char link[PATH_MAX], old[PATH_MAX], marker[PATH_MAX];
    struct loader_opts o = { 0 };
    struct err e = ERR_INIT;
    struct graph *g = graph_new();
    const struct rev *r;
    struct plugin p = { 0 };

    if (geteuid() != 0)
        return;     /* needs root to hand a directory to nobody */
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL_FATAL(make_tmpdir(t), 0);
    FMT(plugins, "%s/plugins", t);
    FMT(evil, "%s/evil", t);
    FMT(sub, "%s/sub", evil);
    FMT(target, "%s/p.so", sub);
    FMT(link, "%s/p.so", plugins);
    FMT(old, "%s/old", evil);
    FMT(marker, "%s/constructor-ran", t);
    CU_ASSERT_EQUAL_FATAL(mkdir(plugins, 0755), 0);
    CU_ASSERT_EQUAL_FATAL(mkdir(evil, 0755), 0);
    CU_ASSERT_EQUAL_FATAL(chown(evil, nobody_uid(), 0), 0);
    CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0755), 0);
    CU_ASSERT_EQUAL_FATAL(copy_file(GOOD_DIR "/good_ctor.so", target), 0);
    CU_ASSERT_EQUAL_FATAL(symlink(target, link), 0);
    CU_ASSERT_EQUAL_FATAL(copy_ancestors(plugins), 0);

    if (loader_scan(plugins, &o, g, &e) == 0) {
        /* what the old loader allowed: now the swap, as nobody could */
        CU_ASSERT_EQUAL_FATAL(rename(sub, old), 0);
        CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0755), 0);
        CU_ASSERT_EQUAL_FATAL(chown(sub, nobody_uid(), 0), 0);
        CU_ASSERT_EQUAL_FATAL(copy_file(GOOD_DIR "/good_ctor.so", target), 0);
        CU_ASSERT_EQUAL_FATAL(chown(target, nobody_uid(), 0), 0);
        CU_ASSERT_FATAL(graph_count(g) == 3);
        r = graph_at(g, 2);     /* good_base, good_child, p */
        setenv("RUNNER_TEST_MARKER", marker, 1);
        CU_ASSERT_EQUAL(plugin_open_rev(&p, r, &e), -1);
        unsetenv("RUNNER_TEST_MARKER");
        plugin_close(&p);
        CU_FAIL("the scan accepted a plugin whose target's parent nobody may write");
    } else {
        char want[ERR_MSG_SIZE];

        FMT(want, "unsafe plugin file '%s' (resolves to '%s'): its parent '%s' (mode 0755) "
                  "is owned by uid %lu, not by uid 0 or root; fix with chown or pass "
                  "--allow-unsafe-plugins", link, target, evil, (unsigned long)nobody_uid());
        CU_ASSERT_STRING_EQUAL(e.msg, want);
    }
    CU_ASSERT_EQUAL(access(marker, F_OK), -1);     /* nobody's code never ran */
    graph_free(g);
    remove_tree(t);
}

/* Issue 10.1: a plugin replaced (another inode, same revision id) after
 * the scan is refused at the open, before dlopen() runs any of it. */
static void test_trust_plugin_replaced_after_scan_is_refused_at_open(void)
{
    char t[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX], marker[PATH_MAX], want[ERR_MSG_SIZE];
    struct loader_opts o = { 0 };
    struct err e = ERR_INIT;
    struct graph *g = graph_new();
    struct plugin p = { 0 };

    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL_FATAL(make_tmpdir(t), 0);
    FMT(path, "%s/good_ctor.so", t);
    FMT(tmp, "%s/.new", t);
    FMT(marker, "%s/constructor-ran", t);
    CU_ASSERT_EQUAL_FATAL(copy_file(GOOD_DIR "/good_ctor.so", path), 0);
    CU_ASSERT_EQUAL_FATAL(copy_ancestors(t), 0);
    CU_ASSERT_EQUAL_FATAL(loader_scan(t, &o, g, &e), 0);
    CU_ASSERT_FATAL(graph_count(g) == 3);

    CU_ASSERT_EQUAL_FATAL(copy_file(GOOD_DIR "/good_ctor.so", tmp), 0);
    CU_ASSERT_EQUAL_FATAL(rename(tmp, path), 0);
    setenv("RUNNER_TEST_MARKER", marker, 1);
    CU_ASSERT_EQUAL(plugin_open_rev(&p, graph_at(g, 2), &e), -1);
    unsetenv("RUNNER_TEST_MARKER");
    FMT(want, "plugin '%s': not the file the scan checked (replaced since the scan?)", path);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    CU_ASSERT_PTR_NULL(p.handle);
    CU_ASSERT_EQUAL(access(marker, F_OK), -1);
    plugin_close(&p);

    /* the file the scan saw opens, and runs */
    graph_free(g);
    g = graph_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL_FATAL(loader_scan(t, &o, g, &e), 0);
    setenv("RUNNER_TEST_MARKER", marker, 1);
    CU_ASSERT_EQUAL(plugin_open_rev(&p, graph_at(g, 2), &e), 0);
    unsetenv("RUNNER_TEST_MARKER");
    CU_ASSERT_EQUAL(access(marker, F_OK), 0);
    if (p.upgrade)
        CU_ASSERT_EQUAL(p.upgrade(NULL), 31);
    plugin_close(&p);
    graph_free(g);
    remove_tree(t);
}

CU_TestInfo trust_tests[] = {
    { "symlink target with a writable ancestor never runs",
      test_trust_symlink_target_with_writable_ancestor_never_runs },
    { "plugin replaced after the scan is refused at open",
      test_trust_plugin_replaced_after_scan_is_refused_at_open },
    CU_TEST_INFO_NULL,
};
