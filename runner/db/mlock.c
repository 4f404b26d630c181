/* mlock.c -- the migration lock; see mlock.h. */
#include "mlock.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "backoff.h"
#include "hash.h"
#include "pg.h"

int64_t mlock_key(const char *name)
{
    return (int64_t)hash_fnv1a64(name);
}

static void lock_backoff(struct backoff *b, uint64_t seed)
{
    backoff_init(b, MLOCK_FIRST_MS, MLOCK_MAX_MS, MLOCK_JITTER, 0, seed);
}

uint64_t mlock_backoff_ms(unsigned attempt, double u)
{
    struct backoff b;

    lock_backoff(&b, 1);
    return backoff_delay_ms(&b, attempt, u);
}

static void on_wake(uv_timer_t *t)
{
    int *done = t->data;

    *done = 1;
}

static void on_close(uv_handle_t *h)
{
    int *closed = h->data;

    *closed = 1;
}

int mlock_sleep(struct pg *db, uint64_t ms)
{
    uv_timer_t t;
    int done = 0;

    if (uv_timer_init(db->loop, &t) < 0)
        return -1;
    t.data = &done;
    uv_timer_start(&t, on_wake, ms, 0);
    while (!done && !db->interrupted)
        uv_run(db->loop, UV_RUN_ONCE);
    uv_timer_stop(&t);
    done = 0;
    uv_close((uv_handle_t *)&t, on_close);
    while (!done)
        uv_run(db->loop, UV_RUN_NOWAIT);
    return db->interrupted ? -1 : 0;
}

static void split_key(int64_t key, char *hi, char *lo, size_t size)
{
    uint64_t k = (uint64_t)key;

    snprintf(hi, size, "%" PRIu32, (uint32_t)(k >> 32));
    snprintf(lo, size, "%" PRIu32, (uint32_t)(k & 0xffffffffu));
}

/* "pid 4242 (application_name 'runner', connected 12 s ago)", or a note
 * when the holder is gone or unknown. */
static void holder_describe(struct pg *db, int64_t key, char *buf, size_t size)
{
    static const char sql[] =
        "SELECT l.pid, coalesce(a.application_name, ''),"
        " coalesce(extract(epoch FROM now() - a.backend_start)::bigint, -1)"
        " FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::oid"
        " AND l.objid = $2::oid AND l.objsubid = 1"
        " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())";
    char hi[16], lo[16];
    const char *params[2] = { hi, lo };
    struct pg_rows rows = PG_ROWS_INIT;
    struct err e = ERR_INIT;

    split_key(key, hi, lo, sizeof(hi));
    if (pg_query(db, sql, 2, params, &rows, NULL, &e) < 0 || rows.n_rows == 0) {
        snprintf(buf, size, "%s", rows.n_rows == 0 && e.code == ERR_OK
                                     ? "a session that just released it"
                                     : "an unknown session");
    } else {
        const char *secs = pg_rows_get(&rows, 0, 2);

        snprintf(buf, size, "pid %s (application_name '%s', connected %s s ago)",
                 pg_rows_get(&rows, 0, 0), pg_rows_get(&rows, 0, 1),
                 secs && strcmp(secs, "-1") != 0 ? secs : "?");
    }
    pg_rows_release(&rows);
}

int mlock_take(struct pg *db, int64_t key, const char *name, const struct mlock_opts *o,
               struct err *e)
{
    char keybuf[32];
    const char *params[1] = { keybuf };
    double wait_s = o->wait_s > 0 ? o->wait_s : MLOCK_WAIT_DEFAULT;
    uint64_t t0 = uv_hrtime();
    struct backoff bo;
    double next_report = MLOCK_REPORT_S;
    const char *prefix = o->prefix ? o->prefix : "";
    char holder[256];

    lock_backoff(&bo, 0);
    snprintf(keybuf, sizeof(keybuf), "%" PRId64, key);
    for (unsigned attempt = 1;; attempt++) {
        struct pg_rows rows = PG_ROWS_INIT;
        const char *got;
        double waited;
        uint64_t delay;

        if (pg_query(db, "SELECT pg_try_advisory_lock($1::bigint)", 1, params, &rows, NULL,
                     e) < 0)
            return err_prefix(e, "migration lock on %s", name);
        got = pg_rows_get(&rows, 0, 0);
        if (got && strcmp(got, "t") == 0) {
            pg_rows_release(&rows);
            if (attempt > 1 && o->log) {
                fprintf(o->log, "%smigration lock on %s taken after %.1f s\n", prefix, name,
                        (double)(uv_hrtime() - t0) / 1e9);
                fflush(o->log);
            }
            return 0;
        }
        pg_rows_release(&rows);
        waited = (double)(uv_hrtime() - t0) / 1e9;
        if (waited >= wait_s) {
            holder_describe(db, key, holder, sizeof(holder));
            return err_set(e, ERR_FAIL,
                           "migration lock on %s still held by %s after %.0f s (--lock-wait)",
                           name, holder, waited);
        }
        if (attempt == 1 || waited >= next_report) {
            holder_describe(db, key, holder, sizeof(holder));
            if (o->log) {
                fprintf(o->log, "%swaiting for the migration lock on %s: held by %s, "
                        "waited %.0f s of %.0f\n", prefix, name, holder, waited, wait_s);
                fflush(o->log);
            }
            if (attempt > 1)
                next_report += MLOCK_REPORT_S;
        }
        delay = backoff_next_ms(&bo, attempt);
        if (waited + (double)delay / 1000.0 > wait_s)
            delay = (uint64_t)((wait_s - waited) * 1000.0) + 1;
        if (mlock_sleep(db, delay) < 0) {
            err_set(e, ERR_FAIL, "interrupted while waiting for the migration lock on %s", name);
            err_sqlstate(e, "57014");
            return -1;
        }
    }
}

int mlock_release(struct pg *db, int64_t key, struct err *e)
{
    char keybuf[32];
    const char *params[1] = { keybuf };

    snprintf(keybuf, sizeof(keybuf), "%" PRId64, key);
    return pg_exec_params(db, "SELECT pg_advisory_unlock($1::bigint)", 1, params, e);
}
