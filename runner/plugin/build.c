/* build.c -- compiles stale revision sources into plugins, in parallel;
 * see build.h.  Children are started with posix_spawn() (no shell: the
 * compiler line is an argv; the compiler is resolved on PATH and
 * trust-checked first, and runs without the database's secrets in its
 * environment), and reaped one by one; the rename into place
 * happens in the parent after the child exited 0.
 *
 * NEEDSWORK: a SIGINT reaches the compilers and the runner alike and kills
 * the runner before it can remove the temporary files; they are hidden
 * (.<name>.so.<pid>.tmp), so the loader ignores them, but they stay. */
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checksum.h"
#include "loader.h"
#include "scan_index.h"
#include "trust.h"

extern char **environ;

#ifndef RUNNER_PLUGIN_INCLUDE_BUILD
#define RUNNER_PLUGIN_INCLUDE_BUILD "plugin-api/include"
#endif
#ifndef RUNNER_PLUGIN_INCLUDE_INSTALL
#define RUNNER_PLUGIN_INCLUDE_INSTALL "/usr/local/include"
#endif

#ifndef RUNNER_PLUGIN_INCLUDE_FROM_BIN
#define RUNNER_PLUGIN_INCLUDE_FROM_BIN "../include"
#endif

/* The installed headers seen from the running binary: <dir of
 * /proc/self/exe>/RUNNER_PLUGIN_INCLUDE_FROM_BIN, so that an install
 * prefix moved or made with `cmake --install --prefix` elsewhere still
 * finds its own headers.  Fills buf and returns it, or NULL when there
 * is no runner/plugin.h there. */
static const char *include_dir_from_exe(char *buf, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;
    char header[PATH_MAX + 32];

    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    if (!(slash = strrchr(exe, '/')))
        return NULL;
    *slash = '\0';
    if ((size_t)snprintf(buf, size, "%s/%s", exe, RUNNER_PLUGIN_INCLUDE_FROM_BIN) >= size ||
        (size_t)snprintf(header, sizeof(header), "%s/runner/plugin.h", buf) >= sizeof(header))
        return NULL;
    return access(header, R_OK) == 0 ? buf : NULL;
}

const char *build_include_dir(void)
{
    /* the CLI is one thread; the answer is the same on every call */
    static char from_exe[PATH_MAX];
    const char *env = getenv("RUNNER_PLUGIN_INCLUDE");

    if (env && *env)
        return env;
    if (include_dir_from_exe(from_exe, sizeof(from_exe)))
        return from_exe;
    if (access(RUNNER_PLUGIN_INCLUDE_INSTALL "/runner/plugin.h", R_OK) == 0)
        return RUNNER_PLUGIN_INCLUDE_INSTALL;
    return RUNNER_PLUGIN_INCLUDE_BUILD;
}

/* One source to compile. */
struct job {
    char *src;                  /* <sources>/<name>.c */
    char *out;                  /* <dir>/<name>.so */
    char *tmp;                  /* <dir>/.<name>.so.<pid>.tmp: the compiler writes here */
    char sha[CHECKSUM_HEX_SIZE];
    pid_t pid;                  /* running child, 0 when none */
    int failed;                 /* the compiler failed on it */
};

static void job_release(struct job *j)
{
    free(j->src);
    free(j->out);
    free(j->tmp);
}

/* A string split on blanks, appended to a growing argv. */
struct words {
    char **v;                   /* NULL-terminated; strings owned */
    size_t n, cap;
};

static int words_push(struct words *w, const char *s, size_t len)
{
    if (w->n + 2 > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 32;
        char **v = realloc(w->v, cap * sizeof(*v));

        if (!v)
            return -1;
        w->v = v;
        w->cap = cap;
    }
    w->v[w->n] = strndup(s, len);
    if (!w->v[w->n])
        return -1;
    w->v[++w->n] = NULL;
    return 0;
}

static int words_split(struct words *w, const char *s)
{
    while (s && *s) {
        size_t len;

        s += strspn(s, " \t\n");
        len = strcspn(s, " \t\n");
        if (len && words_push(w, s, len) < 0)
            return -1;
        s += len;
    }
    return 0;
}

static void words_release(struct words *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->v[i]);
    free(w->v);
    memset(w, 0, sizeof(*w));
}

