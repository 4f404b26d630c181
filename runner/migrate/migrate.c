/* migrate.c -- the executor; see migrate.h. */
#include "migrate.h"

#include <libpq-fe.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "cli.h"
#include "clock.h"
#include "loader.h"
#include "mlock.h"
#include "ops.h"
#include "pg.h"
#include "url.h"
#include "wait.h"
#include "validate.h"
#include "versions.h"

#define RETRY_FIRST_MS 250      /* --lock-timeout-retries: first backoff delay */
#define RETRY_MAX_MS 10000      /* its ceiling */
#define BACKSTOP_GRACE_MS 2000  /* the uv backstop fires this long after statement_timeout */

/* "a, b" from a metadata id list (alembic's format_as_comma). */
static void join_refs(char *buf, size_t size, const char (*ids)[RUNNER_ID_SIZE])
{
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < RUNNER_MAX_REFS && ids[i][0]; i++) {
        int w = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", ids[i]);

        if (w < 0 || (size_t)w >= size - len)
            return;
        len += (size_t)w;
    }
}

/* The words of alembic's MigrationStep.__str__: name, from, to, doc. */
struct step_words {
    const char *name;           /* "upgrade", "downgrade", "stamp_revision" */
    char from[RUNNER_MAX_REFS * (RUNNER_ID_SIZE + 2)];
    char to[RUNNER_MAX_REFS * (RUNNER_ID_SIZE + 2)];
    const char *doc;            /* borrowed from the graph; "" for stamps */
};

static void step_describe(const struct step *s, int stamp, struct step_words *w)
{
    char rev_refs[sizeof(w->from)];

    w->doc = "";
    if (stamp || !s->rev) {
        w->name = "stamp_revision";
        snprintf(w->from, sizeof(w->from), "%s", s->from ? s->from : "");
        snprintf(w->to, sizeof(w->to), "%s", s->to ? s->to : "");
        return;
    }
    join_refs(rev_refs, sizeof(rev_refs), s->rev->meta.down_revision);
    w->doc = s->rev->meta.message;
    if (s->upgrade) {
        w->name = "upgrade";
        snprintf(w->from, sizeof(w->from), "%s", rev_refs);
        snprintf(w->to, sizeof(w->to), "%s", s->rev->id);
    } else {
        w->name = "downgrade";
        snprintf(w->from, sizeof(w->from), "%s", s->rev->id);
        snprintf(w->to, sizeof(w->to), "%s", rev_refs);
    }
}

/* "Running upgrade ae10 -> 27c6, Add users table (12 ms)" */
static void log_step(const struct migrate_opts *o, const struct step_words *w, long long ms)
{
    if (!o->log)
        return;
    if (o->progress)
        fputs("\r\033[K", o->log);      /* erase the status line */
    fprintf(o->log, "%sRunning %s %s -> %s%s%s", o->prefix ? o->prefix : "", w->name, w->from,
            w->to, *w->doc ? ", " : "", w->doc);
    if (ms >= 0)
        fprintf(o->log, " (%lld ms)", ms);
    fputc('\n', o->log);
    fflush(o->log);
}

static const char *rev_file(const struct rev *r)
{
    return r->path && *r->path ? r->path : "(no file)";
}

/* Append " (<note>)" to a message, staying within its buffer. */
static void err_note(struct err *e, const char *note)
{
    size_t n = strlen(e->msg);

    snprintf(e->msg + n, sizeof(e->msg) - n, " (%s)", note);
}

/* After a failure: roll back, then record the failed attempt in its own
 * transaction (best effort: the connection may be gone). */
static void after_failure(struct pg *db, const struct versions *v, int rollback,
                          int record, const struct history_row *h)
{
    struct err ignored = ERR_INIT;

    if (rollback && pg_exec(db, "ROLLBACK", &ignored) < 0)
        return;
    if (record)
        versions_record(v, db, h, &ignored);
}

/* One upgrade/downgrade step.  in_tx: an outer transaction is open
 * (--single-transaction), so neither BEGIN nor COMMIT here. */
