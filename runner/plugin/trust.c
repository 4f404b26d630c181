/* trust.c -- sshd's StrictModes for everything that decides what code
 * runs: one rule, applied to an open file descriptor.  See trust.h. */
#include "trust.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *trust_stat_reason(const struct stat *st, uid_t me, char *buf, size_t n)
{
    if (st->st_mode & (S_IWGRP | S_IWOTH))
        return "writable by group or others; fix with chmod go-w";
    if (st->st_uid != me && st->st_uid != 0) {
        snprintf(buf, n, "owned by uid %lu, not by uid %lu or root; fix with chown",
                 (unsigned long)st->st_uid, (unsigned long)me);
        return buf;
    }
    return "";
}

int trust_check_stat(const char *kind, const char *path, const char *real, const struct stat *st,
                     const struct trust_opts *o, struct err *e)
{
    char buf[128], via[PATH_MAX + 32];
    /* a root-owned file needs no geteuid(): the scan calls this per file */
    const char *why = trust_stat_reason(st, st->st_uid == 0 ? 0 : geteuid(), buf, sizeof(buf));

    if (!*why)
        return 0;
    via[0] = '\0';
    if (real && strcmp(real, path) != 0)
        snprintf(via, sizeof(via), "resolves to '%s', ", real);
    if (o && o->allow_unsafe) {
        fprintf(stderr, "runner: warning: unsafe %s '%s' (%smode %04o): %s\n", kind, path, via,
                (unsigned)(st->st_mode & 07777), why);
        return 0;
    }
    return err_set(e, ERR_FAIL, "unsafe %s '%s' (%smode %04o): %s or pass " TRUST_OVERRIDE,
                   kind, path, via, (unsigned)(st->st_mode & 07777), why);
}

/* Walk the directories above `start` (an absolute path), nearest first.
 * lexical: `start` may hold symlinks; an entry that is one is not a
 * directory of the chain (its target's chain is walked separately) and is
 * skipped.  The sticky-root exception applies to every one of them. */
static int walk_up(const char *kind, const char *path, const char *via, const char *start,
                   int lexical, const struct trust_opts *o, struct err *e)
{
    char dir[PATH_MAX], buf[128], named[PATH_MAX + 32];
    struct stat st;

    if (strlen(start) >= sizeof(dir))
        return err_set(e, ERR_FAIL, "%s path too long: '%s'", kind, start);
    strcpy(dir, start);
    named[0] = '\0';
    if (via && strcmp(via, path) != 0)
        snprintf(named, sizeof(named), " (resolves to '%s')", via);
    for (;;) {
        char *slash = strrchr(dir, '/');
        const char *why;

        if (!slash || (slash == dir && !dir[1]))
            return 0;
        if (slash == dir)
            dir[1] = '\0';
        else
            *slash = '\0';
        if ((lexical ? lstat(dir, &st) : stat(dir, &st)) < 0)
            return err_set(e, ERR_FAIL, "unsafe %s '%s': cannot stat its parent '%s': %s", kind,
                           path, dir, strerror(errno));
        if (lexical && S_ISLNK(st.st_mode))
            continue;
        if ((st.st_mode & S_ISVTX) && st.st_uid == 0)
            continue;
        why = trust_stat_reason(&st, geteuid(), buf, sizeof(buf));
        if (!*why)
            continue;
        if (o && o->allow_unsafe) {
            fprintf(stderr, "runner: warning: unsafe %s '%s'%s: its parent '%s' (mode %04o) is %s\n",
                    kind, path, named, dir, (unsigned)(st.st_mode & 07777), why);
            continue;
        }
        return err_set(e, ERR_FAIL,
                       "unsafe %s '%s'%s: its parent '%s' (mode %04o) is %s or pass " TRUST_OVERRIDE,
                       kind, path, named, dir, (unsigned)(st.st_mode & 07777), why);
    }
}

int trust_check_ancestors(const char *kind, const char *path, const char *real,
                          const struct trust_opts *o, struct err *e)
{
    return walk_up(kind, path, NULL, real, 0, o, e);
}

int trust_lexical_abs(const char *path, char *out, size_t size)
{
    char abs[PATH_MAX * 2];
    size_t n = 0;
    const char *p;

    if (path[0] == '/') {
        if (strlen(path) >= sizeof(abs))
            return -1;
        strcpy(abs, path);
    } else {
        char cwd[PATH_MAX];

        if (!getcwd(cwd, sizeof(cwd)) ||
            (size_t)snprintf(abs, sizeof(abs), "%s/%s", cwd, path) >= sizeof(abs))
            return -1;
    }
    for (p = abs; *p;) {
        size_t len;

        while (*p == '/')
            p++;
        len = strcspn(p, "/");
        if (len == 0)
            break;
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            while (n > 0 && out[n - 1] != '/')
                n--;
            if (n > 0)
                n--;
        } else if (!(len == 1 && p[0] == '.')) {
            if (n + 1 + len + 1 > size)
                return -1;
            out[n++] = '/';
            memcpy(out + n, p, len);
            n += len;
        }
        p += len;
    }
    if (n == 0)
        out[n++] = '/';
    out[n] = '\0';
    return 0;
}

/* The directory holding the resolved file `real` (no exception: whoever
 * may add a file there may add one of ours), then everything above it. */
