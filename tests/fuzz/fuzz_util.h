/* fuzz_util.h -- helpers shared by the libFuzzer targets (static: each
 * target gets its own copy).  Private to tests/fuzz. */
#ifndef RUNNER_FUZZ_UTIL_H
#define RUNNER_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FUZZ_FN static __attribute__((unused))

/* The input as a file: a memfd holding exactly the bytes, named through
 * /proc/self/fd so the code under test opens it by path as usual.  Returns
 * the fd (close it when done) or -1. */
FUZZ_FN int fuzz_memfd(const unsigned char *data, size_t size, char *path, size_t path_size)
{
    int fd = memfd_create("fuzz", MFD_CLOEXEC);
    size_t done = 0;

    if (fd < 0)
        return -1;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);

        if (w <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    snprintf(path, path_size, "/proc/self/fd/%d", fd);
    return fd;
}

/* A NUL-terminated copy of the input (caller frees), or NULL. */
FUZZ_FN char *fuzz_str(const unsigned char *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s)
        return NULL;
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A property failed: print and abort, so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond, ...)                                             \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "fuzz check failed: %s: ", #cond);            \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
            abort();                                                      \
        }                                                                 \
    } while (0)

#endif
