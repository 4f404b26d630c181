/* steps.c -- the step executor: one transaction per revision (or the
 * caller's outer one), the version and history rows with it, rollback
 * and the failed attempt's history row on failure, lock_timeout retries
 * with backoff; stamps.  Sessions, the lock and signals are migrate.c's
 * and signals.c's. */
#include "migrate_int.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "backoff.h"
#include "clock.h"
#include "loader.h"
#include "mlock.h"
#include "ops.h"
#include "pg.h"
#include "sql_quote.h"
#include "strbuf.h"
#include "versions.h"

#define RETRY_FIRST_MS 250      /* --lock-timeout-retries: first backoff delay */
#define RETRY_MAX_MS 10000      /* its ceiling */
#define RETRY_JITTER 0.25       /* each delay scaled by 1 +- this */

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

void migrate__describe(const struct step *s, int stamp, struct step_words *w)
{
    char rev_refs[sizeof(w->from)];

    w->doc = "";
    if (stamp || !s->rev) {
        size_t len = 0;

        w->name = "stamp_revision";
        w->from[0] = '\0';
        /* alembic: format_as_comma(from_), every head the step replaces */
        for (size_t i = 0; s->vt == VT_MERGE && i < s->n_del && len < sizeof(w->from); i++)
            len += (size_t)snprintf(w->from + len, sizeof(w->from) - len, "%s, ", s->del[i]);
        if (len < sizeof(w->from))
            snprintf(w->from + len, sizeof(w->from) - len, "%s", s->from ? s->from : "");
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

void migrate__log_step(const struct migrate_opts *o, const struct step_words *w, long long ms)
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

const char *migrate__rev_file(const struct rev *r)
{
    return r->path && *r->path ? r->path : "(no file)";
}

/* Append " (<note>)" to a message, staying within its buffer. */
static void err_note(struct err *e, const char *note)
{
    size_t n = strlen(e->msg);

    snprintf(e->msg + n, sizeof(e->msg) - n, " (%s)", note);
}

long migrate__timeout_ms(double secs)
{
    long ms = (long)(secs * 1000.0);

    return ms > 0 ? ms : 1;
}

void migrate__timeout_set(char *buf, size_t size, int local, const char *name, double secs)
{
    snprintf(buf, size, "SET %s%s = '%ldms'", local ? "LOCAL " : "", name,
             migrate__timeout_ms(secs));
}

/* The `SET LOCAL <name> = '<ms>ms'` of a timeout of `secs` (> 0). */
static int lead_timeout(struct pg *db, const char *name, double secs, struct err *e)
{
    char sql[96];

    migrate__timeout_set(sql, sizeof(sql), 1, name, secs);
    return pg_lead(db, sql, e);
}

int migrate__begin(struct pg *db, const struct migrate_opts *o, struct err *e)
{
    if (pg_lead(db, "BEGIN", e) < 0)
        return -1;
    /* table mode is the one for a pooler that hands each transaction to
     * another server session, where session.c's SETs would not hold */
    if (o->lock_mode != MIGRATE_LOCK_TABLE)
        return 0;
    if (o->statement_timeout_s > 0 &&
        lead_timeout(db, "statement_timeout", o->statement_timeout_s, e) < 0)
        return -1;
    if (o->lock_timeout_s > 0 && lead_timeout(db, "lock_timeout", o->lock_timeout_s, e) < 0)
        return -1;
    return 0;
}

/* After a failure: roll back, then record the failed attempt in its own
 * transaction (best effort: the connection may be gone).  A BEGIN still
 * queued was never sent: there is nothing to roll back. */
static void after_failure(struct pg *db, const struct versions *v, int rollback,
                          int record, const struct history_row *h)
{
    struct err ignored = ERR_INIT;

    if (rollback && pg_lead_pending(db)) {
        pg_lead_drop(db);
        rollback = 0;
    }
    if (rollback && pg_exec(db, "ROLLBACK", &ignored) < 0)
        return;
    if (record)
        history_record(v, db, h, &ignored);
}

/* Every revision starts with the search_path the run gives it, as if it
 * ran alone: a tenant's schema alone, else the session's configured one
 * (DEFAULT: postgresql.conf, ALTER ROLE/DATABASE ... SET, the connection's
 * options; runner itself sets it only for a tenant).  So a revision that
 * SETs its own (session-wide, SET without LOCAL, as Flyway also undoes
 * after each migration) does not send the next ones to another schema.
 * In a transaction SET LOCAL rides with the BEGIN (no round trip; it ends
 * with the transaction); outside one, and for a name with ';' (which a
 * lead cannot hold), a statement of its own. */
static int pin_search_path(struct pg *db, const struct migrate_opts *o, int in_a_tx,
                           struct err *e)
{
    struct strbuf sb = STRBUF_INIT;
    int ret;

    strbuf_adds(&sb, in_a_tx ? "SET LOCAL search_path " : "SET search_path ");
    if (o->schema) {
        strbuf_adds(&sb, "= ");
        sql_quote_ident(&sb, o->schema);
    } else {
        strbuf_adds(&sb, "TO DEFAULT");
    }
    if (strbuf_failed(&sb))
        ret = err_set(e, ERR_FAIL, "out of memory");
    else if (in_a_tx && !(o->schema && strchr(o->schema, ';')))
        ret = pg_lead(db, strbuf_str(&sb), e);
    else
        ret = pg_exec(db, strbuf_str(&sb), e);
    strbuf_release(&sb);
    return ret;
}

/* One upgrade/downgrade step.  in_tx: an outer transaction is open
 * (--single-transaction), so neither BEGIN nor COMMIT here. */
static int run_step(struct pg *db, const struct versions *v, const struct step *s,
                    const struct migrate_opts *o, int in_tx, struct err *e)
{
    const struct rev *r = s->rev;
    int autocommit = (r->meta.flags & RUNNER_NO_TRANSACTION) != 0;
    int open_tx = 0;                /* we began a transaction that is still open */
    int one_stmt, committed, commit_failed;
    struct plugin pl = { 0 };
    struct op_state st;
    struct step_words w;
    struct history_row h = { r->id, s->upgrade ? "upgrade" : "downgrade",
                             r->meta.source_sha256, clock_epoch_s(), 0, 0 };
    uint64_t t0 = uv_hrtime();
    int rc;

    migrate__describe(s, 0, &w);
    /* the BEGIN rides with the transaction's first statement (pg_lead) */
    if (!in_tx && !autocommit) {
        if (migrate__begin(db, o, e) < 0)
            goto fail;
        open_tx = 1;
    }
    if (pin_search_path(db, o, in_tx || !autocommit, e) < 0)
        goto fail;
    /* table mode: the lease is still ours, and row-locked until COMMIT */
    if (mlock_fence(o->lock, e) < 0) {
        err_prefix(e, "revision %s (%s)", r->id, migrate__rev_file(r));
        goto fail;
    }
    if (plugin_open_rev(&pl, r, e) < 0)
        goto fail;
    ops_init(&st, db, r->id, migrate__rev_file(r));
    st.observer = o->observer;
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
        err_set(e, ERR_FAIL, "revision %s (%s): %s returned %d", r->id, migrate__rev_file(r), w.name,
                rc);
        goto fail;
    }
    /* its SQL may have released the lock: then it is not recorded */
    if (db->disturbed) {
        db->disturbed = 0;
        if (mlock_verify(o->lock, e) < 0) {
            err_prefix(e, "revision %s (%s)", r->id, migrate__rev_file(r));
            goto fail;
        }
    }
    /* a non-transactional revision: its version update commits right after it */
    if (!in_tx && autocommit) {
        if (migrate__begin(db, o, e) < 0)
            goto fail;
        open_tx = 1;
        if (mlock_fence(o->lock, e) < 0) {
            err_prefix(e, "revision %s (%s)", r->id, migrate__rev_file(r));
            goto fail;
        }
    }
    h.duration_ms = (long long)((uv_hrtime() - t0) / 1000000);
    h.success = 1;
    /* the common steps are one statement (versions.h): COMMIT rides with it */
    one_stmt = s->vt == VT_UPDATE || s->vt == VT_INSERT;
    if (open_tx && one_stmt)
        pg_trail(db, "COMMIT");
    rc = versions_step_done(v, db, s, &h, e);
    committed = open_tx && one_stmt && db->trail_state == PG_TRAIL_DONE;
    commit_failed = open_tx && one_stmt && db->trail_state == PG_TRAIL_FAILED;
    pg_trail(db, NULL);
    if (rc < 0 && !commit_failed) {
        err_prefix(e, "revision %s (%s)", r->id, migrate__rev_file(r));
        goto fail;
    }
    if (open_tx && !committed && !commit_failed && pg_exec(db, "COMMIT", e) < 0)
        commit_failed = 1;
    if (commit_failed) {
        err_prefix(e, "revision %s (%s): commit", r->id, migrate__rev_file(r));
        open_tx = 0;                /* a failed COMMIT ends the transaction */
        goto fail;
    }
    open_tx = 0;
    migrate__log_step(o, &w, (long long)((uv_hrtime() - t0) / 1000000));
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
                           "--single-transaction run is rolled back", r->id, migrate__rev_file(r));
        if (autocommit)
            return err_set(e, ERR_FAIL, "interrupted during revision %s (%s), which runs "
                           "outside a transaction: statements before the interruption stay "
                           "applied, the version table is unchanged", r->id, migrate__rev_file(r));
        return err_set(e, ERR_FAIL, "interrupted: rolled back revision %s (%s)", r->id,
                       migrate__rev_file(r));
    }
    if (autocommit && !in_tx)
        err_note(e, "the revision runs outside a transaction: statements before the failure "
                    "stay applied, the version table is unchanged");
    after_failure(db, v, open_tx, !in_tx, &h);
    return -1;
}

