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
#include <sys/wait.h>
#include <unistd.h>

#include "build.h"
#include "graph.h"
#include "loader.h"
#include "models.h"
#include "schema.h"

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
    struct graph *g;
    const struct rev *r;
    struct plugin p = { 0 };

    if (geteuid() != 0)
        return;     /* needs root to hand a directory to nobody */
    g = graph_new();
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

/* dlopen("/proc/self/fd/N") matches loaded objects by name first: two
 * plugins open at once (fan-out runs several) must each be themselves,
 * never the other one that was loaded under the same descriptor number. */
static void test_trust_two_plugins_open_at_once_are_each_themselves(void)
{
    struct plugin a = { 0 }, b = { 0 };
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL_FATAL(plugin_open(&a, GOOD_DIR "/good_base.so", "aaaa00000001", &e), 0);
    CU_ASSERT_EQUAL(plugin_open(&b, GOOD_DIR "/good_child.so", "bbbb00000002", &e), 0);
    CU_ASSERT_STRING_EQUAL(e.msg, "");
    if (b.meta)
        CU_ASSERT_STRING_EQUAL(b.meta->revision, "bbbb00000002");
    plugin_close(&b);
    /* the same file twice is one object, twice referenced */
    CU_ASSERT_EQUAL(plugin_open(&b, GOOD_DIR "/good_base.so", "aaaa00000001", &e), 0);
    CU_ASSERT_PTR_EQUAL(a.handle, b.handle);
    plugin_close(&b);
    plugin_close(&a);
}

static int write_text(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    int ok;

    if (!f)
        return -1;
    ok = fputs(text, f) >= 0;
    if (fclose(f) != 0 || !ok)
        return -1;
    return chmod(path, mode);
}

static struct {
    int status;
    char err[4096];
} run;

/* RUNNER_BIN argv... in cwd, with `env` ("NAME=value" or NULL) added;
 * stderr into run.err, the exit status into run.status. */
static int runner_in(const char *cwd, const char *env, const char *const *argv)
{
    const char *args[16];
    FILE *fe = tmpfile();
    int n = 0, st;
    pid_t pid;
    ssize_t got;

    run.status = -1;
    run.err[0] = '\0';
    if (!fe)
        return -1;
    args[n++] = RUNNER_BIN;
    for (size_t i = 0; argv[i] && n < 15; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);

        dup2(null, 1);
        dup2(fileno(fe), 2);
        if (env)
            putenv((char *)env);
        if (chdir(cwd) < 0)
            _exit(126);
        execv(RUNNER_BIN, (char *const *)args);
        _exit(127);
    }
    if (pid > 0 && waitpid(pid, &st, 0) == pid)
        run.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    got = pread(fileno(fe), run.err, sizeof(run.err) - 1, 0);
    run.err[got > 0 ? got : 0] = '\0';
    fclose(fe);
    return run.status;
}

#define RUNNER_IN(cwd, env, ...) runner_in((cwd), (env), (const char *const[]){ __VA_ARGS__, NULL })

/* A project whose ./runner.ini names its plugin directory. */
static void make_project(char t[PATH_MAX], char ini[PATH_MAX])
{
    char plugins[PATH_MAX], text[PATH_MAX + 32];

    CU_ASSERT_EQUAL_FATAL(make_tmpdir(t), 0);
    FMT(plugins, "%s/plugins", t);
    CU_ASSERT_FATAL(snprintf(ini, PATH_MAX, "%s/runner.ini", t) < PATH_MAX);
    CU_ASSERT_EQUAL_FATAL(mkdir(plugins, 0755), 0);
    CU_ASSERT_EQUAL_FATAL(copy_ancestors(plugins), 0);
    FMT(text, "[runner]\ndir = %s\n", plugins);
    CU_ASSERT_EQUAL_FATAL(write_text(ini, text, 0644), 0);
}

/* Issue 10.2: anyone who may write the directory of an auto-discovered
 * ./runner.ini (or the file) chooses the plugins, the models plugin and
 * the compiler.  Refused, naming it and the override, like git's
 * safe.directory; the override is the command line's or environment's. */
