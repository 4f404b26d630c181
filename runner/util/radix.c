/* radix.c -- see radix.h. */
#include "radix.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t key_at(const unsigned char *rec, size_t key_offset)
{
    uint64_t k;

    memcpy(&k, rec + key_offset, sizeof(k));
    return k;
}

int radix_sort_u64(void *base, size_t n, size_t size, size_t key_offset,
                   int (*cmp)(const void *a, const void *b))
{
    unsigned char *k = base, *src = k, *dst, *tmp;
    size_t count[256];

    if (n < 2)
        return 0;
    if (!(tmp = malloc(n * size)))
        return -1;
    dst = tmp;
    for (int shift = 0; shift < 64; shift += 8) {
        size_t sum = 0;

        memset(count, 0, sizeof(count));
        for (size_t i = 0; i < n; i++)
            count[(key_at(src + i * size, key_offset) >> shift) & 0xff]++;
        if (count[(key_at(src, key_offset) >> shift) & 0xff] == n)
            continue;
        for (int b = 0; b < 256; b++) {
            size_t c = count[b];

            count[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            size_t slot = count[(key_at(src + i * size, key_offset) >> shift) & 0xff]++;

            memcpy(dst + slot * size, src + i * size, size);
        }
        {
            unsigned char *t = src;

            src = dst;
            dst = t;
        }
    }
    if (src != k)
        memcpy(k, src, n * size);
    free(tmp);
    for (size_t a = 0, b; a < n; a = b) {
        uint64_t ka = key_at(k + a * size, key_offset);

        for (b = a + 1; b < n && key_at(k + b * size, key_offset) == ka; b++)
            ;
        if (b - a > 1)
            qsort(k + a * size, b - a, size, cmp);
    }
    return 0;
}