/* The revision the database was left at when step i failed: the one
 * step i - 1 reached, or (the first step, or one transaction for the
 * whole run) the one step 0 started from; "base" for none. */
static void last_committed(const struct plan *p, size_t i, int single_tx, char *buf,
                           size_t size)
{
    struct step_words w;
    const char *id;

    if (i > 0 && !single_tx) {
        migrate__describe(&p->steps[i - 1], 0, &w);
        id = w.to;
    } else {
        migrate__describe(&p->steps[0], 0, &w);
        id = w.from;
    }
    snprintf(buf, size, "%s", *id ? id : "base");
}

/* A lost connection (the server stopped, a failover) ends the run: say
 * where the database stands, so that an operator knows what a rerun on
 * the new primary will continue from.  A COMMIT whose answer was lost
 * may have happened; the version table (read again by the rerun) says. */
static void note_connection_lost(const struct plan *p, size_t i, int single_tx,
                                 struct err *e)
{
    char last[sizeof(((struct step_words *)0)->to)];
    char note[sizeof(last) + RUNNER_ID_SIZE + 160];
    int autocommit = !single_tx && (p->steps[i].rev->meta.flags & RUNNER_NO_TRANSACTION);

    last_committed(p, i, single_tx, last, sizeof(last));
    if (autocommit)
        snprintf(note, sizeof(note), "connection lost: the last committed revision is %s; "
                 "rerun to continue", last);
    else
        snprintf(note, sizeof(note), "connection lost: revision %s was not committed (unless "
                 "the connection broke during its commit), the last committed revision is "
                 "%s; rerun to continue from there", p->steps[i].rev->id, last);
    err_note(e, note);
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
    migrate__describe(s, 0, &w);
    fprintf(o->log, "\r\033[K%s[%zu/%zu] running %s %s -> %s, %zu left",
            o->prefix ? o->prefix : "", i + 1, n, w.name, w.from, w.to, n - i - 1);
    fflush(o->log);
}