static int ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* mkdir -p, each new level 0755. */
static int make_dirs(const char *dir, struct err *e)
{
    char path[PATH_MAX];
    size_t len = strlen(dir);

    if (len == 0 || len >= sizeof(path))
        return err_set(e, ERR_FAIL, "bad plugin directory '%s'", dir);
    memcpy(path, dir, len + 1);
    for (char *p = path + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;

            *p = '\0';
            if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return err_set(e, ERR_FAIL, "cannot create plugin directory '%s': %s", path,
                               strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    return 0;
}

/* Where execvp() would find `prog`, into out[PATH_MAX]; -1 with errno
 * when nowhere.  Resolved up front so that a missing compiler is one clear
 * error, however a failed exec is reported (glibc: the error; valgrind:
 * exit status 127), and so that the file trust-checked is the one run. */
static int find_program(const char *prog, char out[PATH_MAX])
{
    const char *path = getenv("PATH");

    if (strchr(prog, '/')) {
        if (strlen(prog) >= PATH_MAX || access(prog, X_OK) < 0)
            return -1;
        strcpy(out, prog);
        return 0;
    }
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t len = strcspn(path, ":");

        if (len == 0) {
            /* empty entry: the current directory */
            if (strlen(prog) + 2 < PATH_MAX && access(prog, X_OK) == 0) {
                snprintf(out, PATH_MAX, "./%s", prog);
                return 0;
            }
        } else if (len + 1 + strlen(prog) < PATH_MAX) {
            memcpy(out, path, len);
            out[len] = '/';
            strcpy(out + len + 1, prog);
            if (access(out, X_OK) == 0)
                return 0;
        }
        path += len;
        if (*path == ':')
            path++;
    }
    errno = ENOENT;
    return -1;
}

/* The compiler's environment: ours without the database's secrets and
 * connection settings (DATABASE_URL and every PG* variable: PGPASSWORD,
 * PGPASSFILE, PGSERVICE, ...).  A compiler and its plugins-to-be have no
 * business with the database.  The strings are environ's; the array is
 * the caller's to free. */
static char **compiler_env(void)
{
    size_t n = 0, k = 0;
    char **v;

    while (environ[n])
        n++;
    v = malloc((n + 1) * sizeof(*v));
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *kv = environ[i];

        if (strncmp(kv, "PG", 2) == 0 || strncmp(kv, "DATABASE_URL=", 13) == 0)
            continue;
        v[k++] = environ[i];
    }
    v[k] = NULL;
    return v;
}

/* The compiler named by argv0, resolved on PATH into prog and trust-checked
 * as code that decides what the plugins hold (issue 10.2), and the
 * environment it runs with (compiler_env(): the caller frees *envp). */
static int compiler_open(const char *argv0, const struct trust_opts *to, char prog[PATH_MAX],
                         char ***envp, struct err *e)
{
    struct stat cst;
    int cfd = -1, r;

    *envp = NULL;
    if (!argv0)
        return err_set(e, ERR_FAIL, "no compiler given");
    if (find_program(argv0, prog) < 0)
        return err_set(e, ERR_FAIL, "cannot run compiler '%s': %s", argv0, strerror(errno));
    r = trust_open(AT_FDCWD, prog, prog, "compiler", 0, to, &cfd, &cst, e);
    if (r > 0)
        return err_set(e, ERR_FAIL, "cannot run compiler '%s': %s", argv0, strerror(ENOENT));
    if (r < 0)
        return -1;
    close(cfd);
    *envp = compiler_env();
    if (!*envp)
        return err_set(e, ERR_FAIL, "out of memory");
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the *.c files in dir (not hidden).  Caller frees each
 * and the array. */
static int list_sources(const char *dir, char ***out, size_t *n_out, struct err *e)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **v = NULL;
    size_t n = 0, cap = 0;

    *out = NULL;
    *n_out = 0;
    if (!d)
        return err_set(e, ERR_FAIL, "cannot read sources directory '%s': %s", dir,
                       strerror(errno));
    for (;;) {
        size_t len;

        errno = 0;
        de = readdir(d);
        if (!de)
            break;
        len = strlen(de->d_name);
        if (len < 3 || de->d_name[0] == '.' || strcmp(de->d_name + len - 2, ".c") != 0 ||
            de->d_type == DT_DIR)
            continue;
        if (n == cap) {
            char **nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));

            if (!nv)
                goto oom;
            v = nv;
        }
        if (!(v[n] = strdup(de->d_name)))
            goto oom;
        n++;
    }
    if (errno) {
        int saved = errno;

        for (size_t i = 0; i < n; i++)
            free(v[i]);
        free(v);
        closedir(d);
        return err_set(e, ERR_FAIL, "cannot read sources directory '%s': %s", dir,
                       strerror(saved));
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof(*v), cmp_str);
    *out = v;
    *n_out = n;
    return 0;
