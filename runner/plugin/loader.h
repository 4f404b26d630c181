/* loader.h -- finds revision plugins and reads their metadata; opens one
 * only to run it.
 *
 * Listing never runs plugin code: the metadata is read straight from the
 * RUNNER_SECTION ELF section of each file with <elf.h> and pread()
 * (elf_meta.c), during the directory scan (scan.c).  A plugin is
 * dlopen()ed (RTLD_NOW | RTLD_LOCAL) only when its upgrade() or
 * downgrade() is about to run, and closed right after (plugin_open.c).
 * Whether a file may be loaded at all is trust.c's rule, applied to the
 * open descriptor that is then read or loaded.  Every error names the
 * file. */
#ifndef RUNNER_LOADER_H
#define RUNNER_LOADER_H

#include <runner/plugin.h>

#include "err.h"
#include "graph.h"

struct loader_opts {
    int allow_unsafe;   /* --allow-unsafe-plugins: warn instead of refusing */
};

/* Read and validate the metadata of one file (magic, ABI version, size,
 * NUL-terminated ids of at most 32 characters, ...).  Errors read
 * "plugin '<path>': <what is wrong>".  No permission checks: those are
 * loader_scan()'s. */
int loader_read_meta(const char *path, struct runner_revision *out, struct err *e);

/* Every *.so in `dir` (not hidden), in name order, added to g with
 * graph_add(); then graph_build().  A directory that cannot be read is an
 * error; a file that vanished between readdir() and open() is skipped.
 * The directory, its parents (a sticky one owned by root, like /tmp,
 * excepted) and each plugin (for a symlink: its target, the target's
 * directory and every directory above that) must not be writable by group
 * or others nor owned by anyone but the effective uid or root (trust.h);
 * o->allow_unsafe turns that refusal into a warning on stderr.  Each
 * revision records the st_dev/st_ino of the file that was checked and
 * read, for plugin_open_rev().  Ids and references must follow the
 * grammar of rev_id.h.  A plugin whose entry in the directory's scan
 * index (scan_index.h) matches is checked with one fstatat() and its
 * metadata taken from the index; every other one is opened and read. */
int loader_scan(const char *dir, const struct loader_opts *o, struct graph *g,
                struct err *e);

/* An open plugin.  Zero-initialise; plugin_close() releases it. */
struct plugin {
    void *handle;                           /* dlopen() handle, counted in plugin_open.c */
    int (*upgrade)(runner_op *op);
    int (*downgrade)(runner_op *op);
    const struct runner_revision *meta;     /* inside the mapped object: copy before close;
                                             * members past meta->size are not there */
};

/* Open `path` once, trust-check the descriptor and every directory above
 * the file (strict: no scan vouched for it), dlopen that same file through
 * /proc/self/fd/N, resolve upgrade/downgrade/metadata, check magic and ABI
 * and that the revision id equals `expect_id` (NULL: any). */
int plugin_open(struct plugin *p, const char *path, const char *expect_id, struct err *e);

/* plugin_open() for a revision of a scan: the file must be the one the
 * scan checked (same st_dev/st_ino: "not the file the scan checked") and
 * still safe, and its id r->id; nothing of a refused file runs.  A
 * revision without a recorded file (built by hand) takes plugin_open(). */
int plugin_open_rev(struct plugin *p, const struct rev *r, struct err *e);

void plugin_close(struct plugin *p);

#endif