int migrate_steps(struct pg *db, const struct versions *v, const struct plan *p,
                  const struct migrate_opts *o, struct err *e)
{
    struct backoff bo;

    backoff_init(&bo, RETRY_FIRST_MS, RETRY_MAX_MS, RETRY_JITTER, 0, 0);
    /* the session lock is held: its probe found no transaction pooler, so
     * the version statement may stay prepared on this session */
    db->reuse_plans = o->lock_mode == MIGRATE_LOCK_SESSION && o->lock != NULL;

    for (size_t i = 0; i < p->n_steps; i++) {
        const struct step *s = &p->steps[i];

        if (pg_poll_interrupt(db))
            return err_set(e, ERR_FAIL, "interrupted: stopped before revision %s, nothing "
                           "to roll back", s->rev->id);
        show_progress(o, s, i, p->n_steps);
        for (int attempt = 0;; attempt++) {
            uint64_t ms;

            if (run_step(db, v, s, o, o->single_transaction, e) == 0)
                break;
            if (PQstatus(pg_conn(db)) == CONNECTION_BAD) {
                note_connection_lost(p, i, o->single_transaction, e);
                return -1;
            }
            if (!retryable(db, s, o, attempt, e))
                return -1;
            ms = backoff_next_ms(&bo, (unsigned)attempt + 1);
            if (o->log) {
                fprintf(o->log, "%srevision %s: lock not available (SQLSTATE 55P03), rolled "
                        "back; retry %d of %d in %llu ms\n", o->prefix ? o->prefix : "",
                        s->rev->id, attempt + 1, o->lock_timeout_retries, (unsigned long long)ms);
                fflush(o->log);
            }
            if (mlock_sleep(db, ms) < 0)
                return err_set(e, ERR_FAIL, "interrupted: revision %s rolled back, no retry",
                               s->rev->id);
            err_clear(e);
        }
        if (o->result)
            o->result->applied++;
    }
    return 0;
}

