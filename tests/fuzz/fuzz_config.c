/* fuzz_config.c -- config.c (inih underneath) on arbitrary INI files: no
 * crash, no leak; a failure always comes with a message. */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config c;
    struct err e = ERR_INIT;
    char path[64];
    int fd = fuzz_memfd(data, size, path, sizeof(path));
    int r;

    if (fd < 0)
        return 0;
    config_init(&c);
    r = config_read_file(&c, path, &e);
    FUZZ_CHECK(r == 0 || (e.code != ERR_OK && e.msg[0]), "failure without a message");
    FUZZ_CHECK(!strchr(e.msg, '\n'), "multi-line message");
    if (r == 0) {
        r = config_finish(&c, &e);
        FUZZ_CHECK(r == 0 || e.msg[0], "finish failed without a message");
    }
    config_release(&c);
    close(fd);
    return 0;
}