static int run_step(struct pg *db, const struct versions *v, const struct step *s,
                    const struct migrate_opts *o, int in_tx, struct err *e)
{
    const struct rev *r = s->rev;
    int autocommit = (r->meta.flags & RUNNER_NO_TRANSACTION) != 0;
    int open_tx = 0;                /* we began a transaction that is still open */
    struct plugin pl = { 0 };
    struct op_state st;
    struct step_words w;
    struct history_row h = { r->id, s->upgrade ? "upgrade" : "downgrade",
                             r->meta.source_sha256, clock_epoch_s(), 0, 0 };
    uint64_t t0 = uv_hrtime();
    int rc;

    step_describe(s, 0, &w);
    if (!in_tx && !autocommit) {
        if (pg_exec(db, "BEGIN", e) < 0)
            goto fail;
        open_tx = 1;
    }
    if (plugin_open_rev(&pl, r, e) < 0)
        goto fail;
    ops_init(&st, db, r->id, rev_file(r));
    rc = s->upgrade ? pl.upgrade(&st.head) : pl.downgrade(&st.head);
    plugin_close(&pl);
    /* a signal during plugin code is acted on here: no commit */
    if (pg_poll_interrupt(db))
        goto fail;
    if (st.err.code != ERR_OK) {
        *e = st.err;                /* already "revision <id> (<file>): op_x: ..." */
        goto fail;
    }
    if (rc != 0) {
        err_set(e, ERR_FAIL, "revision %s (%s): %s returned %d", r->id, rev_file(r), w.name,
                rc);
        goto fail;
    }
    /* a non-transactional revision: its version update commits right after it */
    if (!in_tx && autocommit) {
        if (pg_exec(db, "BEGIN", e) < 0)
            goto fail;
        open_tx = 1;
    }
    h.duration_ms = (long long)((uv_hrtime() - t0) / 1000000);
    h.success = 1;
    if (versions_step_done(v, db, s, &h, e) < 0) {
        err_prefix(e, "revision %s (%s)", r->id, rev_file(r));
        goto fail;
    }
    if (open_tx) {
        if (pg_exec(db, "COMMIT", e) < 0) {
            err_prefix(e, "revision %s (%s): commit", r->id, rev_file(r));
            open_tx = 0;            /* a failed COMMIT ends the transaction */
            goto fail;
        }
        open_tx = 0;
    }
    log_step(o, &w, (long long)((uv_hrtime() - t0) / 1000000));
    return 0;
fail:
    h.duration_ms = (long long)((uv_hrtime() - t0) / 1000000);
    h.success = 0;
    if (pg_poll_interrupt(db)) {
        int sig = db->interrupted;

        /* the rollback itself must run: pg_exec refuses while interrupted */
        db->interrupted = 0;
        after_failure(db, v, open_tx, !in_tx, &h);
        db->interrupted = sig;
        if (in_tx)
            return err_set(e, ERR_FAIL, "interrupted during revision %s (%s): the whole "
                           "--single-transaction run is rolled back", r->id, rev_file(r));
        if (autocommit)
            return err_set(e, ERR_FAIL, "interrupted during revision %s (%s), which runs "
                           "outside a transaction: statements before the interruption stay "
                           "applied, the version table is unchanged", r->id, rev_file(r));
        return err_set(e, ERR_FAIL, "interrupted: rolled back revision %s (%s)", r->id,
                       rev_file(r));
    }
    if (autocommit && !in_tx)
        err_note(e, "the revision runs outside a transaction: statements before the failure "
                    "stay applied, the version table is unchanged");
    if (PQstatus(pg_conn(db)) == CONNECTION_BAD)
        err_note(e, "connection lost: the revision was not committed; rerun to continue");
    after_failure(db, v, open_tx, !in_tx, &h);
    return -1;
}

/* xorshift64*: uniform in [0, 1); the state is the caller's */
static double uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* A step that failed on lock_timeout (55P03) in its own transaction is
 * retried; a non-transactional one may have applied statements. */
static int retryable(struct pg *db, const struct step *s, const struct migrate_opts *o,
                     int attempt, const struct err *e)
{
    return strcmp(e->sqlstate, "55P03") == 0 && attempt < o->lock_timeout_retries &&
           !o->single_transaction && !db->interrupted &&
           !(s->rev->meta.flags & RUNNER_NO_TRANSACTION);
}

static void show_progress(const struct migrate_opts *o, const struct step *s, size_t i,
                          size_t n)
{
    struct step_words w;

    if (!o->progress || !o->log)
        return;
    step_describe(s, 0, &w);
    fprintf(o->log, "\r\033[K%s[%zu/%zu] running %s %s -> %s, %zu left",
            o->prefix ? o->prefix : "", i + 1, n, w.name, w.from, w.to, n - i - 1);
    fflush(o->log);
}