static void test_trust_config_in_unsafe_directory_is_refused(void)
{
    char t[PATH_MAX], ini[PATH_MAX], want[ERR_MSG_SIZE + 64];

    make_project(t, ini);
    CU_ASSERT_EQUAL(RUNNER_IN(t, NULL, "heads"), 0);
    CU_ASSERT_STRING_EQUAL(run.err, "");

    CU_ASSERT_EQUAL_FATAL(chmod(t, 0777), 0);
    CU_ASSERT_EQUAL(RUNNER_IN(t, NULL, "heads"), 1);
    FMT(want, "runner: error: unsafe config directory '%s' (mode 0777): writable by group or "
              "others; fix with chmod go-w or pass --allow-unsafe-plugins\n", t);
    CU_ASSERT_STRING_EQUAL(run.err, want);
    /* the same rule for an explicit -c FILE */
    CU_ASSERT_EQUAL(RUNNER_IN("/", NULL, "-c", ini, "heads"), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(run.err, "unsafe config directory"));
    /* the override, from the command line or the environment */
    CU_ASSERT_EQUAL(RUNNER_IN(t, NULL, "--allow-unsafe-plugins", "heads"), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(run.err, "runner: warning: unsafe config directory"));
    CU_ASSERT_EQUAL(RUNNER_IN(t, "RUNNER_ALLOW_UNSAFE_PLUGINS=1", "heads"), 0);
    CU_ASSERT_EQUAL_FATAL(chmod(t, 0755), 0);

    if (geteuid() == 0) {
        CU_ASSERT_EQUAL_FATAL(chown(ini, nobody_uid(), 0), 0);
        CU_ASSERT_EQUAL(RUNNER_IN(t, NULL, "heads"), 1);
        FMT(want, "runner: error: unsafe config file 'runner.ini' (mode 0644): owned by uid %lu, "
                  "not by uid 0 or root; fix with chown or pass --allow-unsafe-plugins\n",
            (unsigned long)nobody_uid());
        CU_ASSERT_STRING_EQUAL(run.err, want);
    }
    remove_tree(t);
}

/* Issue 10.2: allow_unsafe_plugins never comes from a file. */
static void test_trust_config_key_allow_unsafe_plugins_is_refused(void)
{
    char t[PATH_MAX], ini[PATH_MAX], text[PATH_MAX + 64], plugins[PATH_MAX];
    char want[ERR_MSG_SIZE];

    make_project(t, ini);
    FMT(plugins, "%s/plugins", t);
    FMT(text, "[runner]\ndir = %s\nallow_unsafe_plugins = true\n", plugins);
    CU_ASSERT_EQUAL_FATAL(write_text(ini, text, 0644), 0);
    CU_ASSERT_EQUAL(RUNNER_IN(t, NULL, "heads"), 2);
    FMT(want, "runner: error: runner.ini:3: allow_unsafe_plugins is not read from a config "
              "file; pass --allow-unsafe-plugins or set RUNNER_ALLOW_UNSAFE_PLUGINS=1\n");
    CU_ASSERT_NSTRING_EQUAL(run.err, want, strlen(want));
    remove_tree(t);
}

/* Issue 10.2: the models plugin was dlopen()ed with no check at all. */
static void test_trust_models_plugin_in_unsafe_directory_is_refused(void)
{
    char t[PATH_MAX], path[PATH_MAX], want[ERR_MSG_SIZE];
    struct schema s = SCHEMA_INIT;
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL_FATAL(make_tmpdir(t), 0);
    FMT(path, "%s/models.so", t);
    CU_ASSERT_EQUAL_FATAL(copy_file(TEST_PLUGIN_DIR "/models/good_blog.so", path), 0);
    CU_ASSERT_EQUAL(models_load(path, &s, &e), 0);
    schema_release(&s);

    CU_ASSERT_EQUAL_FATAL(chmod(t, 0777), 0);
    CU_ASSERT_EQUAL(models_load(path, &s, &e), -1);
    FMT(want, "unsafe models plugin directory '%s' (mode 0777): writable by group or others; "
              "fix with chmod go-w or pass --allow-unsafe-plugins", t);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    CU_ASSERT_EQUAL(s.n_tables, 0);
    schema_release(&s);
    chmod(t, 0755);
    remove_tree(t);
}

/* A revision source in <t>/revisions and a fake compiler <dir>/fakecc that
 * leaves its environment in <t>/env and fails. */
static void make_build(const char *t, const char *ccdir, char cc[PATH_MAX])
{
    char path[PATH_MAX], text[PATH_MAX + 64];

    FMT(path, "%s/revisions", t);
    CU_ASSERT_EQUAL_FATAL(mkdir(path, 0755), 0);
    FMT(path, "%s/revisions/a.c", t);
    CU_ASSERT_EQUAL_FATAL(write_text(path, "int x;\n", 0644), 0);
    CU_ASSERT_FATAL(snprintf(cc, PATH_MAX, "%s/fakecc", ccdir) < PATH_MAX);
    FMT(text, "#!/bin/sh\nenv > '%s/env'\nexit 1\n", t);
    CU_ASSERT_EQUAL_FATAL(write_text(cc, text, 0755), 0);
}

static int file_has(const char *path, const char *needle)
{
    char buf[65536];
    FILE *f = fopen(path, "r");
    size_t n;

    if (!f)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, needle) != NULL;
}

