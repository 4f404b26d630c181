/* radix.h -- sorting records by a 64-bit key, then by a comparison among
 * records with equal keys.  The loader (file names) and the graph (its id
 * index) both sort tens of thousands of strings by a big-endian prefix
 * word; an LSD radix sort on that word plus qsort() of the rare ties is
 * several times faster than qsort() of the strings. */
#ifndef RUNNER_RADIX_H
#define RUNNER_RADIX_H

#include <stddef.h>

/* Sort n records of `size` bytes at base by the uint64_t at `key_offset`
 * in each (eight stable one-byte passes, a pass skipped when every record
 * has the same byte there), then each run of equal keys with cmp().
 * Returns 0, or -1 when out of memory (base is then unchanged). */
int radix_sort_u64(void *base, size_t n, size_t size, size_t key_offset,
                   int (*cmp)(const void *a, const void *b));

#endif