int migrate_steps(struct pg *db, const struct versions *v, const struct plan *p,
                  const struct migrate_opts *o, struct err *e)
{
    uint64_t seed = uv_hrtime() ^ ((uint64_t)getpid() << 20) ^ (uint64_t)(uintptr_t)db;

    for (size_t i = 0; i < p->n_steps; i++) {
        const struct step *s = &p->steps[i];

        if (pg_poll_interrupt(db))
            return err_set(e, ERR_FAIL, "interrupted: stopped before revision %s, nothing "
                           "to roll back", s->rev->id);
        show_progress(o, s, i, p->n_steps);
        for (int attempt = 0;; attempt++) {
            double ms = RETRY_FIRST_MS;

            if (run_step(db, v, s, o, o->single_transaction, e) == 0)
                break;
            if (!retryable(db, s, o, attempt, e))
                return -1;
            for (int k = 0; k < attempt && ms < RETRY_MAX_MS; k++)
                ms *= 2;
            if (ms > RETRY_MAX_MS)
                ms = RETRY_MAX_MS;
            ms *= 1.0 + 0.25 * (2.0 * uniform(&seed) - 1.0);
            if (o->log) {
                fprintf(o->log, "%srevision %s: lock not available (SQLSTATE 55P03), rolled "
                        "back; retry %d of %d in %.0f ms\n", o->prefix ? o->prefix : "",
                        s->rev->id, attempt + 1, o->lock_timeout_retries, ms);
                fflush(o->log);
            }
            if (mlock_sleep(db, (uint64_t)ms) < 0)
                return err_set(e, ERR_FAIL, "interrupted: revision %s rolled back, no retry",
                               s->rev->id);
            err_clear(e);
        }
        if (o->result)
            o->result->applied++;
    }
    return 0;
}

/* Stamp: version-table changes only, one transaction (or the outer one). */
static int stamp_steps(struct pg *db, const struct versions *v, const struct plan *p,
                       const struct migrate_opts *o, int in_tx, struct err *e)
{
    struct err ignored = ERR_INIT;

    if (!in_tx && pg_exec(db, "BEGIN", e) < 0)
        return -1;
    if (o->purge && versions_purge(v, db, e) < 0)
        goto fail;
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct step *s = &p->steps[i];
        struct step_words w;
        struct history_row h = { s->to ? s->to : s->from, "stamp", NULL, clock_epoch_s(), 0, 1 };

        step_describe(s, 1, &w);
        if (versions_apply(v, db, s, e) < 0)
            goto fail;
        if (h.revision && versions_record(v, db, &h, e) < 0)
            goto fail;
        log_step(o, &w, -1);
    }
    if (!in_tx && pg_exec(db, "COMMIT", e) < 0)
        return -1;
    return 0;
fail:
    if (!in_tx)
        pg_exec(db, "ROLLBACK", &ignored);
    return -1;
}

/* ---- offline ---- */

int migrate_render(const struct versions *v, const struct plan *p, size_t n_heads,
                   const struct migrate_opts *o, struct err *e)
{
    FILE *out = o->out ? o->out : stdout;
    int stamp = o->kind == MIGRATE_STAMP;
    long heads = (long)n_heads;

    fputs("BEGIN;\n\n", out);
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct step *s = &p->steps[i];
        int autocommit = s->rev && !stamp && (s->rev->meta.flags & RUNNER_NO_TRANSACTION);
        struct step_words w;

        step_describe(s, stamp, &w);
        /* alembic: for offline mode, include a CREATE TABLE from the base */
        if (heads == 0)
            versions_render_create(v, out);
        log_step(o, &w, -1);
        fprintf(out, "-- Running %s %s -> %s\n\n", w.name, w.from, w.to);
        if (!stamp) {
            struct plugin pl = { 0 };
            struct op_state st;
            int rc;

            if (autocommit)
                fputs("COMMIT;\n\n", out);
            if (plugin_open_rev(&pl, s->rev, e) < 0)
                return -1;
            ops_sql_init(&st, out, s->rev->id, rev_file(s->rev));
            rc = s->upgrade ? pl.upgrade(&st.head) : pl.downgrade(&st.head);
            plugin_close(&pl);
            if (st.err.code != ERR_OK) {
                *e = st.err;
                return -1;
            }
            if (rc != 0)
                return err_set(e, ERR_FAIL, "revision %s (%s): %s returned %d", s->rev->id,
                               rev_file(s->rev), w.name, rc);
            if (autocommit)
                fputs("BEGIN;\n\n", out);
        }
        versions_render_step(v, out, s);
        switch (s->vt) {
        case VT_INSERT:
            heads++;
            break;
        case VT_DELETE:
            heads--;
            break;
        case VT_MERGE:
            heads -= (long)s->n_del;
            break;
        case VT_UNMERGE:
            heads += (long)s->n_ins;
            break;
        case VT_UPDATE:
            break;
        }
    }
    /* alembic: a run that ends at base drops the version table */
    if (heads == 0)
        versions_render_drop(v, out);
    fputs("COMMIT;\n\n", out);
    if (fflush(out) != 0)
        return err_set(e, ERR_FAIL, "cannot write the sql output");
    return 0;
}