int migrate__stamp_steps(struct pg *db, const struct versions *v, const struct plan *p,
                       const struct migrate_opts *o, int in_tx, struct err *e)
{
    struct err ignored = ERR_INIT;

    if (!in_tx && migrate__begin(db, o, e) < 0)
        return -1;
    if (mlock_fence(o->lock, e) < 0)
        goto fail;
    if (o->purge && versions_purge(v, db, e) < 0)
        goto fail;
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct step *s = &p->steps[i];
        struct step_words w;
        struct history_row h = { s->to ? s->to : s->from, "stamp", NULL, clock_epoch_s(), 0, 1 };

        migrate__describe(s, 1, &w);
        if (versions_apply(v, db, s, e) < 0)
            goto fail;
        if (h.revision && history_record(v, db, &h, e) < 0)
            goto fail;
        migrate__log_step(o, &w, -1);
    }
    if (!in_tx && pg_exec(db, "COMMIT", e) < 0)
        return -1;
    return 0;
fail:
    if (!in_tx && pg_lead_pending(db))
        pg_lead_drop(db);           /* the BEGIN never went out */
    else if (!in_tx)
        pg_exec(db, "ROLLBACK", &ignored);
    return -1;
}

int migrate__plan(const struct graph *g, const struct migrate_opts *o,
                  const char *const *heads, size_t n, const char *target, struct plan *p,
                  struct err *e)
{
    switch (o->kind) {
    case MIGRATE_UPGRADE:
        return graph_plan_upgrade(g, heads, n, target, p, e);
    case MIGRATE_DOWNGRADE:
        return graph_plan_downgrade(g, heads, n, target, p, e);
    case MIGRATE_STAMP:
        if (o->n_targets > 1)
            return graph_plan_stamp_multi(g, heads, n, o->targets, o->n_targets, p, e);
        return graph_plan_stamp(g, heads, n, target, p, e);
    }
    return err_set(e, ERR_FAIL, "unknown migration kind");
}
