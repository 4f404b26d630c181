/* strbuf.c -- growable strings; see strbuf.h. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_init(struct strbuf *sb)
{
    sb->buf = NULL;
    sb->len = 0;
    sb->alloc = 0;
    sb->failed = 0;
}

/* Make room for extra more bytes plus the NUL; 0 or -1 (and failed set). */
static int grow(struct strbuf *sb, size_t extra)
{
    size_t need, alloc;
    char *p;

    if (sb->failed)
        return -1;
    if (extra > SIZE_MAX - sb->len - 1)
        goto fail;
    need = sb->len + extra + 1;
    if (need <= sb->alloc)
        return 0;
    alloc = sb->alloc ? sb->alloc : 64;
    while (alloc < need)
        alloc = alloc > SIZE_MAX / 2 ? need : alloc * 2;
    p = realloc(sb->buf, alloc);
    if (!p)
        goto fail;
    sb->buf = p;
    sb->alloc = alloc;
    return 0;
fail:
    sb->failed = 1;
    return -1;
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
    if (grow(sb, len) < 0)
        return;
    if (len)
        memcpy(sb->buf + sb->len, data, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
}

void strbuf_adds(struct strbuf *sb, const char *s)
{
    strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, char c)
{
    strbuf_add(sb, &c, 1);
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        sb->failed = 1;
        return;
    }
    if (grow(sb, (size_t)n) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

void strbuf_reset(struct strbuf *sb)
{
    sb->len = 0;
    if (sb->buf)
        sb->buf[0] = '\0';
}

const char *strbuf_str(const struct strbuf *sb)
{
    return sb->buf ? sb->buf : "";
}

int strbuf_failed(const struct strbuf *sb)
{
    return sb->failed;
}

void strbuf_release(struct strbuf *sb)
{
    free(sb->buf);
    strbuf_init(sb);
}

char *strbuf_detach(struct strbuf *sb)
{
    char *s;

    if (sb->failed) {
        strbuf_release(sb);
        return NULL;
    }
    s = sb->buf ? sb->buf : strdup("");
    strbuf_init(sb);
    return s;
}