/* Start heads of an offline range "a:b" (or none): ids owned by the graph. */
static int offline_start(const struct graph *g, const char *start, const char ***ids,
                         size_t *n, struct err *e)
{
    const struct rev **revs = NULL;
    size_t n_revs = 0;

    *ids = NULL;
    *n = 0;
    if (!start || !*start || strcmp(start, "base") == 0)
        return 0;
    if (graph_resolve(g, start, NULL, 0, &revs, &n_revs, e) < 0)
        return -1;
    if (n_revs > 0) {
        *ids = calloc(n_revs, sizeof(**ids));
        if (!*ids) {
            free(revs);
            return err_set(e, ERR_FAIL, "out of memory");
        }
        for (size_t i = 0; i < n_revs; i++)
            (*ids)[i] = revs[i]->id;
    }
    *n = n_revs;
    free(revs);
    return 0;
}

static int plan_for(const struct graph *g, const struct migrate_opts *o,
                    const char *const *heads, size_t n, const char *target, struct plan *p,
                    struct err *e)
{
    switch (o->kind) {
    case MIGRATE_UPGRADE:
        return graph_plan_upgrade(g, heads, n, target, p, e);
    case MIGRATE_DOWNGRADE:
        return graph_plan_downgrade(g, heads, n, target, p, e);
    case MIGRATE_STAMP:
        return graph_plan_stamp(g, heads, n, target, p, e);
    }
    return err_set(e, ERR_FAIL, "unknown migration kind");
}

static int run_offline(struct ctx *ctx, const struct versions *v, const struct migrate_opts *o,
                       struct err *e)
{
    const char *colon = strchr(o->target, ':');
    char *start = NULL;
    const char *target = o->target;
    const char **heads = NULL;
    size_t n = 0;
    struct plan p = { 0 };
    int ret = -1;

    if (o->purge)
        return err_set(e, ERR_USAGE, "Can't use --purge with --sql mode");
    if (colon) {
        start = strndup(o->target, (size_t)(colon - o->target));
        if (!start)
            return err_set(e, ERR_FAIL, "out of memory");
        target = colon + 1;
    } else if (o->kind == MIGRATE_DOWNGRADE) {
        return err_set(e, ERR_USAGE, "downgrade with --sql requires <fromrev>:<torev>");
    }
    if (offline_start(ctx->graph, start, &heads, &n, e) < 0)
        goto out;
    if (plan_for(ctx->graph, o, heads, n, target, &p, e) < 0)
        goto out;
    ret = migrate_render(v, &p, n, o, e);
out:
    plan_free(&p);
    free(heads);
    free(start);
    return ret;
}

static int has_autocommit(const struct plan *p, const struct rev **which)
{
    for (size_t i = 0; i < p->n_steps; i++) {
        if (p->steps[i].rev && (p->steps[i].rev->meta.flags & RUNNER_NO_TRANSACTION)) {
            *which = p->steps[i].rev;
            return 1;
        }
    }
    return 0;
}

/* ---- runtime: signals, session settings, the migration lock ---- */

/* SIGINT/SIGTERM: a watcher thread with its own uv loop, so a signal is
 * seen at once even while plugin code runs on the main thread.  The first
 * one sends a cancel request (PQcancel on a PGcancel made beforehand:
 * thread-safe) and wakes the run's loop (uv_async), whose callback sets
 * db->interrupted on the main thread; pg.c then refuses new statements
 * and migrate.c rolls back.  The second exits the process at once. */
