/* wait.c -- retry connecting until the server is ready; see wait.h.
 *
 * The attempts themselves are pg_open() + pg_exec("SELECT 1"), which run
 * the loop synchronously (pg.h), so they are made from plain code here,
 * never from a callback.  Between attempts a uv timer on the same loop
 * waits out the backoff; the loop has no handle of ours while pg.c runs
 * it except that stopped timer. */
#include "wait.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "backoff.h"
#include "pg.h"
#include "url.h"

#define WAIT_SLACK_S 0.05       /* seconds: closer than this to the deadline is at it */

/* The timer between attempts.  Lives on wait_db()'s stack: closed, and
 * its close callback run, before wait_db() returns. */
struct pause {
    uv_timer_t timer;
    int fired;                  /* set by the timer callback */
    int closed;                 /* set by the close callback */
};

/* Reasons that retrying cannot cure, as the server or libpq words them.
 * NEEDSWORK: libpq gives no SQLSTATE for a failed connection through
 * pg_open() and the server words these in its lc_messages; an English
 * server is assumed here, anything else is retried until the timeout. */
static const char *const permanent_reasons[] = {
    "authentication failed",            /* 28P01 password, 28000 peer/ident/... */
    "no pg_hba.conf entry",             /* 28000 */
    "is not permitted to log in",       /* 28000 */
    "no password supplied",             /* libpq: the server asks, we have none */
    "permission denied for database",   /* 42501: no CONNECT privilege */
    "server does not support ssl",      /* sslmode=require against a non-SSL server */
    "ssl is not enabled on the server",
    "invalid connection option",        /* malformed url or conninfo */
    "invalid uri",
    "invalid integer value",
    "invalid sslmode value",
    "missing \"=\" after",
    "unterminated quoted string",
    NULL,
};

static const char *const permanent_states[] = {
    "28P01", "28000", "3D000", "42501", NULL,
};

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return 0;
}

int wait_is_permanent(const char *msg, const char *sqlstate)
{
    if (sqlstate && *sqlstate) {
        for (size_t i = 0; permanent_states[i]; i++)
            if (strcmp(sqlstate, permanent_states[i]) == 0)
                return 1;
        return 0;
    }
    if (!msg)
        return 0;
    for (size_t i = 0; permanent_reasons[i]; i++)
        if (contains_ci(msg, permanent_reasons[i]))
            return 1;
    /* 3D000 'database "x" does not exist', 28000 'role "x" does not exist' */
    if ((contains_ci(msg, "database \"") || contains_ci(msg, "role \"")) &&
        contains_ci(msg, "does not exist"))
        return 1;
    return 0;
}

/* "57P03: ": five digits or capitals, a colon and a space. */
static int is_sqlstate_prefix(const char *s)
{
    for (int i = 0; i < 5; i++)
        if (!isdigit((unsigned char)s[i]) && !isupper((unsigned char)s[i]))
            return 0;
    return s[5] == ':' && s[6] == ' ';
}

/* Strip a leading "FATAL:  " (or ERROR, with an optional "57P03: "). */
static const char *skip_severity(const char *s)
{
    static const char *const levels[] = { "FATAL:", "ERROR:", "PANIC:", NULL };

    while (*s == ' ')
        s++;
    for (size_t i = 0; levels[i]; i++) {
        size_t n = strlen(levels[i]);

        if (strncmp(s, levels[i], n) == 0) {
            s += n;
            while (*s == ' ')
                s++;
            if (is_sqlstate_prefix(s))
                s += 7;         /* PQERRORS_SQLSTATE verbosity: "57P03: " */
            while (*s == ' ')
                s++;
            break;
        }
    }
    return s;
}

