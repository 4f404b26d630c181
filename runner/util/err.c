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

int err_set(struct err *e, enum err_code code, const char *fmt, ...)
{
    va_list ap;

    if (!e)
        return -1;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    one_line(e->msg);
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
    one_line(e->msg);
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

void err_clear(struct err *e)
{
    if (!e)
        return;
    e->code = ERR_OK;
    e->sqlstate[0] = '\0';
    e->msg[0] = '\0';
}