static int check_chain(const char *kind, const char *path, const char *real, int is_link,
                       const struct trust_opts *o, struct err *e)
{
    char dir[PATH_MAX], dkind[64], fkind[64];
    char *slash;
    struct stat st;

    snprintf(dkind, sizeof(dkind), "%s directory", kind);
    snprintf(fkind, sizeof(fkind), "%s file", kind);
    if (strlen(real) >= sizeof(dir))
        return err_set(e, ERR_FAIL, "%s path too long: '%s'", fkind, real);
    strcpy(dir, real);
    slash = strrchr(dir, '/');
    if (!slash)
        return 0;
    if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    if (stat(dir, &st) < 0)
        return err_set(e, ERR_FAIL, "%s '%s': cannot stat '%s': %s", fkind, path, dir,
                       strerror(errno));
    /* through a symlink, name the link and where its target lives */
    if (trust_check_stat(dkind, is_link ? path : dir, is_link ? dir : NULL, &st, o, e) < 0)
        return -1;
    return walk_up(fkind, path, is_link ? real : NULL, dir, 0, o, e);
}

int trust_open(int dfd, const char *name, const char *path, const char *kind, int dir_checked,
               const struct trust_opts *o, int *fd_out, struct stat *st, struct err *e)
{
    char fkind[64], lex[PATH_MAX];
    char *real = NULL;
    struct stat lst, rst;
    int is_link, fd, ret = -1;

    *fd_out = -1;
    snprintf(fkind, sizeof(fkind), "%s file", kind);
    fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return 1;
        return err_set(e, ERR_FAIL, "%s '%s': cannot open: %s", fkind, path, strerror(errno));
    }
    if (fstat(fd, st) < 0) {
        err_set(e, ERR_FAIL, "%s '%s': cannot stat: %s", fkind, path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st->st_mode)) {
        err_set(e, ERR_FAIL, "%s '%s': not a regular file", fkind, path);
        goto out;
    }
    is_link = dir_checked != TRUST_NOT_LINK &&
              fstatat(dfd, name, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode);
    if (dir_checked && !is_link) {
        /* the caller checked the directory and everything above it */
        if (trust_check_stat(fkind, path, NULL, st, o, e) < 0)
            goto out;
        ret = 0;
        goto out;
    }
    real = realpath(path, NULL);
    if (!real) {
        if (errno == ENOENT) {
            ret = 1;        /* gone (or the link dangles) since the open */
            goto out;
        }
        err_set(e, ERR_FAIL, "%s '%s': cannot resolve: %s", fkind, path, strerror(errno));
        goto out;
    }
    if (trust_check_stat(fkind, path, is_link ? real : NULL, st, o, e) < 0 ||
        check_chain(kind, path, real, is_link, o, e) < 0)
        goto out;
    /* the link's own chain, as written */
    if (!dir_checked) {
        if (trust_lexical_abs(path, lex, sizeof(lex)) < 0) {
            err_set(e, ERR_FAIL, "%s path too long: '%s'", fkind, path);
            goto out;
        }
        if (strcmp(lex, real) != 0 && walk_up(fkind, path, NULL, lex, 1, o, e) < 0)
            goto out;
    }
    /* what the walk vouched for is what we hold: no swap while it ran */
    if (stat(real, &rst) < 0 || rst.st_dev != st->st_dev || rst.st_ino != st->st_ino) {
        err_set(e, ERR_FAIL, "unsafe %s '%s': it changed while it was checked", fkind, path);
        goto out;
    }
    ret = 0;
out:
    free(real);
    if (ret == 0)
        *fd_out = fd;
    else
        close(fd);
    return ret;
}

int trust_open_dir(const char *path, const char *kind, const struct trust_opts *o, int *fd_out,
                   struct err *e)
{
    char dkind[64];
    char *real = NULL;
    struct stat st, rst;
    int fd, ret = -1;

    if (fd_out)
        *fd_out = -1;
    snprintf(dkind, sizeof(dkind), "%s directory", kind);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
    if (fd < 0)
        return err_set(e, ERR_FAIL, "cannot open %s '%s': %s", dkind, path, strerror(errno));
    if (fstat(fd, &st) < 0) {
        err_set(e, ERR_FAIL, "cannot stat %s '%s': %s", dkind, path, strerror(errno));
        goto out;
    }
    real = realpath(path, NULL);
    if (!real) {
        err_set(e, ERR_FAIL, "cannot resolve %s '%s': %s", dkind, path, strerror(errno));
        goto out;
    }
    if (trust_check_stat(dkind, path, NULL, &st, o, e) < 0 ||
        walk_up(dkind, path, NULL, real, 0, o, e) < 0)
        goto out;
    if (stat(real, &rst) < 0 || rst.st_dev != st.st_dev || rst.st_ino != st.st_ino) {
        err_set(e, ERR_FAIL, "unsafe %s '%s': it changed while it was checked", dkind, path);
        goto out;
    }
    ret = 0;
out:
    free(real);
    if (ret == 0 && fd_out)
        *fd_out = fd;
    else
        close(fd);
    return ret;
}

const char *trust_fd_path(int fd, char *buf, size_t n)
{
    snprintf(buf, n, "/proc/self/fd/%d", fd);
    return buf;
}

void *trust_dlopen_fd(int fd, int flags)
{
    char name[64];

    dlerror();
    return dlopen(trust_fd_path(fd, name, sizeof(name)), flags);
}

void trust_dlclose_fd(void *h, int fd)
{
    char name[64];
    void *still;

    dlclose(h);
    /* by name first, then by file id (fd is still open: the same file),
     * so this probe adds no name to any other object */
    still = dlopen(trust_fd_path(fd, name, sizeof(name)), RTLD_LAZY | RTLD_NOLOAD);
    if (still) {
        dlclose(still);
        return;     /* NEEDSWORK: one descriptor per object that never unloads */
    }
    close(fd);
}
