/* scan_index.h -- private to the plugin loader (scan.c) and the build
 * (build.c): the scan index, a file in the plugin directory that holds,
 * for each plugin, its name, size, mtime and the metadata the scan would
 * read from it, in the style of git's index.
 *
 * `runner build` writes it (scan_index_write()); the scan (scan.c) then
 * checks each plugin with one fstatat() instead of opening and reading
 * it: a regular file, passing trust.c's rule on that stat, of the
 * recorded size and mtime (the seconds alone when the file's nanoseconds
 * are 0: a copy through a tar archive, as an image layer, drops them),
 * and older than the index itself (an entry as
 * new as the index may have been rewritten within the same timestamp:
 * git's "racily clean" entry).  Anything else (no entry, a mismatch, a
 * symlink) is read from the file as without an index, so a stale index
 * is never wrong, only slower.  The index itself must pass the rule (its
 * owner the effective uid or root, not writable by group or others,
 * checked on its descriptor), be a regular file and parse; otherwise it
 * is ignored without a word (--allow-unsafe-plugins does not make an
 * unsafe index count).  It is never written by a scan, so a read-only
 * plugin directory works as before.  What the metadata means is
 * elf_meta.c's (every entry passes its checks again) and the graph's. */
#ifndef RUNNER_SCAN_INDEX_H
#define RUNNER_SCAN_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include <runner/plugin.h>

#include "err.h"

#define SCAN_INDEX_NAME ".runner-index"     /* hidden: the scan never takes it for a plugin */

struct scan_index_entry {
    const char *name;               /* in buf, NUL-terminated */
    uint64_t size;                  /* st_size when it was indexed */
    int64_t mtime_sec, mtime_nsec;  /* st_mtim when it was indexed */
    uint32_t meta_size;             /* bytes of the plugin's metadata struct */
    const unsigned char *packed;    /* those bytes, zero runs packed (scan_index.c); in buf */
    size_t packed_len;
};

struct scan_index {
    unsigned char *buf;             /* the whole file: ours */
    struct scan_index_entry *v;     /* in name (strcmp) order: ours */
    size_t n;
    struct timespec mtime;          /* of the index file */
    size_t cursor;                  /* scan_index_lookup() asks in name order */
};

/* Load the index of the (checked) plugin directory dfd.  1 when it is
 * loaded; 0 when there is none that may be used (missing, unsafe, another
 * format, corrupt, out of memory): *ix is then empty.  Never an error.
 * Release with scan_index_release() either way. */
int scan_index_load(int dfd, struct scan_index *ix);

void scan_index_release(struct scan_index *ix);

/* The metadata of plugin `name` into *out, when the index holds it and st
 * (fstatat() of it, AT_SYMLINK_NOFOLLOW) is a regular file of the indexed
 * size and mtime, older than the index: 1.  0 otherwise (read the file).
 * Names must be asked in strcmp order.  The caller still checks the stat
 * against trust.c's rule and the metadata with elf_meta_check(). */
int scan_index_lookup(struct scan_index *ix, const char *name, const struct stat *st,
                      struct runner_revision *out);

/* Write the index of plugin directory `dir` (the caller checked it):
 * every *.so that is a regular file passing the rule and whose metadata
 * reads, through a temporary file renamed into place, so that a reader or
 * a concurrent build sees the old index or the new one, never half of
 * one.  Errors read "cannot write scan index '<path>': <why>". */
int scan_index_write(const char *dir, struct err *e);

#endif