void wait_reason(const char *msg, char *buf, size_t size)
{
    static const char *const cuts[] = {
        "  ",                       /* was "\n\t": libpq's hint follows */
        " Is the server ",
        " connection to server ",   /* the next address of the same host */
        NULL,
    };
    const char *s = msg ? msg : "";
    const char *p;
    size_t n;

    if (size == 0)
        return;
    p = strstr(s, " failed: ");
    if (p) {
        s = p + strlen(" failed: ");
    } else if (strncmp(s, "cannot connect to ", 18) == 0 && (p = strstr(s, ": "))) {
        s = p + 2;
    }
    s = skip_severity(s);
    n = strlen(s);
    for (size_t i = 0; cuts[i]; i++) {
        p = strstr(s, cuts[i]);
        if (p && (size_t)(p - s) < n && p > s)
            n = (size_t)(p - s);
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '.'))
        n--;
    if (n >= size)
        n = size - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    /* "Connection refused" -> "connection refused", but keep "SSL ..." */
    if (n > 1 && isupper((unsigned char)buf[0]) && islower((unsigned char)buf[1]))
        buf[0] = (char)tolower((unsigned char)buf[0]);
    if (n == 0)
        snprintf(buf, size, "not ready");
}

/* The connect retries' backoff: capped after the jitter too, so that
 * --interval-max is a promise. */
static void wait_backoff(struct backoff *b, double interval_max_s, uint64_t seed)
{
    backoff_init(b, WAIT_INTERVAL_FIRST * 1000.0, interval_max_s * 1000.0, WAIT_JITTER, 1,
                 seed);
}

uint64_t wait_backoff_ms(unsigned attempt, double interval_max_s, double u)
{
    struct backoff b;

    wait_backoff(&b, interval_max_s, 1);
    return backoff_delay_ms(&b, attempt, u);
}

/* The url of one attempt: `norm` with connect_timeout=secs added, unless
 * the user set one (in the url or PGCONNECT_TIMEOUT) or the url does not
 * parse (then pg_open() names the problem).  Caller frees; NULL on OOM. */
static char *attempt_url(const char *norm, long secs)
{
    PQconninfoOption *opts = PQconninfoParse(norm, NULL);
    int has_timeout = getenv("PGCONNECT_TIMEOUT") != NULL;
    char *out = NULL;
    int r;

    if (opts) {
        for (PQconninfoOption *o = opts; o->keyword; o++)
            if (strcmp(o->keyword, "connect_timeout") == 0 && o->val && *o->val)
                has_timeout = 1;
        PQconninfoFree(opts);
    }
    if (!opts || has_timeout)
        return strdup(norm);
    if (url_is_uri(norm))
        r = asprintf(&out, "%s%cconnect_timeout=%ld", norm, strchr(norm, '?') ? '&' : '?', secs);
    else
        r = asprintf(&out, "%s%sconnect_timeout=%ld", norm, *norm ? " " : "", secs);
    return r < 0 ? NULL : out;
}

/* 1: the url is malformed (retrying cannot help), 0: it parses. */
static int url_malformed(const char *norm)
{
    PQconninfoOption *opts = PQconninfoParse(norm, NULL);

    if (!opts)
        return 1;
    PQconninfoFree(opts);
    return 0;
}

/* One attempt: connect and SELECT 1.  `where` receives pg_describe(). */
static int attempt(uv_loop_t *loop, const char *url, const int *stop, char *where,
                   size_t size, struct err *e)
{
    struct pg db = PG_INIT;
    int ret;

    db.stop = stop;
    ret = pg_open(&db, loop, url, e);
    if (ret == 0)
        ret = pg_exec(&db, "SELECT 1", e);
    pg_describe(&db, where, size);
    pg_close(&db);
    return ret;
}

static void on_pause(uv_timer_t *t)
{
    struct pause *p = t->data;

    p->fired = 1;
}

static void on_pause_closed(uv_handle_t *h)
{
    struct pause *p = h->data;

    p->closed = 1;
}

static int stopped(const struct wait_opts *o)
{
    return o->interrupted && *o->interrupted;
}

