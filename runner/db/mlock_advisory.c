/* mlock_advisory.c -- the migration lock's session mode: a PostgreSQL
 * session advisory lock, and the probe that refuses it behind a pooler
 * that hands each transaction to another server session; see mlock.h. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mlock_int.h"
#include "pg.h"

/* The lock's row in pg_locks (alias l), its key split as $1 (high 32
 * bits) and $2 (low) by split_key(): a bigint key shows as classid,
 * objid, objsubid 1. */
#define LOCK_ROW                                                                       \
    "l.locktype = 'advisory' AND l.granted AND l.classid = $1::oid AND l.objid = $2::oid" \
    " AND l.objsubid = 1"

static void split_key(int64_t key, char *hi, char *lo, size_t size)
{
    uint64_t k = (uint64_t)key;

    snprintf(hi, size, "%" PRIu32, (uint32_t)(k >> 32));
    snprintf(lo, size, "%" PRIu32, (uint32_t)(k & 0xffffffffu));
}

/* pg_backend_pid() of the session that runs this statement, into buf. */
static int backend_pid(struct pg *db, char *buf, size_t size, struct err *e)
{
    struct pg_rows rows = PG_ROWS_INIT;
    const char *pid;

    if (pg_query(db, "SELECT pg_catalog.pg_backend_pid()", 0, NULL, &rows, NULL, e) < 0)
        return -1;
    pid = pg_rows_get(&rows, 0, 0);
    snprintf(buf, size, "%s", pid ? pid : "?");
    pg_rows_release(&rows);
    return 0;
}

/* A session lock holds only while every statement of the run reaches the
 * same server session.  Behind a pooler in transaction mode (PgBouncer's
 * pool_mode = transaction) each transaction may get another one, and the
 * lock stays behind on whichever ran pg_try_advisory_lock().  Probe it:
 * the run's backend pid (a transaction of its own), then a second client
 * connection opens a transaction and keeps it (pinning one server
 * session), then the run's pid again.  Without such a pooler the two
 * pids of the run are equal and the second client's differs.  With one,
 * the second client is usually handed the run's former server session
 * (PgBouncer reuses the last released one first, server_round_robin = 0),
 * and if not, the run's next transaction has to go elsewhere.  Neither can
 * happen on a session of its own, so the probe never refuses a direct
 * connection or a session-pooled one.
 *
 * First, the cheap answer: when the server process that answers is the
 * one whose pid the connection's start-up reported (BackendKeyData,
 * PQbackendPID), nothing sits in between; a pooler hands its clients a
 * cancel key of its own.  Then no second connection (a server process of
 * its own, per database of a fan-out) is needed. */
int mlock_probe_pooling(struct pg *db, const char *url, int *pooled, char *detail,
                        size_t size, struct err *e)
{
    struct pg other = PG_INIT;
    struct err ignored = ERR_INIT;
    char before[32], after[32], second[32];
    int ret = -1;

    *pooled = 0;
    if (detail && size)
        detail[0] = '\0';
    if (backend_pid(db, before, sizeof(before), e) < 0)
        return -1;
    if (strtol(before, NULL, 10) == (long)PQbackendPID(pg_conn(db)))
        return 0;
    if (pg_open(&other, db->loop, url, e) < 0)
        goto out;
    if (pg_exec(&other, "BEGIN", e) < 0 || backend_pid(&other, second, sizeof(second), e) < 0 ||
        backend_pid(db, after, sizeof(after), e) < 0)
        goto out;
    pg_exec(&other, "ROLLBACK", &ignored);
    if (strcmp(before, after) != 0 || strcmp(before, second) == 0) {
        *pooled = 1;
        if (detail && size)
            snprintf(detail, size, "server process %s, then %s; another client got %s", before,
                     after, second);
    }
    ret = 0;
out:
    pg_close(&other);
    return ret;
}

static int refuse_transaction_pooling(struct mlock *l, const char *url, struct err *e)
{
    char detail[128];
    int pooled;

    if (mlock_probe_pooling(l->db, url, &pooled, detail, sizeof(detail), e) < 0)
        return err_prefix(e, "migration lock on %s: probing for a pooler", l->name);
    if (pooled)
        return err_set(e, ERR_FAIL,
                       "migration lock on %s: the connection is pooled per transaction (%s), "
                       "as with PgBouncer's pool_mode = transaction, where a session advisory "
                       "lock holds nothing; use --lock-mode table",
                       l->name, detail);
    return 0;
}

static int advisory_prepare(struct mlock *l, const struct versions *v,
                            const struct mlock_opts *o, struct err *e)
{
    (void)v;
    l->key = mlock_key(l->name);
    return refuse_transaction_pooling(l, o->url, e);
}

static int advisory_try(struct mlock *l, int *got, char *note, size_t note_size,
                        struct err *e)
{
    char keybuf[32];
    const char *params[1] = { keybuf };
    struct pg_rows rows = PG_ROWS_INIT;
    const char *t;

    (void)note;
    (void)note_size;
    snprintf(keybuf, sizeof(keybuf), "%" PRId64, l->key);
    if (pg_query(l->db, "SELECT pg_try_advisory_lock($1::bigint)", 1, params, &rows, NULL,
                 e) < 0)
        return -1;
    t = pg_rows_get(&rows, 0, 0);
    *got = t && strcmp(t, "t") == 0;
    pg_rows_release(&rows);
    return 0;
}

/* "pid 4242 (application_name 'runner', connected 12 s ago)", or a note
 * when the holder is gone or unknown. */
static void advisory_describe(struct mlock *l, char *buf, size_t size)
{
    static const char sql[] =
        "SELECT l.pid, coalesce(a.application_name, ''),"
        " coalesce(extract(epoch FROM now() - a.backend_start)::bigint, -1)"
        " FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE " LOCK_ROW
        " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())";
    char hi[16], lo[16];
    const char *params[2] = { hi, lo };
    struct pg_rows rows = PG_ROWS_INIT;
    struct err e = ERR_INIT;

    split_key(l->key, hi, lo, sizeof(hi));
    if (pg_query(l->db, sql, 2, params, &rows, NULL, &e) < 0 || rows.n_rows == 0) {
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

static int advisory_verify(struct mlock *l, int *held, struct err *e)
{
    static const char sql[] =
        "SELECT count(*) FROM pg_catalog.pg_locks l WHERE " LOCK_ROW
        " AND l.pid = pg_catalog.pg_backend_pid()";
    char hi[16], lo[16];
    const char *params[2] = { hi, lo };
    struct pg_rows rows = PG_ROWS_INIT;
    const char *n;

    split_key(l->key, hi, lo, sizeof(hi));
    if (pg_query(l->db, sql, 2, params, &rows, NULL, e) < 0)
        return -1;
    n = pg_rows_get(&rows, 0, 0);
    *held = n && strcmp(n, "0") != 0;
    pg_rows_release(&rows);
    return 0;
}

static void advisory_release(struct mlock *l)
{
    char keybuf[32];
    const char *params[1] = { keybuf };
    struct err ignored = ERR_INIT;

    if (PQstatus(pg_conn(l->db)) != CONNECTION_OK)
        return;
    snprintf(keybuf, sizeof(keybuf), "%" PRId64, l->key);
    pg_exec_params(l->db, "SELECT pg_advisory_unlock($1::bigint)", 1, params, &ignored);
}

const struct mlock_backend mlock__advisory = {
    .mode = "session",
    .prepare = advisory_prepare,
    .try_take = advisory_try,
    .describe = advisory_describe,
    .verify = advisory_verify,
    .release = advisory_release,
};
