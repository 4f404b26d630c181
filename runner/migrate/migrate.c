/* migrate.c -- a run's session: the signal watcher, --wait, connecting,
 * the session's settings, the version table's one name, the unlocked
 * pre-check, the migration lock and re-planning, the run marker and the
 * cleanup; see migrate.h.  The steps are steps.c's, --sql offline.c's. */
#include "migrate.h"

#include <libpq-fe.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "clock.h"
#include "migrate_int.h"
#include "mlock.h"
#include "pg.h"
#include "signals.h"
#include "standby.h"
#include "url.h"
#include "validate.h"
#include "versions.h"
#include "versions_load.h"
#include "wait.h"

#define BACKSTOP_GRACE_MS 2000  /* the uv backstop fires this long after statement_timeout */
#define KEEPALIVE_COUNT 3       /* probes before the server gives up on the runner */

/* The command's name, for "cannot upgrade on a standby". */
static const char *kind_name(enum migrate_kind kind)
{
    return kind == MIGRATE_DOWNGRADE ? "downgrade" : kind == MIGRATE_STAMP ? "stamp" : "upgrade";
}

static const char *prefix_of(const struct migrate_opts *o)
{
    return o->prefix ? o->prefix : "";
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

/* The server's TCP keepalive for this session: a runner whose host
 * vanishes without closing the socket (a pulled cable, a frozen VM) is
 * dropped after about `secs`, and its session advisory lock with it,
 * instead of after the kernel's two hours.  Idle half of it, then
 * KEEPALIVE_COUNT probes over the other half; tcp_user_timeout bounds
 * unacknowledged data likewise.  On a Unix socket the server accepts and
 * ignores them.  The text of the KEEPALIVE_STMTS statements, sent in the
 * session's first message (first_read()). */
#define KEEPALIVE_STMTS 4
static void keepalive_sql(double secs, char *sql, size_t size)
{
    long total = (long)ceil(secs);
    long idle = total / 2 > 0 ? total / 2 : 1;
    long interval = (total - idle) / KEEPALIVE_COUNT > 0 ? (total - idle) / KEEPALIVE_COUNT : 1;

    snprintf(sql, size,
             "SET tcp_keepalives_idle = %ld; SET tcp_keepalives_interval = %ld; "
             "SET tcp_keepalives_count = %d; SET tcp_user_timeout = %ld",
             idle, interval, KEEPALIVE_COUNT, total * 1000);
}

/* An empty plan on a database that has revisions (a purging stamp always
 * has work): say "nothing to do" and let the run end with 0. */
static int nothing_left(const struct migrate_opts *o, const struct plan *p, size_t n_heads)
{
    if (p->n_steps != 0 || n_heads == 0 || (o->kind == MIGRATE_STAMP && o->purge))
        return 0;
    if (o->result)
        o->result->nothing_to_do = 1;
    if (o->log && !o->quiet) {
        fprintf(o->log, "%snothing to do\n", prefix_of(o));
        fflush(o->log);
    }
    return 1;
}

/* --wait, connect, the standby and pooler checks; the watcher is already
 * running.  The session's settings go with the first read (first_read()). */
static int session_open(const struct migrate_opts *o, struct pg *db, uv_loop_t *loop,
                        struct sigwatch *sig, struct err *e)
{
    const char *url = o->url;
    char *timed = NULL;
    int rc;

    if (o->wait_s > 0) {
        struct wait_opts wo = WAIT_OPTS_INIT;

        wo.timeout_s = o->wait_s;
        wo.quiet = o->quiet;
        wo.interrupted = &db->interrupted;
        if (wait_db(loop, url, &wo, e) < 0)
            return -1;
    }
    if (o->connect_timeout_s > 0) {
        timed = url_with_timeout(url, o->connect_timeout_s);
        if (!timed)
            return err_set(e, ERR_FAIL, "out of memory");
    }
    rc = pg_open(db, loop, timed ? timed : url, e);
    free(timed);
    if (rc < 0)
        return -1;
    sigwatch_attach(sig);
    /* before anything else is sent: a standby refuses writes only at the
     * first one, after the lock and the checks, mid-way through a plan */
    if (standby_refuse(db, kind_name(o->kind), e) < 0)
        return -1;
    db->show_notices = o->verbose > 0;
    /* a tenant's search_path is a session setting: behind a pooler that
     * hands each transaction to another server session it would not hold,
     * and the revisions would run in whatever schema that session has.
     * Session mode's lock refuses such a pooler anyway; the others ask,
     * before the first read (whose COMMIT would let its reads run in
     * another server session than its search_path). */
    if (o->schema && o->lock_mode != MIGRATE_LOCK_SESSION) {
        char detail[128], q[ERR_QUOTE_SIZE];
        int pooled;

        if (mlock_probe_pooling(db, url, &pooled, detail, sizeof(detail), e) < 0)
            return err_prefix(e, "schema '%s': probing for a pooler",
                              err_quote(q, sizeof(q), o->schema));
        if (pooled)
            return err_set(e, ERR_FAIL,
                           "schema '%s': the connection is pooled per transaction (%s), where "
                           "the tenant's search_path does not hold; connect directly or "
                           "through a session pool",
                           err_quote(q, sizeof(q), o->schema), detail);
    }
    return 0;
}

/* The unlocked pre-check's read, one round trip (versions_load.h): the
 * tenant's search_path (its schema alone, before the version table is
 * looked for through it), the session's settings, the version table's
 * resolution and rows, and the history rows when the checksum check will
 * run. */
static int first_read(struct versions *v, const struct migrate_opts *o, struct pg *db,
                      struct versions_loaded *out, struct err *e)
{
    struct versions_load_opts lo = VERSIONS_LOAD_OPTS_INIT;
    struct versions_load_set sets[3];
    char keepalive[256], stmt_timeout[96], lock_timeout[96];
    size_t n = 0;

    if (o->keepalive_s > 0) {
        keepalive_sql(o->keepalive_s, keepalive, sizeof(keepalive));
        sets[n++] = (struct versions_load_set){ keepalive, KEEPALIVE_STMTS, "--keepalive" };
    }
    /* table mode is the one for a transaction pooler, where a session SET
     * lands on one server session and the run's transactions on others:
     * there every transaction the run opens carries them as SET LOCAL
     * (steps.c's migrate__begin) */
    if (o->statement_timeout_s > 0) {
        migrate__timeout_set(stmt_timeout, sizeof(stmt_timeout), 0, "statement_timeout",
                             o->statement_timeout_s);
        if (o->lock_mode != MIGRATE_LOCK_TABLE)
            sets[n++] = (struct versions_load_set){ stmt_timeout, 1, "--statement-timeout" };
        db->backstop_ms = (uint64_t)migrate__timeout_ms(o->statement_timeout_s) +
                          BACKSTOP_GRACE_MS;
    }
    if (o->lock_timeout_s > 0 && o->lock_mode != MIGRATE_LOCK_TABLE) {
        migrate__timeout_set(lock_timeout, sizeof(lock_timeout), 0, "lock_timeout",
                             o->lock_timeout_s);
        sets[n++] = (struct versions_load_set){ lock_timeout, 1, "--lock-timeout" };
    }
    lo.tenant = o->schema;
    lo.sets = sets;
    lo.n_sets = n;
    lo.heads = !(o->kind == MIGRATE_STAMP && o->purge);
    lo.history = o->kind == MIGRATE_UPGRADE && !o->ignore_checksums;
    return versions_load(v, db, &lo, out, e);
}

/* Take the migration lock, then read the version table again and plan
 * again: another runner may have done some or all of the work.  The lock
 * is named by the resolved version table every statement uses; its modes
 * are mlock.c's. */
static int lock_and_replan(const struct versions *v, const struct migrate_opts *o,
                           struct pg *db, char ***heads, size_t *n, struct plan *p,
                           struct mlock *lock, struct err *e)
{
    struct mlock_opts mo = { o->lock_wait_s, o->log, o->prefix,
                             o->lock_mode == MIGRATE_LOCK_TABLE ? MLOCK_TABLE : MLOCK_SESSION,
                             o->url, o->lock_lease_s };

    if (o->lock_mode == MIGRATE_LOCK_NONE) {
        fprintf(stderr, "%srunner: warning: --lock-mode none: running without the migration "
                "lock; concurrent runners may apply a revision twice\n", prefix_of(o));
        return 0;
    }
    if (mlock_take(lock, db, v, &mo, e) < 0)
        return -1;
    if (o->kind == MIGRATE_STAMP && o->purge)
        return 0;
    versions_ids_free(*heads, *n);
    *heads = NULL;
    *n = 0;
    if (versions_read(v, db, heads, n, e) < 0)
        return -1;
    if (versions_check_known(o->graph, *heads, *n, e) < 0)
        return -1;
    plan_free(p);
    return migrate__plan(o->graph, o, (const char *const *)*heads, *n, o->target, p, e);
}

/* Close the run's marker and release the lock, whatever happened; a
 * marker that cannot be closed is said to be open, not hidden. */
static void session_cleanup(const struct versions *v, const struct migrate_opts *o,
                            struct pg *db, long long run_id, double run_started, int ok,
                            struct mlock *lock)
{
    struct err e = ERR_INIT;
    int connected = PQstatus(pg_conn(db)) == CONNECTION_OK;

    if (run_id > 0 &&
        (!connected || history_run_finish(v, db, run_id, run_started, ok, &e) < 0))
        fprintf(stderr, "%srunner: warning: the run's record in the history table stays "
                "open (%s); the next run will report it as unfinished%s\n", prefix_of(o),
                connected ? e.msg : "connection lost",
                ok ? ", although every revision of this run was committed" : "");
    mlock_release(lock);
}

static int run_online(struct versions *v, const struct migrate_opts *o, struct err *e)
{
    struct sigwatch sig;
    struct mlock lock = MLOCK_INIT;
    struct migrate_opts so = *o;    /* o, with the lock for steps.c's fence */
    uv_loop_t loop;
    struct pg db = PG_INIT;
    char **heads = NULL;
    size_t n = 0;
    struct plan p = { 0 };
    struct versions_loaded loaded = VERSIONS_LOADED_INIT;
    const struct rev *r = NULL;
    struct err ignored = ERR_INIT;
    long long run_id = 0;           /* our marker in the history table, 0: none */
    enum history_table table = HISTORY_LOOK_UP; /* for our marker */
    double run_started = 0;
    int steps_started = 0;          /* SIGWATCH_STEPS reached */
    int in_tx = 0;
    int signum;
    int ret = -1;
    int rc = uv_loop_init(&loop);

    memset(&sig, 0, sizeof(sig));
    if (rc < 0)
        return err_set(e, ERR_FAIL, "cannot start the event loop: %s", uv_strerror(rc));
    /* first: a signal while waiting or connecting is an interruption too */
    if (sigwatch_start(&sig, &loop, &db, o->prefix, e) < 0)
        goto out;
    if (session_open(o, &db, &loop, &sig, e) < 0)
        goto out;
    if (first_read(v, o, &db, &loaded, e) < 0)
        goto out;
    heads = loaded.heads;       /* ours now */
    n = loaded.n_heads;
    loaded.heads = NULL;
    loaded.n_heads = 0;
    if (!(o->kind == MIGRATE_STAMP && o->purge)) {
        if (versions_check_known(o->graph, heads, n, e) < 0)
            goto out;
        if (o->kind == MIGRATE_UPGRADE && !o->ignore_checksums &&
            validate_before_upgrade_rows(o->graph, heads, n,
                                         loaded.history_read ? &loaded.history : NULL, e) < 0)
            goto out;
    }
    if (migrate__plan(o->graph, o, (const char *const *)heads, n, o->target, &p, e) < 0)
        goto out;
    /* checked without the lock: idle replicas never queue behind a long run */
    if (nothing_left(o, &p, n)) {
        ret = 0;
        goto out;
    }
    if (lock_and_replan(v, o, &db, &heads, &n, &p, &lock, e) < 0)
        goto out;
    so.lock = lock.held ? &lock : NULL;
    /* another runner applied everything while this one waited for the lock */
    if (nothing_left(o, &p, n)) {
        ret = 0;
        goto out;
    }
    if (o->single_transaction && o->kind != MIGRATE_STAMP && has_autocommit(&p, &r)) {
        err_set(e, ERR_USAGE,
                "revision %s (%s) runs outside a transaction and cannot be part of "
                "--single-transaction",
                r->id, migrate__rev_file(r));
        goto out;
    }
    /* The run's marker is committed outside the run's transaction, so that
     * the next run can tell that this one died; with --single-transaction
     * the tables are created inside it (and a first run is not marked).
     * Only a lock holder may declare another run's marker dead: without
     * the lock (--lock-mode none) the markers found are only reported. */
    if (!o->single_transaction) {
        int made = versions_ensure(v, &db, e);

        if (made < 0)
            goto out;
        table = made ? HISTORY_NEW : HISTORY_THERE;
    }
    if (p.n_steps > 0 &&
        history_run_start(v, &db, n ? heads[0] : "base", table, lock.held, o->log, &run_id,
                          e) < 0)
        goto out;
    run_started = clock_epoch_s();
    sigwatch_phase(&sig, SIGWATCH_STEPS);
    steps_started = 1;
    if (o->single_transaction) {
        if (migrate__begin(&db, o, e) < 0)
            goto out;
        in_tx = 1;
        if (versions_ensure(v, &db, e) < 0)
            goto out;
    }
    if (o->kind == MIGRATE_STAMP)
        rc = migrate__stamp_steps(&db, v, &p, &so, in_tx, e);
    else
        rc = migrate_steps(&db, v, &p, &so, e);
    if (rc < 0)
        goto out;
    if (in_tx) {
        in_tx = 0;
        if (pg_exec(&db, "COMMIT", e) < 0)
            goto out;
    }
    ret = 0;
out:
    /* from here a signal changes nothing: the cleanup runs, the outcome stays */
    sigwatch_phase(&sig, SIGWATCH_DONE);
    signum = sigwatch_signum(&sig);
    if (signum && ret < 0) {
        if (o->result)
            o->result->signum = signum;
        if (!steps_started) {
            err_set(e, ERR_FAIL, "interrupted by %s before any revision ran: nothing changed",
                    signum == SIGINT ? "SIGINT" : "SIGTERM");
            err_sqlstate(e, "57014");
        }
    }
    db.interrupted = 0;             /* the cleanup below must run */
    if (in_tx)
        pg_exec(&db, "ROLLBACK", &ignored);
    session_cleanup(v, o, &db, run_id, run_started, ret == 0, &lock);
    plan_free(&p);
    versions_ids_free(heads, n);
    versions_loaded_release(&loaded);
    pg_close(&db);
    sigwatch_stop(&sig, &loop);     /* only now has a signal its default effect again */
    uv_loop_close(&loop);
    return ret;
}

int migrate(const struct migrate_opts *o, struct err *e)
{
    struct versions v = VERSIONS_INIT;
    int ret;

    if (!o->graph)
        return err_set(e, ERR_FAIL, "no revision graph");
    /* a tenant's tables are where its search_path resolves them */
    if (versions_init(&v, o->schema ? NULL : o->version_schema, o->version_table,
                      o->history_table, e) < 0)
        return -1;
    if (o->sql)
        sigwatch_release();     /* nothing to clean up offline: a signal just ends it */
    ret = o->sql ? migrate__offline(&v, o, e) : run_online(&v, o, e);
    versions_release(&v);
    return ret;
}