oom:
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
    closedir(d);
    return err_set(e, ERR_FAIL, "out of memory");
}

static char *join(const char *dir, const char *prefix, const char *name, size_t name_len,
                  const char *suffix)
{
    size_t dlen = strlen(dir);
    char *s;

    while (dlen > 1 && dir[dlen - 1] == '/')
        dlen--;
    if (asprintf(&s, "%.*s/%s%.*s%s", (int)dlen, dir, prefix, (int)name_len, name, suffix) < 0)
        return NULL;
    return s;
}

/* Start the compiler for j.  argv is the fixed part with three slots to
 * fill: the define, the output and the source. */
static int job_start(struct job *j, struct words *argv, size_t def_slot, const char *prog,
                     char **envp, struct err *e)
{
    char def[sizeof("-DRUNNER_SOURCE_SHA256=\"\"") + CHECKSUM_HEX_SIZE];
    int rc;

    snprintf(def, sizeof(def), "-DRUNNER_SOURCE_SHA256=\"%s\"", j->sha);
    argv->v[def_slot] = def;
    argv->v[argv->n - 2] = j->tmp;
    argv->v[argv->n - 1] = j->src;
    rc = posix_spawn(&j->pid, prog, NULL, NULL, argv->v, envp);
    argv->v[def_slot] = NULL;
    argv->v[argv->n - 2] = NULL;
    argv->v[argv->n - 1] = NULL;
    if (rc != 0) {
        j->pid = 0;
        return err_set(e, ERR_FAIL, "cannot run compiler '%s': %s", argv->v[0], strerror(rc));
    }
    return 0;
}

/* The child of j exited with wait status st: rename or clean up. */
static int job_finish(struct job *j, int st, const char *cc, int quiet, struct err *e)
{
    struct stat sb;

    j->pid = 0;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        /* no group/other write bits whatever the umask: trust.c would
         * refuse the plugin */
        if (stat(j->tmp, &sb) < 0 || chmod(j->tmp, sb.st_mode & 0755) < 0 ||
            rename(j->tmp, j->out) < 0) {
            err_set(e, ERR_FAIL, "cannot install '%s': %s", j->out, strerror(errno));
            unlink(j->tmp);
            return -1;
        }
        if (!quiet)
            printf("compiled %s -> %s\n", j->src, j->out);
        return 0;
    }
    unlink(j->tmp);
    if (WIFEXITED(st))
        fprintf(stderr, "runner: compiling '%s' failed (%s exited with status %d)\n", j->src, cc,
                WEXITSTATUS(st));
    else
        fprintf(stderr, "runner: compiling '%s' failed (%s killed by signal %d)\n", j->src, cc,
                WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return 1;
}

