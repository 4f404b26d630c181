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
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_meta.h"
#include "trust.h"

/* Every plugin file loaded in this process, once each (by st_dev/st_ino),
 * with the descriptor it was loaded through: dlopen() of a second
 * "/proc/self/fd/M" for a file already loaded would name the object M as
 * well, and once M is closed and reused that name would hand out the wrong
 * object (fan-out opens one plugin on several threads).  Process-wide like
 * dlopen()'s own table, which it mirrors; guarded by loaded_mu. */
struct loaded {
    uint64_t dev, ino;
    void *handle;
    int fd;                 /* open while loaded; trust_dlclose_fd() */
    size_t refs;            /* plugin_open()s not yet closed */
};

static pthread_mutex_t loaded_mu = PTHREAD_MUTEX_INITIALIZER;
static struct loaded *loaded;
static size_t n_loaded, cap_loaded;

/* dlopen the open, checked file fd of stat st (ours from here on) and
 * resolve what a revision exports. */
static int open_fd(struct plugin *p, int fd, const struct stat *st, const char *path,
                   const char *expect_id, struct err *e)
{
    const struct runner_revision *m;
    const char *msg = NULL;
    void *h = NULL;

    pthread_mutex_lock(&loaded_mu);
    for (size_t i = 0; i < n_loaded && !h; i++) {
        if (loaded[i].dev == (uint64_t)st->st_dev && loaded[i].ino == (uint64_t)st->st_ino) {
            loaded[i].refs++;
            h = loaded[i].handle;
        }
    }
    if (!h && n_loaded == cap_loaded) {
        size_t cap = cap_loaded ? cap_loaded * 2 : 16;
        struct loaded *v = realloc(loaded, cap * sizeof(*v));

        if (!v) {
            close(fd);
            pthread_mutex_unlock(&loaded_mu);
            return err_set(e, ERR_FAIL, "out of memory");
        }
        loaded = v;
        cap_loaded = cap;
    }
    if (h) {
        close(fd);          /* the same file, loaded through another descriptor */
    } else {
        h = trust_dlopen_fd(fd, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            msg = dlerror();
            close(fd);
        } else {
            loaded[n_loaded++] = (struct loaded){ (uint64_t)st->st_dev, (uint64_t)st->st_ino,
                                                  h, fd, 1 };
        }
    }
    pthread_mutex_unlock(&loaded_mu);
    if (!h)
        return err_set(e, ERR_FAIL, "plugin '%s': cannot load: %s", path,
                       msg ? msg : "unknown dlopen error");
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
    return open_fd(p, fd, &st, path, expect_id, e);
}

int plugin_open_rev(struct plugin *p, const struct rev *rev, struct err *e)
{
    struct trust_opts to = { rev->file_unsafe_ok };
    struct stat st;
    int fd = -1;

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
    return open_fd(p, fd, &st, rev->path, rev->id, e);
out_fail:
    close(fd);
    return -1;
}

void plugin_close(struct plugin *p)
{
    if (!p)
        return;
    if (p->handle) {
        pthread_mutex_lock(&loaded_mu);
        for (size_t i = 0; i < n_loaded; i++) {
            if (loaded[i].handle != p->handle)
                continue;
            if (--loaded[i].refs == 0) {
                trust_dlclose_fd(loaded[i].handle, loaded[i].fd);
                loaded[i] = loaded[--n_loaded];
            }
            break;
        }
        if (n_loaded == 0) {
            free(loaded);
            loaded = NULL;
            cap_loaded = 0;
        }
        pthread_mutex_unlock(&loaded_mu);
    }
    memset(p, 0, sizeof(*p));
}
