/* fuzz_meta.c -- loader_read_meta() on arbitrary files (the fuzz input is
 * the whole file): no crash, no over-read; an accepted file has
 * NUL-terminated ids and the right magic and ABI, a refused one a
 * one-line message naming the file. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_util.h"
#include "loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct runner_revision m;
    struct err e = ERR_INIT;
    char path[64];
    int fd = fuzz_memfd(data, size, path, sizeof(path));

    if (fd < 0)
        return 0;
    if (loader_read_meta(path, &m, &e) == 0) {
        FUZZ_CHECK(m.magic == RUNNER_MAGIC && m.abi_version == RUNNER_ABI_VERSION, "bad head");
        FUZZ_CHECK(memchr(m.revision, '\0', sizeof(m.revision)) && m.revision[0], "bad id");
        FUZZ_CHECK(memchr(m.message, '\0', sizeof(m.message)) != NULL, "bad message");
        for (size_t i = 0; i < RUNNER_MAX_REFS; i++)
            FUZZ_CHECK(memchr(m.down_revision[i], '\0', RUNNER_ID_SIZE) &&
                       memchr(m.branch_labels[i], '\0', RUNNER_ID_SIZE) &&
                       memchr(m.depends_on[i], '\0', RUNNER_ID_SIZE), "bad refs");
    } else {
        FUZZ_CHECK(e.code != ERR_OK && strstr(e.msg, path) != NULL, "message '%s'", e.msg);
        FUZZ_CHECK(!strchr(e.msg, '\n'), "multi-line message");
    }
    close(fd);
    return 0;
}
