/* strbuf.h -- a growable NUL-terminated string, after git's strbuf.
 *
 * The caller owns the struct and releases its contents with strbuf_release()
 * (or takes them with strbuf_detach()).  An allocation failure does not
 * abort: it makes the buffer sticky-failed, further additions are ignored,
 * and strbuf_failed() / strbuf_detach() tell the caller once at the end, so
 * a renderer checks one flag instead of every call. */
#ifndef RUNNER_STRBUF_H
#define RUNNER_STRBUF_H

#include <stddef.h>

struct strbuf {
    char *buf;      /* owned; NULL until the first addition; always NUL-terminated after */
    size_t len;     /* bytes in buf, not counting the NUL */
    size_t alloc;   /* bytes allocated for buf */
    int failed;     /* an allocation failed: contents are incomplete */
};

#define STRBUF_INIT { NULL, 0, 0, 0 }

void strbuf_init(struct strbuf *sb);

/* Append len bytes / a C string / a character / printf output. */
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Drop the contents but keep the allocation (and the failed flag). */
void strbuf_reset(struct strbuf *sb);

/* The contents as a C string, "" when empty; borrowed, valid until the
 * next change to sb. */
const char *strbuf_str(const struct strbuf *sb);

int strbuf_failed(const struct strbuf *sb);

/* Free the contents and re-initialise. */
void strbuf_release(struct strbuf *sb);

/* Hand the string over: the caller now owns it and frees it with free().
 * Returns NULL (and releases) when an allocation failed; an empty buffer
 * gives an allocated "".  The strbuf is re-initialised either way. */
char *strbuf_detach(struct strbuf *sb);

#endif