static double since(uint64_t start_ns)
{
    return (double)(uv_hrtime() - start_ns) / 1e9;
}

int wait_db(uv_loop_t *loop, const char *url, const struct wait_opts *o, struct err *e)
{
    struct pause pause = { .fired = 0, .closed = 0 };
    char where[512] = "";
    char reason[256] = "";
    char *norm = NULL;
    char *try_url = NULL;
    uint64_t start = uv_hrtime();
    struct backoff bo;
    int timer_open = 0;
    int ret = -1;
    int rc;

    wait_backoff(&bo, o->interval_max_s, 0);
    norm = url_normalize(url, e);
    if (!norm)
        goto out;
    rc = uv_timer_init(loop, &pause.timer);
    if (rc < 0) {
        err_set(e, ERR_FAIL, "cannot start a timer: %s", uv_strerror(rc));
        goto out;
    }
    pause.timer.data = &pause;
    timer_open = 1;
    for (unsigned n = 1;; n++) {
        double elapsed = since(start);
        double left = o->timeout_s - elapsed;
        long secs = WAIT_ATTEMPT_TIMEOUT_MAX;
        uint64_t delay;

        if (o->timeout_s > 0 && left < secs)
            secs = left < 1 ? 1 : (long)ceil(left);
        free(try_url);
        try_url = attempt_url(norm, secs);
        if (!try_url) {
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
        err_clear(e);
        if (stopped(o))
            goto interrupted;
        if (attempt(loop, try_url, o->interrupted, where, sizeof(where), e) == 0) {
            if (!o->quiet)
                fprintf(stderr, "runner: database %s is ready (attempt %u, %.1f s)\n", where,
                        n, since(start));
            ret = 0;
            goto out;
        }
        if (stopped(o))
            goto interrupted;
        wait_reason(e->msg, reason, sizeof(reason));
        if (e->code == ERR_USAGE || url_malformed(norm) ||
            wait_is_permanent(reason, e->sqlstate))
            goto out;           /* e says why, once; retrying cannot help */
        elapsed = since(start);
        if (!o->quiet)
            fprintf(stderr, "runner: waiting for database %s: %s (attempt %u, %.1f s)\n", where,
                    reason, n, elapsed);
        /* a last attempt in the final few ms would only add noise */
        if (o->timeout_s > 0 && elapsed + WAIT_SLACK_S >= o->timeout_s) {
            err_set(e, ERR_FAIL, "database %s not ready after %g s (%u attempt%s): %s", where,
                    o->timeout_s, n, n == 1 ? "" : "s", reason);
            goto out;
        }
        delay = backoff_next_ms(&bo, n);
        if (o->timeout_s > 0 && (double)delay > (o->timeout_s - elapsed) * 1000.0)
            delay = (uint64_t)((o->timeout_s - elapsed) * 1000.0) + 1;
        pause.fired = 0;
        rc = uv_timer_start(&pause.timer, on_pause, delay, 0);
        if (rc < 0) {
            err_set(e, ERR_FAIL, "cannot start a timer: %s", uv_strerror(rc));
            goto out;
        }
        while (!pause.fired && !stopped(o))
            uv_run(loop, UV_RUN_ONCE);
        uv_timer_stop(&pause.timer);
    }
interrupted:
    err_set(e, ERR_FAIL, "interrupted while waiting for database %s", *where ? where : "");
    err_sqlstate(e, "57014");
out:
    if (timer_open) {
        uv_close((uv_handle_t *)&pause.timer, on_pause_closed);
        while (!pause.closed)
            uv_run(loop, UV_RUN_NOWAIT);
    }
    free(try_url);
    free(norm);
    return ret;
}

int wait_for_db(uv_loop_t *loop, const char *url, double timeout_s, int quiet, struct err *e)
{
    struct wait_opts o = WAIT_OPTS_INIT;

    o.timeout_s = timeout_s;
    o.quiet = quiet;
    return wait_db(loop, url, &o, e);
}
