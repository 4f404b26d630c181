/* url.c -- connection string normalising and naming; see url.h. */
#include "url.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends to a fixed buffer, silently truncating; buf stays terminated. */
struct out {
    char *buf;
    size_t size;
    size_t len;
};

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

/* libpq's own test (recognized_connection_string in fe-connect.c): a
 * dbname holding '=' or starting with a URI prefix is a connection string. */
static int is_connection_string(const char *s)
{
    return s && (strchr(s, '=') != NULL || strncmp(s, "postgresql://", 13) == 0 ||
                 strncmp(s, "postgres://", 11) == 0);
}

/* No host name holds '@': when one does, it is the tail of a password
 * that held a raw '@'. */
static int host_holds_at(const char *hosts)
{
    return hosts && strchr(hosts, '@') != NULL;
}

/* "postgresql+psycopg2://" -> "postgresql://"; other URIs and conninfo
 * strings are copied.  NULL with *bad_scheme set for a foreign scheme. */
static char *normalize_scheme(const char *url, size_t *bad_scheme)
{
    size_t n = url ? scheme_len(url) : 0;
    char *copy = NULL;

    *bad_scheme = 0;
    if (!url || n == 0)
        return strdup(url ? url : "");
    if (!((n == 10 && strncmp(url, "postgresql", 10) == 0) ||
          (n == 8 && strncmp(url, "postgres", 8) == 0) ||
          (n > 11 && strncmp(url, "postgresql+", 11) == 0) ||
          (n > 9 && strncmp(url, "postgres+", 9) == 0))) {
        *bad_scheme = n;
        return NULL;
    }
    /* SQLAlchemy's "postgresql+psycopg2": libpq knows only the dialect. */
    if (asprintf(&copy, "postgresql%s", url + n) < 0)
        return NULL;
    return copy;
}

/* The parsed options of a normalised url (caller frees with
 * PQconninfoFree), NULL when libpq cannot parse it (*why, when not NULL,
 * gets libpq's message: caller frees with PQfreemem). */
static PQconninfoOption *parse(const char *norm, char **why)
{
    return PQconninfoParse(norm, why);
}

static const char *opt(const PQconninfoOption *opts, const char *key)
{
    for (const PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, key) == 0)
            return o->val && *o->val ? o->val : NULL;
    return NULL;
}

/* libpq's parse errors quote the offending text ("invalid percent-encoded
 * token: \"...\""), which may be the password: keep the reason, drop
 * what is quoted. */
static void reason_without_quotes(const char *why, char *buf, size_t size)
{
    struct out o = { buf, size, 0 };
    int quoted = 0;

    if (size)
        buf[0] = '\0';
    for (const char *p = why ? why : ""; *p; p++) {
        if (*p == '"') {
            quoted = !quoted;
            out_str(&o, quoted ? "\"..." : "\"");
        } else if (!quoted) {
            out_mem(&o, p, 1);
        }
    }
}

char *url_normalize(const char *url, struct err *e)
{
    size_t bad_scheme = 0;
    char *norm = normalize_scheme(url, &bad_scheme);
    PQconninfoOption *opts = NULL;
    char *why = NULL;

    if (!norm) {
        if (bad_scheme)
            err_set(e, ERR_USAGE,
                    "unsupported database url scheme '%.*s' (expected postgresql://)",
                    (int)bad_scheme, url);
        else
            err_set(e, ERR_FAIL, "out of memory");
        return NULL;
    }
    if (!*norm)
        return norm;                    /* libpq's PG* environment */
    opts = parse(norm, &why);
    if (!opts) {
        char reason[ERR_MSG_SIZE];

        reason_without_quotes(why ? why : "out of memory", reason, sizeof(reason));
        err_set(e, ERR_FAIL, "invalid database url: %s", reason);
        goto fail;
    }
    if (host_holds_at(opt(opts, "host"))) {
        /* "postgresql://u:p@ss@h/db": libpq stops the password at the
         * first '@' and would name the rest in "could not translate host
         * name" */
        err_set(e, ERR_FAIL, "invalid database url: a host name holds '@' (write an '@' in "
                              "the password as %%40)");
        goto fail;
    }
    if (is_connection_string(opt(opts, "dbname"))) {
        err_set(e, ERR_FAIL, "invalid database url: its dbname is itself a connection string "
                              "(give that string as the url instead)");
        goto fail;
    }
    PQconninfoFree(opts);
    return norm;
fail:
    if (why)
        PQfreemem(why);
    if (opts)
        PQconninfoFree(opts);
    free(norm);
    return NULL;
}

/* "h1:5432,h2:5433" from libpq's comma-separated host and port lists (a
 * single port applies to every host, as in libpq). */
static void out_hosts(struct out *o, const char *hosts, const char *ports)
{
    const char *h = hosts, *p = ports;
    int single_port = ports && !strchr(ports, ',');

    while (h) {
        const char *h_end = strchr(h, ',');
        size_t h_len = h_end ? (size_t)(h_end - h) : strlen(h);

        out_mem(o, h, h_len);
        if (p && (*p && *p != ',')) {
            size_t p_len = single_port ? strlen(p) : strcspn(p, ",");

            out_mem(o, ":", 1);
            out_mem(o, p, p_len);
        }
        if (p && !single_port) {
            p = strchr(p, ',');
            if (p)
                p++;
        }
        h = h_end ? h_end + 1 : NULL;
        if (h)
            out_mem(o, ",", 1);
    }
}

char *url_mask(const char *url, char *buf, size_t size)
{
    struct out o = { buf, size, 0 };
    size_t bad_scheme = 0;
    char *norm = NULL;
    PQconninfoOption *opts = NULL;
    const char *user, *host, *port, *dbname;

    if (size == 0)
        return buf;
    buf[0] = '\0';
    if (!url || !*url) {
        out_str(&o, "(libpq defaults)");
        return buf;
    }
    norm = normalize_scheme(url, &bad_scheme);
    opts = norm ? parse(norm, NULL) : NULL;
    if (!opts) {
        out_str(&o, "(invalid connection string)");
        goto out;
    }
    user = opt(opts, "user");
    host = opt(opts, "host");
    if (!host)
        host = opt(opts, "hostaddr");
    port = opt(opts, "port");
    dbname = opt(opts, "dbname");
    if (user) {
        out_str(&o, user);
        out_str(&o, "@");
    }
    if (host_holds_at(host))
        out_str(&o, "***");
    else if (host)
        out_hosts(&o, host, port);
    else if (port)
        out_hosts(&o, "", port);
    if (dbname) {
        out_str(&o, "/");
        out_str(&o, is_connection_string(dbname) ? "***" : dbname);
    }
    if (o.len == 0)
        out_str(&o, "(libpq defaults)");
out:
    if (opts)
        PQconninfoFree(opts);
    free(norm);
    return buf;
}

int url_has_password(const char *url)
{
    size_t bad_scheme = 0;
    char *norm = normalize_scheme(url, &bad_scheme);
    PQconninfoOption *opts = norm && *norm ? parse(norm, NULL) : NULL;
    int has = 0;

    if (opts)
        has = opt(opts, "password") != NULL || opt(opts, "sslpassword") != NULL;
    if (opts)
        PQconninfoFree(opts);
    free(norm);
    return has;
}
