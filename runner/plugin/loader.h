/* loader.h -- finds revision plugins and reads their metadata; opens one
 * only to run it.
 *
 * Listing never runs plugin code: the metadata is read straight from the
 * RUNNER_SECTION ELF section of each file with <elf.h> and pread().  A
 * plugin is dlopen()ed (RTLD_NOW | RTLD_LOCAL) only when its upgrade() or
 * downgrade() is about to run, and closed right after.  Every error names
 * the file. */
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
 * excepted) and each plugin (symlinks resolved, and the directory a
 * symlinked plugin lives in) must not be writable by group or others nor
 * owned by anyone but the effective uid or root; o->allow_unsafe turns
 * that refusal into a warning on stderr.  Large directories are read on a
 * few threads; graph_add() still runs on the calling thread, in name
 * order, and the error reported is the first in name order. */
int loader_scan(const char *dir, const struct loader_opts *o, struct graph *g,
                struct err *e);

/* An open plugin.  Zero-initialise; plugin_close() releases it. */
struct plugin {
    void *handle;                           /* dlopen() handle */
    int (*upgrade)(runner_op *op);
    int (*downgrade)(runner_op *op);
    const struct runner_revision *meta;     /* inside the mapped object: copy before close */
};

/* dlopen `path`, resolve upgrade/downgrade/metadata, check magic and ABI
 * and that the revision id equals `expect_id` (the file may have changed
 * since the scan). */
int plugin_open(struct plugin *p, const char *path, const char *expect_id, struct err *e);
void plugin_close(struct plugin *p);

#endif
