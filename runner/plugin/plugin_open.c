/* plugin_open.c -- dlopen()s one plugin to run it, and closes it.  See
 * loader.h.
 *
 * The file is opened once, checked on its descriptor (trust.c; for a
 * revision from a scan also: the same st_dev/st_ino the scan checked), and
 * that very file is loaded through /proc/self/fd/N: a file swapped in after
 * the check is never the one dlopen() maps, and no code of a refused file
 * (constructors included) runs. */
#include "loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_meta.h"
#include "trust.h"

/* dlopen the open, checked file fd and resolve what a revision exports. */
static int open_fd(struct plugin *p, int fd, const char *path, const char *expect_id,
                   struct err *e)
{
    char fdpath[64];
    const struct runner_revision *m;
    const char *msg;
    void *h;

    dlerror();
    h = dlopen(trust_fd_path(fd, fdpath, sizeof(fdpath)), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        msg = dlerror();
        return err_set(e, ERR_FAIL, "plugin '%s': cannot load: %s", path,
                       msg ? msg : "unknown dlopen error");
    }
    p->handle = h;
    /* A function pointer from void *: POSIX guarantees the conversion. */
    p->upgrade = (int (*)(runner_op *))dlsym(h, "upgrade");
    if (!p->upgrade) {
        err_set(e, ERR_FAIL, "plugin '%s': missing symbol 'upgrade'", path);
        goto fail;
    }
    p->downgrade = (int (*)(runner_op *))dlsym(h, "downgrade");
    if (!p->downgrade) {
        err_set(e, ERR_FAIL, "plugin '%s': missing symbol 'downgrade'", path);
        goto fail;
    }
    m = dlsym(h, RUNNER_META_SYMBOL);
    if (!m) {
        err_set(e, ERR_FAIL, "plugin '%s': missing symbol '%s'", path, RUNNER_META_SYMBOL);
        goto fail;
    }
    if (elf_meta_check_head(path, m->magic, m->abi_version, m->size, e) < 0)
        goto fail;
    if (!memchr(m->revision, '\0', sizeof(m->revision))) {
        err_set(e, ERR_FAIL,
                "plugin '%s': revision id is unterminated or longer than %d characters", path,
                RUNNER_ID_SIZE - 1);
        goto fail;
    }
    if (expect_id && strcmp(m->revision, expect_id) != 0) {
        err_set(e, ERR_FAIL,
                "plugin '%s': revision '%s' where '%s' was listed (file changed since the scan?)",
                path, m->revision, expect_id);
        goto fail;
    }
    p->meta = m;
    return 0;
fail:
    plugin_close(p);
    return -1;
}

int plugin_open(struct plugin *p, const char *path, const char *expect_id, struct err *e)
{
    struct stat st;
    int fd = -1, r;

    memset(p, 0, sizeof(*p));
    /* no scan vouched for this file: the whole walk, strict */
    r = trust_open(AT_FDCWD, path, path, "plugin", 0, NULL, &fd, &st, e);
    if (r > 0)
        return err_set(e, ERR_FAIL, "plugin '%s': cannot open: %s", path, strerror(ENOENT));
    if (r < 0)
        return -1;
    r = open_fd(p, fd, path, expect_id, e);
    close(fd);      /* the mapping keeps the file */
    return r;
}

int plugin_open_rev(struct plugin *p, const struct rev *rev, struct err *e)
{
    struct trust_opts to = { rev->file_unsafe_ok };
    struct stat st;
    int fd = -1, r;

    memset(p, 0, sizeof(*p));
    if (!rev->file_ino)
        return plugin_open(p, rev->path, rev->id, e);
    /* The scan checked this file's directory chain and this inode; what
     * is left is that it is still the same file, and still safe. */
    fd = open(rev->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return err_set(e, ERR_FAIL, "plugin '%s': cannot open: %s", rev->path, strerror(errno));
    if (fstat(fd, &st) < 0) {
        err_set(e, ERR_FAIL, "plugin '%s': cannot stat: %s", rev->path, strerror(errno));
        goto out_fail;
    }
    if ((uint64_t)st.st_dev != rev->file_dev || (uint64_t)st.st_ino != rev->file_ino) {
        err_set(e, ERR_FAIL, "plugin '%s': not the file the scan checked (replaced since the scan?)",
                rev->path);
        goto out_fail;
    }
    /* the scan warned already about what it took with --allow-unsafe-plugins */
    if (!to.allow_unsafe && trust_check_stat("plugin file", rev->path, NULL, &st, &to, e) < 0)
        goto out_fail;
    r = open_fd(p, fd, rev->path, rev->id, e);
    close(fd);
    return r;
out_fail:
    close(fd);
    return -1;
}

void plugin_close(struct plugin *p)
{
    if (!p)
        return;
    if (p->handle)
        dlclose(p->handle);
    memset(p, 0, sizeof(*p));
}