struct msig {
    uv_loop_t loop;             /* the watcher thread's own */
    uv_signal_t sigint;         /* on `loop` */
    uv_signal_t sigterm;        /* on `loop` */
    uv_async_t quit;            /* main -> watcher: close and return */
    uv_async_t wake;            /* watcher -> the run's loop: a signal arrived */
    uv_thread_t thread;
    PGcancel *cancel;           /* owned; made on the main thread, used by the watcher */
    atomic_int signum;          /* the first signal, else 0 */
    struct pg *db;              /* borrowed; touched on the main thread only */
    const char *prefix;
    int started;                /* the watcher thread runs */
    int wake_open;              /* `wake` initialised and not yet closed */
};

static void on_signal(uv_signal_t *h, int signum)
{
    struct msig *s = h->data;
    const char *name = signum == SIGINT ? "SIGINT" : "SIGTERM";
    char buf[256];
    int none = 0;

    if (!atomic_compare_exchange_strong(&s->signum, &none, signum)) {
        fprintf(stderr, "%srunner: second %s: exiting at once\n", s->prefix, name);
        _exit(128 + signum);
    }
    fprintf(stderr, "%srunner: %s: cancelling and rolling back the current revision "
            "(send it again to exit at once)\n", s->prefix, name);
    /* wake first: the cancelled statement's error must find the flag */
    uv_async_send(&s->wake);
    /* no statement in flight: the server ignores it */
    if (s->cancel)
        PQcancel(s->cancel, buf, sizeof(buf));
}

static void on_wake(uv_async_t *h)
{
    struct msig *s = h->data;

    s->db->interrupted = atomic_load(&s->signum);
}

static void on_quit(uv_async_t *h)
{
    struct msig *s = h->data;

    uv_close((uv_handle_t *)&s->sigint, NULL);
    uv_close((uv_handle_t *)&s->sigterm, NULL);
    uv_close((uv_handle_t *)&s->quit, NULL);
}

static void watcher_main(void *arg)
{
    struct msig *s = arg;

    uv_run(&s->loop, UV_RUN_DEFAULT);
}

static int msig_start(struct msig *s, uv_loop_t *loop, struct pg *db, const char *prefix,
                      struct err *e)
{
    int rc;

    s->db = db;
    s->prefix = prefix ? prefix : "";
    atomic_init(&s->signum, 0);
    s->cancel = PQgetCancel(pg_conn(db));
    if ((rc = uv_async_init(loop, &s->wake, on_wake)) < 0)
        return err_set(e, ERR_FAIL, "cannot watch signals: %s", uv_strerror(rc));
    s->wake.data = s;
    s->wake_open = 1;
    if ((rc = uv_loop_init(&s->loop)) < 0)
        return err_set(e, ERR_FAIL, "cannot watch signals: %s", uv_strerror(rc));
    uv_signal_init(&s->loop, &s->sigint);
    uv_signal_init(&s->loop, &s->sigterm);
    uv_async_init(&s->loop, &s->quit, on_quit);
    s->sigint.data = s->sigterm.data = s->quit.data = s;
    if ((rc = uv_signal_start(&s->sigint, on_signal, SIGINT)) < 0 ||
        (rc = uv_signal_start(&s->sigterm, on_signal, SIGTERM)) < 0 ||
        (rc = uv_thread_create(&s->thread, watcher_main, s)) < 0) {
        on_quit(&s->quit);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        uv_loop_close(&s->loop);
        return err_set(e, ERR_FAIL, "cannot watch signals: %s", uv_strerror(rc));
    }
    s->started = 1;
    return 0;
}

static void msig_closed(uv_handle_t *h)
{
    struct msig *s = h->data;

    s->wake_open = 0;
}

static void msig_stop(struct msig *s, uv_loop_t *loop)
{
    if (s->started) {
        s->started = 0;
        uv_async_send(&s->quit);
        uv_thread_join(&s->thread);
        uv_loop_close(&s->loop);
    }
    if (s->wake_open) {
        uv_close((uv_handle_t *)&s->wake, msig_closed);
        while (s->wake_open)
            uv_run(loop, UV_RUN_NOWAIT);
    }
    if (s->cancel)
        PQfreeCancel(s->cancel);
    s->cancel = NULL;
}