/* Issue 10.2: the compiler runs without the database's secrets. */
static void test_trust_compiler_environment_has_no_database_secrets(void)
{
    char t[PATH_MAX], cc[PATH_MAX], sources[PATH_MAX], plugins[PATH_MAX], env[PATH_MAX];
    struct build_opts o = { 0 };
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL_FATAL(make_tmpdir(t), 0);
    make_build(t, t, cc);
    FMT(sources, "%s/revisions", t);
    FMT(plugins, "%s/plugins", t);
    FMT(env, "%s/env", t);
    o.sources = sources;
    o.dir = plugins;
    o.cc = cc;
    o.quiet = 1;
    setenv("DATABASE_URL", "postgresql://app:s3cret@db/app", 1);
    setenv("PGPASSWORD", "s3cret", 1);
    setenv("PGPASSFILE", "/root/.pgpass", 1);
    setenv("PGHOST", "db", 1);
    setenv("RUNNER_TEST_KEPT", "yes", 1);
    fprintf(stderr, "\n(one compile failure of '%s/revisions/a.c' is expected below)\n", t);
    CU_ASSERT_EQUAL(build_run(&o, NULL, &e), -1);       /* the fake compiler fails */
    unsetenv("DATABASE_URL");
    unsetenv("PGPASSWORD");
    unsetenv("PGPASSFILE");
    unsetenv("PGHOST");
    unsetenv("RUNNER_TEST_KEPT");
    CU_ASSERT_EQUAL(file_has(env, "RUNNER_TEST_KEPT=yes"), 1);     /* it ran, with our env */
    CU_ASSERT_EQUAL(file_has(env, "s3cret"), 0);
    CU_ASSERT_EQUAL(file_has(env, "DATABASE_URL="), 0);
    CU_ASSERT_EQUAL(file_has(env, "\nPG"), 0);
    remove_tree(t);
}

/* Issue 10.2: a compiler others may replace, and an output directory
 * others may write, are refused like an unsafe plugin. */
static void test_trust_unsafe_compiler_and_output_directory_are_refused(void)
{
    char t[PATH_MAX], bin[PATH_MAX], cc[PATH_MAX], sources[PATH_MAX], plugins[PATH_MAX];
    char env[PATH_MAX], want[ERR_MSG_SIZE];
    struct build_opts o = { 0 };
    struct err e = ERR_INIT;

    CU_ASSERT_EQUAL_FATAL(make_tmpdir(t), 0);
    FMT(bin, "%s/bin", t);
    CU_ASSERT_EQUAL_FATAL(mkdir(bin, 0755), 0);
    make_build(t, bin, cc);
    FMT(sources, "%s/revisions", t);
    FMT(plugins, "%s/plugins", t);
    FMT(env, "%s/env", t);
    o.sources = sources;
    o.dir = plugins;
    o.cc = "fakecc";            /* resolved on PATH */
    o.quiet = 1;

    CU_ASSERT_EQUAL_FATAL(chmod(bin, 0777), 0);
    {
        char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

        setenv("PATH", bin, 1);
        CU_ASSERT_EQUAL(build_run(&o, NULL, &e), -1);
        if (old) {
            setenv("PATH", old, 1);
            free(old);
        }
    }
    FMT(want, "unsafe compiler directory '%s' (mode 0777): writable by group or others; "
              "fix with chmod go-w or pass --allow-unsafe-plugins", bin);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    CU_ASSERT_EQUAL(access(env, F_OK), -1);     /* it never ran */
    CU_ASSERT_EQUAL_FATAL(chmod(bin, 0755), 0);

    o.cc = cc;
    mkdir(plugins, 0755);       /* made by the first run already */
    CU_ASSERT_EQUAL_FATAL(chmod(plugins, 0777), 0);
    err_clear(&e);
    CU_ASSERT_EQUAL(build_run(&o, NULL, &e), -1);
    FMT(want, "unsafe build output directory '%s' (mode 0777): writable by group or others; "
              "fix with chmod go-w or pass --allow-unsafe-plugins", plugins);
    CU_ASSERT_STRING_EQUAL(e.msg, want);
    CU_ASSERT_EQUAL(access(env, F_OK), -1);
    remove_tree(t);
}

CU_TestInfo trust_tests[] = {
    { "symlink target with a writable ancestor never runs",
      test_trust_symlink_target_with_writable_ancestor_never_runs },
    { "plugin replaced after the scan is refused at open",
      test_trust_plugin_replaced_after_scan_is_refused_at_open },
    { "two plugins open at once are each themselves",
      test_trust_two_plugins_open_at_once_are_each_themselves },
    { "config in an unsafe directory is refused", test_trust_config_in_unsafe_directory_is_refused },
    { "config key allow_unsafe_plugins is refused",
      test_trust_config_key_allow_unsafe_plugins_is_refused },
    { "models plugin in an unsafe directory is refused",
      test_trust_models_plugin_in_unsafe_directory_is_refused },
    { "compiler environment has no database secrets",
      test_trust_compiler_environment_has_no_database_secrets },
    { "unsafe compiler and output directory are refused",
      test_trust_unsafe_compiler_and_output_directory_are_refused },
    CU_TEST_INFO_NULL,
};
