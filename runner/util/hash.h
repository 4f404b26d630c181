/* hash.h -- the one string hash: 64-bit FNV-1a.  Used where a stable,
 * well-known value matters more than speed or resistance to collisions
 * chosen by an attacker: the migration lock's key (which other runners,
 * and other versions of runner, must compute the same) and the graph's id
 * index. */
#ifndef RUNNER_HASH_H
#define RUNNER_HASH_H

#include <stdint.h>

/* FNV-1a 64 of the NUL-terminated s. */
uint64_t hash_fnv1a64(const char *s);

#endif