/* url with connect_timeout=N appended (caller frees), NULL on OOM. */
static char *url_with_timeout(const char *url, double secs)
{
    long n = (long)secs + (secs > (double)(long)secs ? 1 : 0);
    size_t len = url ? strlen(url) : 0;
    char *out = malloc(len + 40);

    if (!out)
        return NULL;
    if (!url || !*url)
        snprintf(out, len + 40, "connect_timeout=%ld", n);
    else if (url_is_uri(url))
        snprintf(out, len + 40, "%s%cconnect_timeout=%ld", url, strchr(url, '?') ? '&' : '?', n);
    else
        snprintf(out, len + 40, "%s connect_timeout=%ld", url, n);
    return out;
}

/* --wait, connect, session settings. */
static int session_open(struct ctx *ctx, const struct migrate_opts *o, struct pg *db,
                        uv_loop_t *loop, struct err *e)
{
    const char *url = o->url ? o->url : ctx->cfg.url;
    char *timed = NULL;
    char sql[96];
    int rc;

    if (o->wait_s > 0 && wait_for_db(loop, url, o->wait_s, ctx->quiet, e) < 0)
        return -1;
    if (o->connect_timeout_s > 0) {
        timed = url_with_timeout(url, o->connect_timeout_s);
        if (!timed)
            return err_set(e, ERR_FAIL, "out of memory");
    }
    rc = pg_open(db, loop, timed ? timed : url, e);
    free(timed);
    if (rc < 0)
        return -1;
    db->show_notices = ctx->verbose > 0;
    if (o->statement_timeout_s > 0) {
        long ms = (long)(o->statement_timeout_s * 1000.0);

        snprintf(sql, sizeof(sql), "SET statement_timeout = '%ldms'", ms > 0 ? ms : 1);
        if (pg_exec(db, sql, e) < 0)
            return err_prefix(e, "--statement-timeout");
        db->backstop_ms = (uint64_t)(ms > 0 ? ms : 1) + BACKSTOP_GRACE_MS;
    }
    if (o->lock_timeout_s > 0) {
        long ms = (long)(o->lock_timeout_s * 1000.0);

        snprintf(sql, sizeof(sql), "SET lock_timeout = '%ldms'", ms > 0 ? ms : 1);
        if (pg_exec(db, sql, e) < 0)
            return err_prefix(e, "--lock-timeout");
    }
    return 0;
}

/* Take the migration lock, then read the version table again and plan
 * again: another runner may have done some or all of the work. */
static int lock_and_replan(struct ctx *ctx, const struct versions *v,
                           const struct migrate_opts *o, struct pg *db, char ***heads,
                           size_t *n, struct plan *p, int64_t *key, int *locked, struct err *e)
{
    struct mlock_opts mo = { o->lock_wait_s, o->log, o->prefix };
    char name[512];

    if (o->lock_mode == MIGRATE_LOCK_NONE) {
        fprintf(stderr, "%srunner: warning: --lock-mode none: running without the migration "
                "lock; concurrent runners may apply a revision twice\n",
                o->prefix ? o->prefix : "");
        return 0;
    }
    if (mlock_name(db, ctx->cfg.version_schema, ctx->cfg.version_table, name, sizeof(name),
                   e) < 0)
        return -1;
    *key = mlock_key(name);
    if (mlock_take(db, *key, name, &mo, e) < 0)
        return -1;
    *locked = 1;
    if (o->kind == MIGRATE_STAMP && o->purge)
        return 0;
    versions_ids_free(*heads, *n);
    *heads = NULL;
    *n = 0;
    if (versions_read(v, db, heads, n, e) < 0)
        return -1;
    if (versions_check_known(ctx->graph, *heads, *n, e) < 0)
        return -1;
    plan_free(p);
    return plan_for(ctx->graph, o, (const char *const *)*heads, *n, o->target, p, e);
}

static int run_online(struct ctx *ctx, const struct versions *v, const struct migrate_opts *o,
                      struct err *e)
{
    struct msig sig;
    int64_t key = 0;
    int locked = 0;
    uv_loop_t loop;
    struct pg db = PG_INIT;
    char **heads = NULL;
    size_t n = 0;
    struct plan p = { 0 };
    const struct rev *r = NULL;
    struct err ignored = ERR_INIT;
    long long run_id = 0;           /* our marker in the history table, 0: none */
    double run_started = 0;
    int in_tx = 0;
    int ret = -1;
    int rc = uv_loop_init(&loop);

