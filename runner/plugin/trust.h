/* trust.h -- may this file decide what code runs as us?  The one home of
 * the rule, sshd's StrictModes: the file is owned by the effective uid or
 * root and not writable by group or others, and so is every directory
 * above it, except a sticky directory owned by root (/tmp), where nobody
 * may rename what another user owns.  The file's own directory gets no
 * such exception: whoever may add a file there may add a plugin.
 *
 * The rule is applied to an open file descriptor, and that descriptor is
 * what the caller then reads or dlopen()s (through /proc/self/fd/N,
 * trust_fd_path()), so nothing can be swapped in between the check and
 * the use.  Callers: the plugin loader (scan.c, plugin_open.c), the models
 * plugin (models.c), the config file (config.c), the build output
 * directory and the compiler (build.c).
 *
 * What is left to others: where the override comes from (only the command
 * line or the environment: cli.c), and what the file means. */
#ifndef RUNNER_TRUST_H
#define RUNNER_TRUST_H

#include <sys/stat.h>
#include <sys/types.h>

#include "err.h"

struct trust_opts {
    int allow_unsafe;       /* --allow-unsafe-plugins: warn on stderr instead of refusing */
};

/* The override named in every refusal. */
#define TRUST_OVERRIDE "--allow-unsafe-plugins"

/* "" when st passes the rule for the effective uid `me`, else why not
 * (a static string or buf). */
const char *trust_stat_reason(const struct stat *st, uid_t me, char *buf, size_t n);

/* Refuse (o->allow_unsafe: warn about) st, the fstat of `path`, which
 * resolves to `real` (NULL or equal to path: no symlink).  `kind` names
 * what it is in the message ("plugin file", "config file", ...):
 * "unsafe <kind> '<path>' (resolves to '<real>', mode 0644): <why> or
 * pass --allow-unsafe-plugins".  o may be NULL (strict). */
int trust_check_stat(const char *kind, const char *path, const char *real, const struct stat *st,
                     const struct trust_opts *o, struct err *e);

/* Every ancestor of the absolute, resolved path `real` (not real itself),
 * with the sticky-root exception above.  Messages read "unsafe <kind>
 * '<path>'[ (resolves to '<real>')]: its parent '<dir>' (mode 0777) is
 * <why> or pass ...". */
int trust_check_ancestors(const char *kind, const char *path, const char *real,
                          const struct trust_opts *o, struct err *e);

/* Open `path` read-only (O_CLOEXEC | O_NONBLOCK: a FIFO does not hang us)
 * relative to dfd (AT_FDCWD: the cwd), fstat it, and check it: a regular
 * file passing the rule, its directory passing it without exception, and
 * every directory above.  Through a symlink both the link's directory and
 * the target's chain are checked, and the resolved path must still name
 * the file the descriptor holds, so that a swap during the walk is caught.
 * `dir_checked`: the link's own directory (dfd) was checked already by the
 * caller (the plugin scan), only the target's chain is walked, and not at
 * all when the name is not a symlink; TRUST_NOT_LINK: and readdir() said
 * the name is no symlink (d_type), so not even an lstat is needed.
 * Returns 0 with *fd (caller closes)
 * and *st filled, 1 when the file does not exist (ENOENT, *fd = -1), or
 * -1 with *e naming the file. */
#define TRUST_NOT_LINK 2    /* dir_checked, and d_type said DT_REG */
int trust_open(int dfd, const char *name, const char *path, const char *kind, int dir_checked,
               const struct trust_opts *o, int *fd, struct stat *st, struct err *e);

/* A directory: opened (O_DIRECTORY), fstat'ed and checked with every
 * ancestor; *fd (caller closes; NULL: closed here) holds what was checked. */
int trust_open_dir(const char *path, const char *kind, const struct trust_opts *o, int *fd,
                   struct err *e);

/* `path` made absolute and lexically normal (".", ".." and repeated
 * slashes removed) into out, symlinks left as they are: without symlinks
 * on the way, exactly what realpath() returns.  0, or -1 when too long. */
int trust_lexical_abs(const char *path, char *out, size_t size);

/* "/proc/self/fd/<fd>" into buf: the path under which dlopen() and fopen()
 * reach exactly the open file fd. */
const char *trust_fd_path(int fd, char *buf, size_t n);

/* dlopen() the open file fd through trust_fd_path().  dlopen() matches a
 * name before it opens anything, so no object may stay mapped under
 * "/proc/self/fd/N" once N names another file: keep fd open while the
 * object is loaded, and release both with trust_dlclose_fd().  The caller
 * must not dlopen() one file twice at once this way (each open would add
 * its own name to the one object; plugin_open.c counts references).
 * NULL with dlerror() on failure (fd is still the caller's then). */
void *trust_dlopen_fd(int fd, int flags);

/* dlclose(h), then close fd unless the object is still mapped under its
 * name (dlclose() may leave an object loaded): that descriptor then stays
 * open for the life of the process, so its number is never reused. */
void trust_dlclose_fd(void *h, int fd);

#endif
