/* checksum.c -- SHA-256 of a revision source with line endings normalised;
 * see checksum.h.  The digest is libcrypto's (EVP); this file only feeds it
 * the normalised bytes, streaming, so a CR at the end of one chunk and an
 * LF at the start of the next still count as one line ending. */
#include "checksum.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

/* Normalising state carried from chunk to chunk. */
struct norm {
    EVP_MD_CTX *md;
    int after_cr;       /* the previous byte was a CR (already hashed as LF) */
};

/* Feed n bytes, turning CRLF and lone CR into LF. */
static int norm_update(struct norm *s, const unsigned char *p, size_t n)
{
    size_t start = 0;

    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n' && s->after_cr) {
            /* second half of CRLF: the CR was hashed as LF already */
            if (i > start && EVP_DigestUpdate(s->md, p + start, i - start) != 1)
                return -1;
            start = i + 1;
            s->after_cr = 0;
            continue;
        }
        s->after_cr = 0;
        if (p[i] == '\r') {
            if (i > start && EVP_DigestUpdate(s->md, p + start, i - start) != 1)
                return -1;
            if (EVP_DigestUpdate(s->md, "\n", 1) != 1)
                return -1;
            start = i + 1;
            s->after_cr = 1;
        }
    }
    if (n > start && EVP_DigestUpdate(s->md, p + start, n - start) != 1)
        return -1;
    return 0;
}

static int norm_start(struct norm *s, struct err *e)
{
    s->after_cr = 0;
    s->md = EVP_MD_CTX_new();
    if (!s->md)
        return err_set(e, ERR_FAIL, "out of memory");
    if (EVP_DigestInit_ex(s->md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(s->md);
        s->md = NULL;
        return err_set(e, ERR_FAIL, "cannot initialise SHA-256");
    }
    return 0;
}

static int norm_finish(struct norm *s, char out[CHECKSUM_HEX_SIZE], struct err *e)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;

    if (EVP_DigestFinal_ex(s->md, md, &len) != 1 || len != 32)
        return err_set(e, ERR_FAIL, "cannot compute SHA-256");
    for (unsigned i = 0; i < len; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    out[2 * len] = '\0';
    return 0;
}

int checksum_buf(const void *buf, size_t n, char out[CHECKSUM_HEX_SIZE], struct err *e)
{
    struct norm s;
    int ret = -1;

    if (norm_start(&s, e) < 0)
        return -1;
    if (norm_update(&s, buf, n) < 0) {
        err_set(e, ERR_FAIL, "cannot compute SHA-256");
        goto out;
    }
    ret = norm_finish(&s, out, e);
out:
    EVP_MD_CTX_free(s.md);
    return ret;
}

int checksum_file(const char *path, char out[CHECKSUM_HEX_SIZE], struct err *e)
{
    unsigned char chunk[65536];
    struct norm s = { NULL, 0 };
    int fd, ret = -1;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return err_set(e, ERR_FAIL, "cannot open '%s': %s", path, strerror(errno));
    if (norm_start(&s, e) < 0)
        goto out;
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof(chunk));

        if (r < 0) {
            if (errno == EINTR)
                continue;
            err_set(e, ERR_FAIL, "cannot read '%s': %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        if (norm_update(&s, chunk, (size_t)r) < 0) {
            err_set(e, ERR_FAIL, "cannot compute SHA-256 of '%s'", path);
            goto out;
        }
    }
    ret = norm_finish(&s, out, e);
out:
    EVP_MD_CTX_free(s.md);
    close(fd);
    return ret;
}
