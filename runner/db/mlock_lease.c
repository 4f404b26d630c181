/* mlock_lease.c -- the migration lock's table mode: a lease row in
 * <schema>.runner_lock beside the version table, renewed by a heartbeat
 * thread, taken over once expired; see mlock.h.  Every statement is one
 * autocommit statement (or part of the step's own transaction, for the
 * fence), so it works through PgBouncer's transaction pooling.  Times are
 * the server's clock_timestamp(): the clocks of the runners' hosts never
 * meet. */
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "mlock_int.h"
#include "pg.h"
#include "sql_quote.h"
#include "strbuf.h"
#include "versions.h"

#define SQL_SIZE 1024
#define EXPIRES "clock_timestamp() + $3::bigint * interval '1 millisecond'"

/* The heartbeat: a thread with its own loop and connection, renewing the
 * lease every beat_ms until stopped.  Owned by struct mlock (beat). */
struct mlock_beat {
    uv_loop_t loop;             /* the thread's; made and closed on the main thread */
    struct pg db;               /* its own connection; the run's is busy with steps */
    uv_async_t wake;            /* main -> thread: stop now */
    uv_timer_t tick;            /* the next renewal */
    uv_thread_t thread;
    atomic_int stop;            /* set by the main thread */
    atomic_int lost;            /* a renewal found the row gone or another's */
    int ticked;                 /* thread only */
    uint64_t beat_ms;           /* a third of the lease */
    char url[4096];             /* the run's URL, "" for the PG* environment */
    const struct mlock *l;      /* name, token, lease: fixed while the thread runs */
    int loop_open, wake_open, tick_open, thread_started;
};

static void lease_params(const struct mlock *l, char *ms, size_t size, const char *params[3])
{
    snprintf(ms, size, "%lld", l->lease_ms);
    params[0] = l->name;
    params[1] = l->token;
    params[2] = ms;
}

/* The heartbeat: push expires forward, if the row is still ours.  -1
 * with *e on an error, -2 with *e when the row is not ours. */
static int renew(struct pg *db, const struct mlock *l, struct err *e)
{
    char sql[SQL_SIZE], ms[32];
    const char *params[3];
    struct pg_rows rows = PG_ROWS_INIT;
    long n = 0;

    lease_params(l, ms, sizeof(ms), params);
    snprintf(sql, sizeof(sql),
             "UPDATE %s SET heartbeat = clock_timestamp(), expires = " EXPIRES
             " WHERE name = $1 AND token = $2",
             l->table);
    if (pg_query(db, sql, 3, params, &rows, &n, e) < 0)
        return -1;
    pg_rows_release(&rows);
    if (n != 1) {
        err_set(e, ERR_FAIL, "lost the migration lock on %s: its lease in %s was taken over "
                "by another runner", l->name, l->table_label);
        return -2;
    }
    return 0;
}

static void on_tick(uv_timer_t *t)
{
    struct mlock_beat *b = t->data;

    b->ticked = 1;
}

static void on_wake(uv_async_t *a)
{
    (void)a;                    /* only wakes uv_run: `stop` says why */
}

/* The connection is made at the first tick, not before: a short run
 * (most are) never pays for it.  A failed renewal is tried again at the
 * next tick, on a new connection when this one broke; only a row that is
 * no longer ours is final.  Missed renewals are not reported here: if the
 * lease is taken over meanwhile, the next step's fence says so. */
static void beat_main(void *arg)
{
    struct mlock_beat *b = arg;

    while (!atomic_load(&b->stop)) {
        struct err e = ERR_INIT;

        b->ticked = 0;
        uv_timer_start(&b->tick, on_tick, b->beat_ms, 0);
        while (!b->ticked && !atomic_load(&b->stop))
            uv_run(&b->loop, UV_RUN_ONCE);
        uv_timer_stop(&b->tick);
        if (atomic_load(&b->stop))
            break;
        if (PQstatus(pg_conn(&b->db)) != CONNECTION_OK) {
            pg_close(&b->db);
            if (pg_open(&b->db, &b->loop, b->url, &e) < 0)
                continue;
        }
        if (renew(&b->db, b->l, &e) == -2)
            atomic_store(&b->lost, 1);
    }
}

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

