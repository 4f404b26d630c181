/* elf_meta.h -- private to the plugin loader (scan.c, scan_index.c, plugin_open.c):
 * reading and checking the RUNNER_SECTION metadata of one open file.
 * The public entry, loader_read_meta(), is in loader.h.  Permissions are
 * trust.c's; linking revisions together is graph.c's. */
#ifndef RUNNER_ELF_META_H
#define RUNNER_ELF_META_H

#include <stdint.h>

#include <runner/plugin.h>

#include "err.h"

/* Read and check the metadata of the open regular file fd of `size`
 * bytes; errors read "plugin '<path>': <what is wrong>". */
int elf_meta_read_fd(int fd, const char *path, uint64_t size, struct runner_revision *out,
                     struct err *e);

/* The fixed head of the struct: magic, ABI version and size, in that
 * order, so that the message names the first thing that is wrong. */
int elf_meta_check_head(const char *path, uint32_t magic, uint32_t abi, uint32_t size,
                        struct err *e);

/* The checks elf_meta_read_fd() makes, for metadata held in memory (the
 * scan index's copy, scan_index.h): head, then every field. */
int elf_meta_check(const char *path, const struct runner_revision *m, struct err *e);

#endif
