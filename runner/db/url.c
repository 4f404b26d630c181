/* url.c -- connection string normalising and masking; see url.h. */
#include "url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define URL_MASK "***"

/* Appends to a fixed buffer, silently truncating; buf stays terminated. */
struct out {
    char *buf;
    size_t size;
    size_t len;
    const char *pw;     /* where the (last) password was found in the input */
    size_t pw_len;
};

static void found(struct out *o, const char *pw, size_t n)
{
    o->pw = pw;
    o->pw_len = n;
}

static void out_mem(struct out *o, const char *s, size_t n)
{
    if (o->size == 0)
        return;
    for (size_t i = 0; i < n && o->len + 1 < o->size; i++)
        o->buf[o->len++] = s[i];
    o->buf[o->len] = '\0';
}

static void out_str(struct out *o, const char *s)
{
    out_mem(o, s, strlen(s));
}

/* Length of the scheme when `s` starts with "<scheme>://", else 0. */
static size_t scheme_len(const char *s)
{
    size_t i = 0;

    if (!isalpha((unsigned char)s[0]))
        return 0;
    while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
        i++;
    return strncmp(s + i, "://", 3) == 0 ? i : 0;
}

int url_is_uri(const char *url)
{
    return url && scheme_len(url) > 0;
}

char *url_normalize(const char *url, struct err *e)
{
    size_t n = url ? scheme_len(url) : 0;
    const char *rest;
    char *copy;

    if (!url || n == 0) {
        copy = strdup(url ? url : "");
        if (!copy)
            err_set(e, ERR_FAIL, "out of memory");
        return copy;
    }
    rest = url + n;                     /* "://..." */
    if (!((n == 10 && strncmp(url, "postgresql", 10) == 0) ||
          (n == 8 && strncmp(url, "postgres", 8) == 0) ||
          (n > 11 && strncmp(url, "postgresql+", 11) == 0) ||
          (n > 9 && strncmp(url, "postgres+", 9) == 0))) {
        err_set(e, ERR_USAGE, "unsupported database url scheme '%.*s' (expected postgresql://)",
                (int)n, url);
        return NULL;
    }
    /* SQLAlchemy's "postgresql+psycopg2": libpq knows only the dialect. */
    if (asprintf(&copy, "postgresql%s", rest) < 0) {
        err_set(e, ERR_FAIL, "out of memory");
        return NULL;
    }
    return copy;
}

/* query string "a=1&password=x&b=2" with password values masked */
static void mask_query(struct out *o, const char *q, const char *end)
{
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(q, '=', (size_t)(stop - q));

        if (eq && eq - q == 8 && strncmp(q, "password", 8) == 0) {
            out_mem(o, q, (size_t)(eq + 1 - q));
            out_str(o, URL_MASK);
            found(o, eq + 1, (size_t)(stop - eq - 1));
        } else {
            out_mem(o, q, (size_t)(stop - q));
        }
        if (amp)
            out_mem(o, "&", 1);
        q = amp ? amp + 1 : end;
    }
}

static void mask_uri(struct out *o, const char *url)
{
    const char *auth = url + scheme_len(url) + 3;
    const char *auth_end = auth + strcspn(auth, "/?");
    const char *at = NULL;
    const char *q;

    /* The last '@' of the authority, so that a raw '@' inside a password
     * (which libpq would misparse anyway) is still hidden. */
    for (const char *p = auth; p < auth_end; p++)
        if (*p == '@')
            at = p;
    out_mem(o, url, (size_t)(auth - url));
    if (at) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));

        if (colon) {
            out_mem(o, auth, (size_t)(colon + 1 - auth));
            out_str(o, URL_MASK);
            found(o, colon + 1, (size_t)(at - colon - 1));
            out_mem(o, at, (size_t)(auth_end - at));
        } else {
            out_mem(o, auth, (size_t)(auth_end - auth));
        }
    } else {
        out_mem(o, auth, (size_t)(auth_end - auth));
    }
    q = strchr(auth_end, '?');
    if (!q) {
        out_str(o, auth_end);
        return;
    }
    out_mem(o, auth_end, (size_t)(q + 1 - auth_end));
    mask_query(o, q + 1, q + 1 + strlen(q + 1));
}

/* key = value pairs as libpq's conninfo_parse reads them: values are bare
 * words or single-quoted with backslash escapes. */
static void mask_conninfo(struct out *o, const char *s)
{
    const char *p = s;

    while (*p) {
        const char *key;
        size_t key_len;
        const char *val;
        int secret;

        while (isspace((unsigned char)*p))
            out_mem(o, p++, 1);
        if (!*p)
            break;
        key = p;
        while (*p && *p != '=' && !isspace((unsigned char)*p))
            p++;
        key_len = (size_t)(p - key);
        secret = key_len == 8 && strncmp(key, "password", 8) == 0;
        out_mem(o, key, key_len);
        while (isspace((unsigned char)*p))
            out_mem(o, p++, 1);
        if (*p != '=') {
            out_str(o, p);      /* not conninfo; libpq will complain, we just copy */
            return;
        }
        out_mem(o, p++, 1);
        while (isspace((unsigned char)*p))
            out_mem(o, p++, 1);
        val = p;
        if (*p == '\'') {
            p++;
            while (*p && *p != '\'') {
                if (*p == '\\' && p[1])
                    p++;
                p++;
            }
            if (*p == '\'')
                p++;
        } else {
            while (*p && !isspace((unsigned char)*p)) {
                if (*p == '\\' && p[1])
                    p++;
                p++;
            }
        }
        if (secret) {
            out_str(o, URL_MASK);
            found(o, val, (size_t)(p - val));
        } else
            out_mem(o, val, (size_t)(p - val));
    }
}

static void mask(struct out *o, const char *url)
{
    if (o->size == 0)
        return;
    o->buf[0] = '\0';
    if (!url || !*url)
        out_str(o, "(libpq defaults)");
    else if (url_is_uri(url))
        mask_uri(o, url);
    else
        mask_conninfo(o, url);
}

char *url_mask(const char *url, char *buf, size_t size)
{
    struct out o = { buf, size, 0, NULL, 0 };

    mask(&o, url);
    return buf;
}

char *url_password(const char *url)
{
    char scratch[1];
    struct out o = { scratch, sizeof(scratch), 0, NULL, 0 };
    char *pw;
    size_t n = 0;

    mask(&o, url);
    if (!o.pw || o.pw_len == 0)
        return NULL;
    pw = malloc(o.pw_len + 1);
    if (!pw)
        return NULL;
    for (size_t i = 0; i < o.pw_len; i++) {
        char c = o.pw[i];

        if (o.pw[0] == '\'' && !url_is_uri(url)) {
            /* conninfo 'quoted \' value' */
            if ((i == 0 || i == o.pw_len - 1) && c == '\'')
                continue;
            if (c == '\\' && i + 1 < o.pw_len)
                c = o.pw[++i];
        }
        pw[n++] = c;
    }
    pw[n] = '\0';
    return pw;
}

void url_scrub(char *text, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    size_t m = n < 3 ? n : 3;
    char *p;

    if (!text || n == 0)
        return;
    while ((p = strstr(text, secret)) != NULL) {
        memset(p, '*', m);
        memmove(p + m, p + n, strlen(p + n) + 1);
        text = p + m;
    }
}