static void beat_free(struct mlock_beat *b)
{
    if (!b)
        return;
    if (b->thread_started) {
        atomic_store(&b->stop, 1);
        uv_async_send(&b->wake);
        uv_thread_join(&b->thread);
    }
    pg_close(&b->db);
    if (b->tick_open)
        uv_close((uv_handle_t *)&b->tick, on_closed);
    if (b->wake_open)
        uv_close((uv_handle_t *)&b->wake, on_closed);
    if (b->loop_open) {
        uv_run(&b->loop, UV_RUN_DEFAULT);   /* the close callbacks */
        uv_loop_close(&b->loop);
    }
    free(b);
}

static int beat_start(struct mlock *l, const char *url, struct err *e)
{
    struct mlock_beat *b = calloc(1, sizeof(*b));
    struct pg init = PG_INIT;
    int rc;

    if (!b)
        return err_set(e, ERR_FAIL, "out of memory");
    l->beat = b;
    b->db = init;
    b->l = l;
    b->beat_ms = (uint64_t)(l->lease_ms / 3 > 0 ? l->lease_ms / 3 : 1);
    if (url && strlen(url) >= sizeof(b->url))
        return err_set(e, ERR_FAIL, "migration lock on %s: the URL is too long", l->name);
    snprintf(b->url, sizeof(b->url), "%s", url ? url : "");
    if ((rc = uv_loop_init(&b->loop)) < 0)
        return err_set(e, ERR_FAIL, "cannot start the lease heartbeat: %s", uv_strerror(rc));
    b->loop_open = 1;
    if ((rc = uv_async_init(&b->loop, &b->wake, on_wake)) < 0)
        return err_set(e, ERR_FAIL, "cannot start the lease heartbeat: %s", uv_strerror(rc));
    b->wake_open = 1;
    if ((rc = uv_timer_init(&b->loop, &b->tick)) < 0)
        return err_set(e, ERR_FAIL, "cannot start the lease heartbeat: %s", uv_strerror(rc));
    b->tick_open = 1;
    b->tick.data = b;
    if ((rc = uv_thread_create(&b->thread, beat_main, b)) < 0)
        return err_set(e, ERR_FAIL, "cannot start the lease heartbeat: %s", uv_strerror(rc));
    b->thread_started = 1;
    return 0;
}

/* Create the lease table when missing.  Runners starting together race
 * to create it: the losers' CREATE fails with 23505 or 42P07, and the
 * table is there. */
static int ensure_table(struct mlock *l, struct err *e)
{
    char sql[SQL_SIZE];
    int exists = versions_table_exists(l->db, l->table, e);

    if (exists != 0)
        return exists < 0 ? -1 : 0;
    snprintf(sql, sizeof(sql),
             "CREATE TABLE IF NOT EXISTS %s (name text PRIMARY KEY, token text NOT NULL, "
             "owner text NOT NULL, acquired timestamptz NOT NULL, "
             "heartbeat timestamptz NOT NULL, expires timestamptz NOT NULL)",
             l->table);
    if (pg_exec(l->db, sql, e) < 0) {
        if (strcmp(e->sqlstate, "23505") == 0 || strcmp(e->sqlstate, "42P07") == 0) {
            err_clear(e);
            return 0;
        }
        return err_prefix(e, "cannot create the lock table %s", l->table_label);
    }
    return 0;
}

static int lease_prepare(struct mlock *l, const struct versions *v, const struct mlock_opts *o,
                         struct err *e)
{
    struct strbuf sb = STRBUF_INIT;
    unsigned char rnd[16];
    char host[128];
    double lease_s = o->lease_s > 0 ? o->lease_s : MLOCK_LEASE_DEFAULT;
    int rc;

