/* fanout.c -- many databases, one process; see fanout.h. */
#include "fanout.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "json.h"
#include "migrate.h"
#include "url.h"

/* One database: written by the worker that runs it, read by the main
 * thread after pthread_join. */
struct target {
    const char *url;            /* borrowed from the caller's list */
    const char *schema;         /* borrowed likewise; NULL: no tenant */
    char prefix[48];            /* "[3/20] " */
    char masked[256];           /* the url, password masked */
    char shown[384];            /* masked, and " schema=NAME" for a tenant */
    struct migrate_result res;
    struct err err;
    int started;
    int failed;
    double secs;
};

/* Shared by the workers: the next target to start, under `mu`. */
struct pool {
    pthread_mutex_t mu;
    size_t next;
    size_t n;
    struct target *targets;
    int stop;                   /* a run was interrupted by a signal: start no more */
    const struct migrate_opts *base; /* read only; its graph too */
};

static void *worker(void *arg)
{
    struct pool *pl = arg;

    for (;;) {
        struct target *t;
        struct migrate_opts o;
        uint64_t t0;

        pthread_mutex_lock(&pl->mu);
        t = pl->next < pl->n && !pl->stop ? &pl->targets[pl->next++] : NULL;
        if (t)
            t->started = 1;
        pthread_mutex_unlock(&pl->mu);
        if (!t)
            return NULL;
        o = *pl->base;
        o.url = t->url;
        o.schema = t->schema;
        o.prefix = t->prefix;
        o.progress = 0;             /* interleaved status lines: plain lines only */
        o.result = &t->res;
        if (o.log) {
            fprintf(o.log, "%sstart %s\n", t->prefix, t->shown);
            fflush(o.log);
        }
        t0 = uv_hrtime();
        t->failed = migrate(&o, &t->err) < 0;
        t->secs = (double)(uv_hrtime() - t0) / 1e9;
        if (t->res.signum) {
            pthread_mutex_lock(&pl->mu);
            pl->stop = 1;
            pthread_mutex_unlock(&pl->mu);
        }
        if (o.log) {
            if (t->failed)
                fprintf(o.log, "%sfailed after %.1f s: %s\n", t->prefix, t->secs, t->err.msg);
            else
                fprintf(o.log, "%sok: %zu revisions in %.1f s\n", t->prefix, t->res.applied,
                        t->secs);
            fflush(o.log);
        }
    }
}

static const char *status_of(const struct target *t)
{
    return !t->started ? "not started"
           : t->failed ? (t->res.signum ? "interrupted" : "failed")
           : t->res.nothing_to_do ? "up to date" : "ok";
}

static void summary(FILE *out, const struct target *t, size_t n)
{
    int w = 8;

    for (size_t i = 0; i < n; i++)
        if ((int)strlen(t[i].shown) > w)
            w = (int)strlen(t[i].shown);
    if (w > 60)
        w = 60;
    fprintf(out, "%-8s %-*s  %-11s %7s %9s  %s\n", "#", w, "database", "status", "applied",
            "duration", "error");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%-8.*s %-*s  %-11s %7zu %8.1fs  %s\n",
                (int)(strlen(t[i].prefix) ? strlen(t[i].prefix) - 1 : 0), t[i].prefix, w,
                t[i].shown, status_of(&t[i]), t[i].res.applied, t[i].secs,
                t[i].failed ? t[i].err.msg : "");
    fflush(out);
}

/* The summary as one JSON array, one object per line. */
static void summary_json(FILE *out, const struct target *t, size_t n)
{
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n {\"target\":" : "{\"target\":", out);
        json_str(out, t[i].masked);
        fputs(",\"schema\":", out);
        json_str(out, t[i].schema);
        fputs(",\"status\":", out);
        json_str(out, status_of(&t[i]));
        fprintf(out, ",\"applied\":%zu,\"duration_s\":%.3f,\"error\":", t[i].res.applied,
                t[i].secs);
        json_str(out, t[i].failed ? t[i].err.msg : NULL);
        fputc('}', out);
    }
    fputs("]\n", out);
    fflush(out);
}

int fanout_run(const struct migrate_opts *base, const struct fanout_target *targets, size_t n,
               int jobs, int json, FILE *out, int *signum, struct err *e)
{
    struct pool pl = { .n = n, .base = base };
    pthread_t *threads = NULL;
    size_t n_threads = 0, n_failed = 0, len = 0;
    int ret = -1;

    *signum = 0;
    if (n == 0)
        return err_set(e, ERR_USAGE, "no target databases");
    if (jobs < 1)
        jobs = 1;
    pl.targets = calloc(n, sizeof(*pl.targets));
    threads = calloc((size_t)jobs < n ? (size_t)jobs : n, sizeof(*threads));
    if (!pl.targets || !threads) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct target *t = &pl.targets[i];

        t->url = targets[i].url;
        t->schema = targets[i].schema;
        snprintf(t->prefix, sizeof(t->prefix), "[%zu/%zu] ", i + 1, n);
        url_mask(t->url, t->masked, sizeof(t->masked));
        snprintf(t->shown, sizeof(t->shown), "%s%s%s", t->masked, t->schema ? " schema=" : "",
                 t->schema ? t->schema : "");
    }
    if (pthread_mutex_init(&pl.mu, NULL) != 0) {
        err_set(e, ERR_FAIL, "cannot create a mutex");
        goto out;
    }
    for (size_t i = 0; i < (size_t)jobs && i < n; i++) {
        if (pthread_create(&threads[i], NULL, worker, &pl) != 0)
            break;
        n_threads++;
    }
    /* without any thread, run them here */
    if (n_threads == 0)
        worker(&pl);
    for (size_t i = 0; i < n_threads; i++)
        pthread_join(threads[i], NULL);
    pthread_mutex_destroy(&pl.mu);
    for (size_t i = 0; i < n; i++) {
        if (!pl.targets[i].started) {
            pl.targets[i].failed = 1;
            err_set(&pl.targets[i].err, ERR_FAIL, "not started: interrupted");
        }
    }
    if (json)
        summary_json(out, pl.targets, n);
    else
        summary(out, pl.targets, n);
    for (size_t i = 0; i < n; i++) {
        if (!pl.targets[i].failed)
            continue;
        if (pl.targets[i].res.signum && !*signum)
            *signum = pl.targets[i].res.signum;
        n_failed++;
    }
    if (n_failed == 0) {
        ret = 0;
        goto out;
    }
    err_set(e, ERR_FAIL, "%zu of %zu databases failed:", n_failed, n);
    len = strlen(e->msg);
    for (size_t i = 0; i < n && len + 8 < sizeof(e->msg); i++) {
        if (!pl.targets[i].failed)
            continue;
        snprintf(e->msg + len, sizeof(e->msg) - len, " %s%s (%.200s);", pl.targets[i].prefix,
                 pl.targets[i].shown, pl.targets[i].err.msg);
        len = strlen(e->msg);
    }
    if (len > 0 && e->msg[len - 1] == ';')
        e->msg[len - 1] = '\0';
out:
    free(threads);
    free(pl.targets);
    return ret;
}