    memset(&sig, 0, sizeof(sig));
    if (rc < 0)
        return err_set(e, ERR_FAIL, "cannot start the event loop: %s", uv_strerror(rc));
    if (session_open(ctx, o, &db, &loop, e) < 0)
        goto out;
    if (msig_start(&sig, &loop, &db, o->prefix, e) < 0)
        goto out;
    if (!(o->kind == MIGRATE_STAMP && o->purge)) {
        if (versions_read(v, &db, &heads, &n, e) < 0)
            goto out;
        if (versions_check_known(ctx->graph, heads, n, e) < 0)
            goto out;
        if (o->kind == MIGRATE_UPGRADE && !o->ignore_checksums &&
            validate_before_upgrade(&db, v, ctx->graph, heads, n, e) < 0)
            goto out;
    }
    if (plan_for(ctx->graph, o, (const char *const *)heads, n, o->target, &p, e) < 0)
        goto out;
    /* checked without the lock: idle replicas never queue behind a long run */
    if (p.n_steps == 0 && n > 0 && !(o->kind == MIGRATE_STAMP && o->purge)) {
        if (o->result)
            o->result->nothing_to_do = 1;
        if (o->log && !ctx->quiet) {
            fprintf(o->log, "%snothing to do\n", o->prefix ? o->prefix : "");
            fflush(o->log);
        }
        ret = 0;
        goto out;
    }
    if (lock_and_replan(ctx, v, o, &db, &heads, &n, &p, &key, &locked, e) < 0)
        goto out;
    if (o->single_transaction && o->kind != MIGRATE_STAMP && has_autocommit(&p, &r)) {
        err_set(e, ERR_USAGE,
                "revision %s (%s) runs outside a transaction and cannot be part of "
                "--single-transaction",
                r->id, rev_file(r));
        goto out;
    }
    /* The run's marker is committed outside the run's transaction, so that
     * the next run can tell that this one died; with --single-transaction
     * the tables are created inside it (and a first run is not marked). */
    if (!o->single_transaction && versions_ensure(v, &db, e) < 0)
        goto out;
    if (p.n_steps > 0 &&
        versions_run_start(v, &db, n ? heads[0] : "base", o->log, &run_id, e) < 0)
        goto out;
    run_started = clock_epoch_s();
    if (o->single_transaction) {
        if (pg_exec(&db, "BEGIN", e) < 0)
            goto out;
        in_tx = 1;
        if (versions_ensure(v, &db, e) < 0)
            goto out;
    }
    if (o->kind == MIGRATE_STAMP)
        rc = stamp_steps(&db, v, &p, o, in_tx, e);
    else
        rc = migrate_steps(&db, v, &p, o, e);
    if (rc < 0)
        goto out;
    if (in_tx) {
        in_tx = 0;
        if (pg_exec(&db, "COMMIT", e) < 0)
            goto out;
    }
    ret = 0;
out:
    /* a signal after the last commit changes nothing: the run succeeded */
    if (atomic_load(&sig.signum) && ret < 0 && o->result)
        o->result->signum = atomic_load(&sig.signum);
    msig_stop(&sig, &loop);         /* from here a signal has its default effect */
    db.interrupted = 0;             /* the cleanup below must run */
    if (in_tx)
        pg_exec(&db, "ROLLBACK", &ignored);
    if (run_id > 0 && PQstatus(pg_conn(&db)) == CONNECTION_OK)
        versions_run_finish(v, &db, run_id, run_started, ret == 0, &ignored);
    if (locked && PQstatus(pg_conn(&db)) == CONNECTION_OK)
        mlock_release(&db, key, &ignored);
    plan_free(&p);
    versions_ids_free(heads, n);
    pg_close(&db);
    uv_loop_close(&loop);
    return ret;
}

int migrate(struct ctx *ctx, const struct migrate_opts *o, struct err *e)
{
    struct versions v = VERSIONS_INIT;
    int ret;

    if (!ctx->graph)
        return err_set(e, ERR_FAIL, "no revision graph");
    if (versions_init(&v, &ctx->cfg, e) < 0)
        return -1;
    ret = o->sql ? run_offline(ctx, &v, o, e) : run_online(ctx, &v, o, e);
    versions_release(&v);
    return ret;
}
