/* scan.c -- the plugin directory scan: every *.so of the directory, in
 * name order, trust-checked (trust.c) and read (elf_meta.c) through one
 * open descriptor each, added to the graph with the identity of the file
 * that was checked.  See loader.h.
 *
 * A plain loop: open, fstat, two preads and close per file; with a scan
 * index (scan_index.h, written by `runner build`) one fstatat per file
 * whose entry matches.  Reader threads and a radix sort of the names were
 * tried here and bought less than the noise of a run (issue 16.5; the
 * numbers are in the commit that removed them). */
#include "loader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_meta.h"
#include "scan_index.h"
#include "trust.h"

/* The names worth reading, each with readdir()'s d_type in front of it
 * (name[-1]), so that the type travels with the name through the sort. */
struct entries {
    char **v;                   /* each points 1 byte into a block of ours */
    size_t n, cap;
};

static void entries_release(struct entries *es)
{
    for (size_t i = 0; i < es->n; i++)
        free(es->v[i] - 1);
    free(es->v);
}

static int entries_add(struct entries *es, const char *name, unsigned char type)
{
    size_t len = strlen(name);
    char *p;

    if (es->n == es->cap) {
        size_t cap = es->cap ? es->cap * 2 : 256;
        char **v = realloc(es->v, cap * sizeof(*v));

        if (!v)
            return -1;
        es->v = v;
        es->cap = cap;
    }
    p = malloc(len + 2);
    if (!p)
        return -1;
    p[0] = (char)type;
    memcpy(p + 1, name, len + 1);
    es->v[es->n++] = p + 1;
    return 0;
}

