/* err.c -- filling struct err; see err.h. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Keep messages on one line: libpq and PostgreSQL end theirs with '\n'. */
static void one_line(char *s)
{
    size_t n = strlen(s);

    char *w = s;

    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
    /* libpq's "...failed: Connection refused\n\tIs the server running" reads
     * as one sentence: line breaks and the indentation after them become
     * one space */
    for (const char *r = s; *r; r++) {
        int brk = *r == '\n' || *r == '\r';

        if (brk || *r == '\t') {
            while (w > s && w[-1] == ' ' && brk)
                w--;
            while (r[1] == '\n' || r[1] == '\r' || r[1] == '\t' || (brk && r[1] == ' '))
                r++;
            *w++ = ' ';
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

/* The escape of the character at p ("\x1b", "\u009b", "\n" when
 * `newlines`), written to out (8 bytes); returns the bytes of p it
 * covers, 0 when p needs no escape. */
static size_t control_escape(const unsigned char *p, int newlines, char out[8])
{
    if (newlines && (*p == '\n' || *p == '\r' || *p == '\t')) {
        snprintf(out, 8, "\\%c", *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't');
        return 1;
    }
    if (*p < 0x20 || *p == 0x7f) {
        snprintf(out, 8, "\\x%02x", *p);
        return 1;
    }
    /* C1 controls in UTF-8: U+009B is a CSI to many terminals */
    if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
        snprintf(out, 8, "\\u%04x", p[1]);
        return 2;
    }
    return 0;
}

/* Control characters left in s (after one_line) escaped, in place, cut
 * to its buffer without splitting an escape. */
static void escape_controls(char *s, size_t size)
{
    char copy[ERR_MSG_SIZE];
    size_t n = 0;

    if (size > sizeof(copy))
        size = sizeof(copy);
    snprintf(copy, sizeof(copy), "%s", s);
    for (const unsigned char *p = (const unsigned char *)copy; *p;) {
        char esc[8];
        size_t k = control_escape(p, 0, esc);
        size_t len = k ? strlen(esc) : 1;

        if (n + len >= size)
            break;
        if (k) {
            memcpy(s + n, esc, len);
            p += k;
        } else {
            s[n] = (char)*p++;
        }
        n += len;
    }
    s[n] = '\0';
}

static void tidy(char *s, size_t size)
{
    one_line(s);
    escape_controls(s, size);
}

int err_set(struct err *e, enum err_code code, const char *fmt, ...)
{
    va_list ap;

    if (!e)
        return -1;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    tidy(e->msg, sizeof(e->msg));
    e->detail[0] = e->hint[0] = e->context[0] = '\0';
    e->position = 0;
    return -1;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
    char prefix[ERR_MSG_SIZE];
    char old[ERR_MSG_SIZE];
    va_list ap;

    if (!e)
        return -1;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof(old));
    /* Truncation is intended: the message stays within its fixed buffer. */
    size_t n = strlen(prefix);
    if (n > sizeof(e->msg) - 3)
        n = sizeof(e->msg) - 3;
    memcpy(e->msg, prefix, n);
    memcpy(e->msg + n, ": ", 2);
    n += 2;
    size_t m = strlen(old);
    if (m > sizeof(e->msg) - 1 - n)
        m = sizeof(e->msg) - 1 - n;
    memcpy(e->msg + n, old, m);
    e->msg[n + m] = '\0';
    tidy(e->msg, sizeof(e->msg));
    if (e->code == ERR_OK)
        e->code = ERR_FAIL;
    return -1;
}

void err_sqlstate(struct err *e, const char *state)
{
    if (!e)
        return;
    snprintf(e->sqlstate, sizeof(e->sqlstate), "%s", state ? state : "");
}

/* A server field: trailing newlines dropped, inner ones and tabs kept
 * (psql prints a multi-line CONTEXT as it comes); other controls escaped,
 * cut to the buffer without splitting an escape. */
static void server_field(char *dst, size_t size, const char *src)
{
    size_t n = 0;

    for (const unsigned char *p = (const unsigned char *)(src ? src : ""); *p;) {
        char esc[8];
        size_t k = *p == '\n' || *p == '\t' ? 0 : control_escape(p, 0, esc);
        size_t len = k ? strlen(esc) : 1;

        if (n + len >= size)
            break;
        if (k) {
            memcpy(dst + n, esc, len);
            p += k;
        } else {
            dst[n] = (char)*p++;
        }
        n += len;
    }
    while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == ' '))
        n--;
    dst[n] = '\0';
}

void err_server_fields(struct err *e, const char *detail, const char *hint,
                       const char *context, int position)
{
    if (!e)
        return;
    server_field(e->detail, sizeof(e->detail), detail);
    server_field(e->hint, sizeof(e->hint), hint);
    server_field(e->context, sizeof(e->context), context);
    e->position = position > 0 ? position : 0;
}

void err_clear(struct err *e)
{
    if (!e)
        return;
    e->code = ERR_OK;
    e->sqlstate[0] = '\0';
    e->msg[0] = '\0';
    e->detail[0] = e->hint[0] = e->context[0] = '\0';
    e->position = 0;
}

const char *err_quote(char *buf, size_t size, const char *s)
{
    size_t n = 0, used = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");

    if (size == 0)
        return "";
    while (*p) {
        char esc[8];
        size_t k = control_escape(p, 1, esc);
        size_t len = k ? strlen(esc) : 1;

        /* cut after ERR_QUOTE_MAX input bytes, never inside a UTF-8 character */
        if (used >= ERR_QUOTE_MAX && (*p & 0xC0) != 0x80) {
            if (n + 3 < size) {
                memcpy(buf + n, "...", 3);
                n += 3;
            }
            break;
        }
        if (n + len + 3 >= size)
            break;
        if (k) {
            memcpy(buf + n, esc, len);
            p += k;
            used += k;
        } else {
            buf[n] = (char)*p++;
            used++;
        }
        n += len;
    }
    buf[n] = '\0';
    return buf;
}