/* Wait for one of our children; returns its index in jobs, -1 on error. */
static ssize_t reap_one(struct job *jobs, size_t n_jobs, int *status)
{
    siginfo_t si;
    pid_t pid = 0;

    /* Peek first (WNOWAIT) so a child that is not ours (a library user's)
     * is left for its owner; then reap the one that is ours. */
    memset(&si, 0, sizeof(si));
    while (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) < 0) {
        if (errno != EINTR)
            return -1;
    }
    for (size_t i = 0; i < n_jobs; i++)
        if (jobs[i].pid && jobs[i].pid == si.si_pid)
            pid = si.si_pid;
    if (!pid) {
        /* someone else's child finished: block on the first of ours */
        for (size_t i = 0; i < n_jobs && !pid; i++)
            if (jobs[i].pid)
                pid = jobs[i].pid;
    }
    while (waitpid(pid, status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    for (size_t i = 0; i < n_jobs; i++)
        if (jobs[i].pid == pid)
            return (ssize_t)i;
    return -1;
}

/* Does the plugin at path carry its source's checksum?  A plain
 * `cc -shared -fPIC ... -o x.so` leaves it empty, and `runner validate`
 * then cannot tell an edited revision from an untouched one: such a
 * plugin counts as stale.  An unreadable one too (the rebuild replaces
 * it, or the compiler says why not). */
static int has_checksum(const struct build_opts *o, const char *path)
{
    struct runner_revision meta;
    int known = o->plugin_has_checksum ? o->plugin_has_checksum(path, o->plugin_has_checksum_arg)
                                       : -1;

    if (known >= 0)
        return known;
    if (loader_read_meta(path, &meta, NULL) < 0)
        return 0;
    return meta.source_sha256[0] != '\0';
}

/* The models plugin is one object of every *.c in o->models_sources: stale
 * when it is missing or older than any of them (or than the header).  On
 * return srcs holds the paths to compile, none when it is up to date or
 * there are no sources. */
static int models_stale(const struct build_opts *o, const struct stat *header,
                        struct words *srcs, struct err *e)
{
    char **names = NULL;
    size_t n_names = 0;
    struct stat os;
    int have_out, stale, ret = -1;

    if (access(o->models_sources, F_OK) < 0)
        return 0;       /* a project without models sources */
    if (list_sources(o->models_sources, &names, &n_names, e) < 0)
        return -1;
    have_out = stat(o->models_out, &os) == 0;
    stale = o->force || !have_out || (header && ts_before(&os.st_mtim, &header->st_mtim));
    for (size_t i = 0; i < n_names; i++) {
        char *path = join(o->models_sources, "", names[i], strlen(names[i]), "");
        struct stat ss;

        if (!path || words_push(srcs, path, strlen(path)) < 0) {
            free(path);
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
        if (stat(path, &ss) == 0 && have_out && ts_before(&os.st_mtim, &ss.st_mtim))
            stale = 1;
        free(path);
    }
    ret = 0;
out:
    if (ret < 0 || !stale)
        words_release(srcs);
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    return ret;
}

/* mkdir -p of the directory part of path. */
static int make_parent_dirs(const char *path, struct err *e)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];

    if (!slash || slash == path)
        return 0;
    if ((size_t)(slash - path) >= sizeof(dir))
        return err_set(e, ERR_FAIL, "path too long '%s'", path);
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    return make_dirs(dir, e);
}

/* Compile every models source into o->models_out, through a temporary
 * name as for revisions.  0, 1 (the compiler failed; it said why) or -1. */
static int build_models(const struct build_opts *o, const char *inc, const struct words *srcs,
                        struct err *e)
{
    struct words argv = { 0 };
    struct job j = { 0 };
    struct trust_opts to = { o->allow_unsafe };
    char prog[PATH_MAX];
    char **envp = NULL;         /* strings borrowed from environ */
    char *incflag = NULL;
    int st, ret = -1;

    if (make_parent_dirs(o->models_out, e) < 0)
        return -1;
    if (asprintf(&incflag, "-I%s", inc) < 0 ||
        asprintf(&j.tmp, "%s.%ld.tmp", o->models_out, (long)getpid()) < 0) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    j.src = strdup(o->models_sources);
    j.out = strdup(o->models_out);
    if (!j.src || !j.out || words_split(&argv, o->cc && *o->cc ? o->cc : "cc") < 0 ||
        words_split(&argv, "-shared -fPIC -std=c11 -O2 -Wall -Wextra -Werror") < 0 ||
        words_push(&argv, incflag, strlen(incflag)) < 0 || words_split(&argv, o->cflags) < 0 ||
        words_push(&argv, "-o", 2) < 0 || words_push(&argv, j.tmp, strlen(j.tmp)) < 0) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < srcs->n; i++)
        if (words_push(&argv, srcs->v[i], strlen(srcs->v[i])) < 0) {
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
    if (compiler_open(argv.v[0], &to, prog, &envp, e) < 0)
        goto out;
    st = posix_spawn(&j.pid, prog, NULL, NULL, argv.v, envp);
    if (st != 0) {
        err_set(e, ERR_FAIL, "cannot run compiler '%s': %s", argv.v[0], strerror(st));
        goto out;
    }
    while (waitpid(j.pid, &st, 0) < 0) {
        if (errno != EINTR) {
            err_set(e, ERR_FAIL, "cannot wait for the compiler: %s", strerror(errno));
            goto out;
        }
    }
    ret = job_finish(&j, st, argv.v[0], o->quiet, e);
out:
    job_release(&j);
    words_release(&argv);
    free(envp);
    free(incflag);
    return ret;
}

int build_cflags(const char *source, const char *include_dir, char **out, struct err *e)
{
    char sha[CHECKSUM_HEX_SIZE];
    const char *inc = include_dir ? include_dir : build_include_dir();

    *out = NULL;
    if (checksum_file(source, sha, e) < 0)
        return -1;
    if (asprintf(out, "-I%s -DRUNNER_SOURCE_SHA256=\"%s\"", inc, sha) < 0) {
        *out = NULL;
        return err_set(e, ERR_FAIL, "out of memory");
    }
    return 0;
}