/* strcmp: byte order, not the locale's, so the order is the same everywhere */
static int cmp_entry(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int wanted(const char *name, size_t len)
{
    return len > 3 && name[0] != '.' && memcmp(name + len - 3, ".so", 3) == 0;
}

static int list_dir(DIR *d, const char *dir, struct entries *es, struct err *e)
{
    struct dirent *de;

    for (;;) {
        errno = 0;
        de = readdir(d);
        if (!de) {
            if (errno)
                return err_set(e, ERR_FAIL, "cannot read plugin directory '%s': %s", dir,
                               strerror(errno));
            return 0;
        }
        if (!wanted(de->d_name, strlen(de->d_name)) || de->d_type == DT_DIR)
            continue;
        if (entries_add(es, de->d_name, de->d_type) < 0)
            return err_set(e, ERR_FAIL, "out of memory");
    }
}

/* Open, check and read one entry.  Returns 0 (read: *meta and *st
 * filled), 1 (gone since readdir: skip) or -1. */
static int scan_one(int dfd, const char *path, const char *name, const struct trust_opts *to,
                    struct runner_revision *meta, struct stat *st, struct err *e)
{
    int fd, r;

    /* the directory and its parents were checked by loader_scan(); a
     * regular file by d_type needs no lstat to tell it is no symlink (only
     * someone who may write that checked directory could have made it one
     * since readdir) */
    r = trust_open(dfd, name, path, "plugin", name[-1] == DT_REG ? TRUST_NOT_LINK : 1, to, &fd,
                   st, e);
    if (r != 0)
        return r;
    r = elf_meta_read_fd(fd, path, (uint64_t)st->st_size, meta, e);
    close(fd);
    return r;
}

/* The index's metadata for `name`, when its entry matches the file as it
 * is now: one fstatat, no open.  0 (used: *meta and *st filled), 1 (gone
 * since readdir: skip), 2 (read the file as without an index). */
static int scan_indexed(int dfd, const char *path, const char *name, struct scan_index *ix,
                        uid_t me, struct runner_revision *meta, struct stat *st)
{
    struct err scratch = ERR_INIT;
    char why_buf[128];

    /* a symlink (d_type, or the stat) takes trust_open()'s walk */
    if (!ix->n || name[-1] == DT_LNK)
        return 2;
    if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 1 : 2;
    /* the rule of trust.c on this stat, as trust_open() applies it to an
     * fd's; an unsafe file is read, and refused there with its message */
    if (!S_ISREG(st->st_mode) ||
        *trust_stat_reason(st, st->st_uid == 0 ? 0 : me, why_buf, sizeof(why_buf)) ||
        !scan_index_lookup(ix, name, st, meta) || elf_meta_check(path, meta, &scratch) < 0)
        return 2;
    return 0;
}

/* Does `path` resolve to `real` only through a symlink? */
static int went_through_symlink(const char *path, const char *real)
{
    char norm[PATH_MAX];

    return trust_lexical_abs(path, norm, sizeof(norm)) < 0 || strcmp(norm, real) != 0;
}

static int scan_all(int dfd, const char *dir, const struct entries *es,
                    const struct trust_opts *to, struct scan_index *ix, struct graph *g,
                    struct err *e)
{
    size_t dlen = strlen(dir);
    char path[PATH_MAX];
    uid_t me = geteuid();

    while (dlen > 1 && dir[dlen - 1] == '/')
        dlen--;
    for (size_t i = 0; i < es->n; i++) {
        const char *name = es->v[i];
        size_t nlen = strlen(name);
        struct runner_revision meta;
        struct stat st;
        int r;

        if (dlen + 1 + nlen + 1 > sizeof(path))
            return err_set(e, ERR_FAIL, "plugin path too long: '%.*s/%s'", (int)dlen, dir, name);
        memcpy(path, dir, dlen);
        path[dlen] = '/';
        memcpy(path + dlen + 1, name, nlen + 1);
        r = scan_indexed(dfd, path, name, ix, me, &meta, &st);
        if (r == 2)
            r = scan_one(dfd, path, name, to, &meta, &st, e);
        if (r < 0)
            return -1;
        if (r > 0)
            continue;
        if (graph_add(g, &meta, path, e) < 0)
            return -1;
        graph_set_file(g, graph_count(g) - 1, (uint64_t)st.st_dev, (uint64_t)st.st_ino,
                       to->allow_unsafe);
    }
    return 0;
}

int loader_scan(const char *dir, const struct loader_opts *o, struct graph *g, struct err *e)
{
    struct trust_opts to = { o ? o->allow_unsafe : 0 };
    struct entries es = { 0 };
    struct scan_index ix = { 0 };
    char *real = NULL;
    struct stat st;
    DIR *d = NULL;
    int ret = -1;

    d = opendir(dir);
    if (!d) {
        err_set(e, ERR_FAIL, "cannot read plugin directory '%s': %s", dir, strerror(errno));
        goto out;
    }
    if (fstat(dirfd(d), &st) < 0) {
        err_set(e, ERR_FAIL, "cannot stat plugin directory '%s': %s", dir, strerror(errno));
        goto out;
    }
    real = realpath(dir, NULL);
    if (!real) {
        err_set(e, ERR_FAIL, "cannot resolve plugin directory '%s': %s", dir, strerror(errno));
        goto out;
    }
    /* fstat of the open directory is its resolved target; name it when the
     * path went through a symlink */
    if (trust_check_stat("plugin directory", dir, went_through_symlink(dir, real) ? real : NULL,
                         &st, &to, e) < 0 ||
        trust_check_ancestors("plugin directory", dir, real, &to, e) < 0)
        goto out;
    if (list_dir(d, dir, &es, e) < 0)
        goto out;
    if (es.n)
        qsort(es.v, es.n, sizeof(*es.v), cmp_entry);
    scan_index_load(dirfd(d), &ix);
    if (scan_all(dirfd(d), dir, &es, &to, &ix, g, e) < 0)
        goto out;
    if (graph_build(g, e) < 0)
        goto out;
    ret = 0;
out:
    free(real);
    scan_index_release(&ix);
    entries_release(&es);
    if (d)
        closedir(d);
    return ret;
}