    if (!v->schema)
        return err_set(e, ERR_FAIL, "migration lock: the version table's schema is not resolved");
    sql_quote_ident(&sb, v->schema);
    strbuf_adds(&sb, "." MLOCK_LEASE_TABLE);
    if (strbuf_failed(&sb) || sb.len >= sizeof(l->table)) {
        strbuf_release(&sb);
        return err_set(e, ERR_FAIL, "out of memory");
    }
    snprintf(l->table, sizeof(l->table), "%s", strbuf_str(&sb));
    strbuf_release(&sb);
    snprintf(l->table_label, sizeof(l->table_label), "%s." MLOCK_LEASE_TABLE, v->schema);
    l->lease_ms = lease_s * 1000.0 > (double)LLONG_MAX / 2 ? LLONG_MAX / 2
                                                          : (long long)(lease_s * 1000.0);
    if (l->lease_ms < 1)
        l->lease_ms = 1;
    /* the token tells this run's row from any other, also from a run of
     * a process that got the same pid on the same host later */
    if ((rc = uv_random(NULL, NULL, rnd, sizeof(rnd), 0, NULL)) < 0)
        return err_set(e, ERR_FAIL, "cannot make the lease's token: %s", uv_strerror(rc));
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(l->token + 2 * i, sizeof(l->token) - 2 * i, "%02x", rnd[i]);
    if (gethostname(host, sizeof(host)) < 0)
        snprintf(host, sizeof(host), "?");
    host[sizeof(host) - 1] = '\0';
    snprintf(l->owner, sizeof(l->owner), "pid %ld on host '%s'", (long)getpid(), host);
    return ensure_table(l, e);
}

/* A free name: insert the row (only when this statement's snapshot sees
 * none: an INSERT that meets a row a holder's open step has locked would
 * wait for that step).  Else an expired lease whose row nobody
 * has locked (a step of a live holder keeps it locked: SKIP LOCKED, so
 * the attempt never waits) is taken over in one statement. */
static int lease_try(struct mlock *l, int *got, char *note, size_t note_size, struct err *e)
{
    char sql[SQL_SIZE * 2], ms[32];
    const char *params[4];
    struct pg_rows rows = PG_ROWS_INIT;
    long n = 0;

    lease_params(l, ms, sizeof(ms), params);
    params[3] = l->owner;
    snprintf(sql, sizeof(sql),
             "INSERT INTO %s (name, token, owner, acquired, heartbeat, expires) "
             "SELECT $1, $2, $4, clock_timestamp(), clock_timestamp(), " EXPIRES
             " WHERE NOT EXISTS (SELECT 1 FROM %s WHERE name = $1) "
             "ON CONFLICT (name) DO NOTHING",
             l->table, l->table);
    if (pg_query(l->db, sql, 4, params, &rows, &n, e) < 0)
        return -1;
    pg_rows_release(&rows);
    if (n == 1) {
        *got = 1;
        return 0;
    }
    snprintf(sql, sizeof(sql),
             "WITH gone AS (SELECT owner, floor(extract(epoch FROM clock_timestamp() - expires))"
             "::bigint AS ago FROM %s WHERE name = $1 AND expires < clock_timestamp() "
             "FOR UPDATE SKIP LOCKED) "
             "UPDATE %s t SET token = $2, owner = $4, acquired = clock_timestamp(), "
             "heartbeat = clock_timestamp(), expires = " EXPIRES
             " FROM gone WHERE t.name = $1 RETURNING gone.owner, gone.ago",
             l->table, l->table);
    if (pg_query(l->db, sql, 4, params, &rows, &n, e) < 0)
        return -1;
    if (rows.n_rows == 1) {
        *got = 1;
        snprintf(note, note_size,
                 "taking over the migration lock on %s from %s: its lease in %s expired %s s "
                 "ago",
                 l->name, pg_rows_get(&rows, 0, 0) ? pg_rows_get(&rows, 0, 0) : "?",
                 l->table_label, pg_rows_get(&rows, 0, 1) ? pg_rows_get(&rows, 0, 1) : "?");
    }
    pg_rows_release(&rows);
    return 0;
}