int build_run(const struct build_opts *o, struct build_result *res, struct err *e)
{
    struct build_result r = { 0 };
    struct words argv = { 0 }, models_srcs = { 0 };
    struct job *jobs = NULL;
    char **names = NULL;
    size_t n_names = 0, n_jobs = 0, def_slot, next = 0, running = 0;
    const char *inc = o->include_dir ? o->include_dir : build_include_dir();
    char *incflag = NULL, *header = NULL;
    struct stat hst;
    int have_header, jobs_max = o->jobs > 0 ? o->jobs : 1;
    char failed_list[ERR_MSG_SIZE] = "";
    size_t failed_len = 0;
    struct trust_opts to = { o->allow_unsafe };
    char prog[PATH_MAX];
    char **envp = NULL;         /* strings borrowed from environ */
    int ret = -1;

    if (list_sources(o->sources, &names, &n_names, e) < 0)
        goto out;
    if (asprintf(&header, "%s/runner/plugin.h", inc) < 0) {
        header = NULL;
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    have_header = stat(header, &hst) == 0;

    /* Which sources are stale. */
    jobs = calloc(n_names ? n_names : 1, sizeof(*jobs));
    if (!jobs) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_names; i++) {
        struct job *j = &jobs[n_jobs];
        size_t base = strlen(names[i]) - 2;
        struct stat ss, os;

        j->src = join(o->sources, "", names[i], base + 2, "");
        j->out = join(o->dir, "", names[i], base, ".so");
        if (!j->src || !j->out) {
            job_release(j);
            memset(j, 0, sizeof(*j));
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
        if (stat(j->src, &ss) < 0) {
            if (errno == ENOENT) {      /* removed since the listing */
                job_release(j);
                memset(j, 0, sizeof(*j));
                continue;
            }
            err_set(e, ERR_FAIL, "cannot stat '%s': %s", j->src, strerror(errno));
            job_release(j);
            memset(j, 0, sizeof(*j));
            goto out;
        }
        if (!o->force && stat(j->out, &os) == 0 && !ts_before(&os.st_mtim, &ss.st_mtim) &&
            !(have_header && ts_before(&os.st_mtim, &hst.st_mtim)) && has_checksum(o, j->out)) {
            r.up_to_date++;
            job_release(j);
            memset(j, 0, sizeof(*j));
            continue;
        }
        if (asprintf(&j->tmp, "%s/.%.*s.so.%ld.tmp", o->dir, (int)base, names[i],
                     (long)getpid()) < 0) {
            j->tmp = NULL;
            job_release(j);
            memset(j, 0, sizeof(*j));
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
        n_jobs++;
        if (!o->dry_run && checksum_file(jobs[n_jobs - 1].src, jobs[n_jobs - 1].sha, e) < 0)
            goto out;
    }
    r.stale = n_jobs;
    if (o->models_sources && o->models_out &&
        models_stale(o, have_header ? &hst : NULL, &models_srcs, e) < 0)
        goto out;
    if (models_srcs.n)
        r.stale++;
    if (o->dry_run) {
        ret = 0;
        goto out;
    }
    if (n_jobs == 0 && !models_srcs.n) {
        /* plugins built by cc or CMake get their index here, once; a
         * directory we may not write (a read-only image) simply has none */
        if (faccessat(AT_FDCWD, o->dir, F_OK, 0) == 0) {
            char ix_path[PATH_MAX];
            struct err ignored = ERR_INIT;

            if ((size_t)snprintf(ix_path, sizeof(ix_path), "%s/%s", o->dir, SCAN_INDEX_NAME) <
                    sizeof(ix_path) &&
                faccessat(AT_FDCWD, ix_path, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
                scan_index_write(o->dir, &ignored);
        }
        if (!o->quiet)
            printf("nothing to build: %zu revision%s up to date\n", r.up_to_date,
                   r.up_to_date == 1 ? "" : "s");
        ret = 0;
        goto out;
    }
    if (make_dirs(o->dir, e) < 0)
        goto out;
    /* issue 10.2: whoever may write the output directory may replace what
     * we compile, as they could a plugin */
    if (trust_open_dir(o->dir, "build output", &to, NULL, e) < 0)
        goto out;

    /* cc... -shared -fPIC -std=c11 -O2 -Wall -Wextra -Werror -I<inc>
     * <define> cflags... -o <tmp> <src>; the three slots are set per job. */
    if (asprintf(&incflag, "-I%s", inc) < 0) {
        incflag = NULL;
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    if (words_split(&argv, o->cc && *o->cc ? o->cc : "cc") < 0 ||
        words_split(&argv, "-shared -fPIC -std=c11 -O2 -Wall -Wextra -Werror") < 0 ||
        words_push(&argv, incflag, strlen(incflag)) < 0 ||
        words_push(&argv, "D", 1) < 0)
        goto oom;
    def_slot = argv.n - 1;
    free(argv.v[def_slot]);
    argv.v[def_slot] = NULL;
    if (words_split(&argv, o->cflags) < 0 || words_push(&argv, "-o", 2) < 0 ||
        words_push(&argv, "O", 1) < 0 || words_push(&argv, "S", 1) < 0)
        goto oom;
    free(argv.v[argv.n - 2]);
    free(argv.v[argv.n - 1]);
    argv.v[argv.n - 2] = argv.v[argv.n - 1] = NULL;
    if (compiler_open(argv.v[0], &to, prog, &envp, e) < 0)
        goto out;

    ret = 0;
    while (next < n_jobs || running > 0) {
        int st;
        ssize_t k;

        if (next < n_jobs && running < (size_t)jobs_max && ret == 0) {
            if (job_start(&jobs[next], &argv, def_slot, prog, envp, e) < 0) {
                ret = -1;       /* compiler missing: stop starting, reap the rest */
                next = n_jobs;
                continue;
            }
            next++;
            running++;
            continue;
        }
        if (running == 0)
            break;
        k = reap_one(jobs, n_jobs, &st);
        if (k < 0) {
            err_set(e, ERR_FAIL, "cannot wait for the compiler: %s", strerror(errno));
            ret = -1;
            break;
        }
        running--;
        switch (job_finish(&jobs[k], st, argv.v[0], o->quiet, e)) {
        case 0:
            r.compiled++;
            break;
        case 1:
            r.failed++;
            jobs[k].failed = 1;
            break;
        default:
            ret = -1;
            next = n_jobs;  /* a rename failed: finish what runs, start nothing */
            break;
        }
    }
    /* failures in name order, whatever order the compilers finished in */
    for (size_t i = 0; i < n_jobs && failed_len < sizeof(failed_list); i++)
        if (jobs[i].failed)
            failed_len += (size_t)snprintf(failed_list + failed_len,
                                           sizeof(failed_list) - failed_len, "%s'%s'",
                                           failed_len ? ", " : "", jobs[i].src);
    if (ret == 0 && models_srcs.n) {
        switch (build_models(o, inc, &models_srcs, e)) {
        case 0:
            r.compiled++;
            break;
        case 1:
            r.failed++;
            failed_len += (size_t)snprintf(failed_list + failed_len,
                                           sizeof(failed_list) - failed_len, "%s'%s'",
                                           failed_len ? ", " : "", o->models_sources);
            break;
        default:
            ret = -1;
            break;
        }
    }
    /* what the next scan reads instead of every plugin (scan_index.h) */
    if (ret == 0 && !r.failed && scan_index_write(o->dir, e) < 0)
        ret = -1;
    if (ret == 0 && r.failed) {
        err_set(e, ERR_FAIL, "failed to compile %zu of %zu %s%s: %s", r.failed, r.stale,
                models_srcs.n ? "plugin" : "revision", r.stale == 1 ? "" : "s", failed_list);
        ret = -1;
    }
    if (!o->quiet && (r.compiled || r.failed))
        printf("built %zu plugin%s, %zu failed, %zu up to date\n", r.compiled,
               r.compiled == 1 ? "" : "s", r.failed, r.up_to_date);
    goto out;
oom:
    err_set(e, ERR_FAIL, "out of memory");
    ret = -1;
out:
    /* children still running only after a wait error: reap them */
    for (size_t i = 0; i < n_jobs; i++) {
        if (jobs[i].pid) {
            int st;

            waitpid(jobs[i].pid, &st, 0);
            unlink(jobs[i].tmp);
        }
        job_release(&jobs[i]);
    }
    free(jobs);
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    words_release(&argv);
    words_release(&models_srcs);
    free(envp);
    free(incflag);
    free(header);
    if (res)
        *res = r;
    return ret;
}
