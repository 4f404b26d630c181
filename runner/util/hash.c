/* hash.c -- FNV-1a; see hash.h. */
#include "hash.h"

uint64_t hash_fnv1a64(const char *s)
{
    uint64_t h = 14695981039346656037ULL;   /* the FNV offset basis */

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;              /* the FNV prime */
    }
    return h;
}