/* "pid 4242 on host 'h' (lease in public.runner_lock taken 12 s ago,
 * renewed 1 s ago, expires in 9 s)". */
static void lease_describe(struct mlock *l, char *buf, size_t size)
{
    char sql[SQL_SIZE];
    const char *params[1] = { l->name };
    struct pg_rows rows = PG_ROWS_INIT;
    struct err e = ERR_INIT;

    snprintf(sql, sizeof(sql),
             "SELECT owner, floor(extract(epoch FROM clock_timestamp() - acquired))::bigint, "
             "floor(extract(epoch FROM clock_timestamp() - heartbeat))::bigint, "
             "ceil(extract(epoch FROM expires - clock_timestamp()))::bigint "
             "FROM %s WHERE name = $1",
             l->table);
    if (pg_query(l->db, sql, 1, params, &rows, NULL, &e) < 0 || rows.n_rows == 0) {
        snprintf(buf, size, "%s", rows.n_rows == 0 && e.code == ERR_OK
                                     ? "a runner that just released it"
                                     : "an unknown runner");
    } else {
        const char *left = pg_rows_get(&rows, 0, 3);
        long secs = left ? atol(left) : 0;

        snprintf(buf, size, "%s (lease in %s taken %s s ago, renewed %s s ago, %s %ld s%s)",
                 pg_rows_get(&rows, 0, 0), l->table_label, pg_rows_get(&rows, 0, 1),
                 pg_rows_get(&rows, 0, 2), secs > 0 ? "expires in" : "expired",
                 secs > 0 ? secs : -secs, secs > 0 ? "" : " ago");
    }
    pg_rows_release(&rows);
}

static int lease_hold(struct mlock *l, const struct mlock_opts *o, struct err *e)
{
    return beat_start(l, o->url, e);
}

/* FOR KEY SHARE: the row stays this run's until the step's transaction
 * ends (a takeover's FOR UPDATE SKIP LOCKED passes it by), while the
 * heartbeat's UPDATE of the other columns is not blocked by it. */
static int lease_fence(struct mlock *l, struct err *e)
{
    char sql[SQL_SIZE];
    const char *params[2] = { l->name, l->token };
    struct pg_rows rows = PG_ROWS_INIT;
    size_t n;

    if (l->beat && atomic_load(&l->beat->lost))
        return err_set(e, ERR_FAIL, "lost the migration lock on %s: its lease in %s was taken "
                       "over by another runner", l->name, l->table_label);
    snprintf(sql, sizeof(sql), "SELECT 1 FROM %s WHERE name = $1 AND token = $2 FOR KEY SHARE",
             l->table);
    if (pg_query(l->db, sql, 2, params, &rows, NULL, e) < 0)
        return -1;
    n = rows.n_rows;
    pg_rows_release(&rows);
    if (n != 1)
        return err_set(e, ERR_FAIL, "lost the migration lock on %s: its lease in %s was taken "
                       "over by another runner", l->name, l->table_label);
    return 0;
}

static void lease_release(struct mlock *l)
{
    char sql[SQL_SIZE];
    const char *params[2] = { l->name, l->token };
    struct err ignored = ERR_INIT;

    beat_free(l->beat);         /* first: it must not renew what is released */
    l->beat = NULL;
    if (PQstatus(pg_conn(l->db)) != CONNECTION_OK)
        return;
    snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE name = $1 AND token = $2", l->table);
    pg_exec_params(l->db, sql, 2, params, &ignored);
}

static void lease_clear(struct mlock *l)
{
    beat_free(l->beat);
    l->beat = NULL;
}

const struct mlock_backend mlock__lease = {
    .mode = "table",
    .prepare = lease_prepare,
    .try_take = lease_try,
    .describe = lease_describe,
    .hold = lease_hold,
    .fence = lease_fence,
    .release = lease_release,
    .clear = lease_clear,
};
