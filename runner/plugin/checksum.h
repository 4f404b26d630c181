/* checksum.h -- the SHA-256 of a revision source, as embedded in its plugin.
 *
 * Line endings are normalised first (CRLF and a lone CR become LF), so a
 * checkout with CRLF line endings hashes like one with LF.  The CMake
 * helper (plugin-api/cmake/RunnerRevision.cmake) computes the same value at
 * configure time and `runner build` (build.c) with checksum_file(); both
 * pass it to the compiler as -DRUNNER_SOURCE_SHA256="<hex>".  Comparing it
 * with the history table is the caller's business (issue 7). */
#ifndef RUNNER_CHECKSUM_H
#define RUNNER_CHECKSUM_H

#include <stddef.h>

#include <runner/plugin.h>

#include "err.h"

#define CHECKSUM_HEX_SIZE RUNNER_SHA256_SIZE    /* 64 lowercase hex digits + NUL */

/* Hash n bytes (line endings normalised) into out as 64 lowercase hex
 * digits.  0, or -1 with *e filled (libcrypto failure). */
int checksum_buf(const void *buf, size_t n, char out[CHECKSUM_HEX_SIZE], struct err *e);

/* Same for the contents of the file at path; errors name the file. */
int checksum_file(const char *path, char out[CHECKSUM_HEX_SIZE], struct err *e);

#endif
