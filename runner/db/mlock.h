/* mlock.h -- the migration lock: the one interface every run changing a
 * database (upgrade, downgrade, stamp, repair) takes and releases, so
 * that concurrent runners (replicas starting together) apply each
 * revision once.  Two modes sit behind it, like pg_dump's archive formats
 * behind one function table (mlock_int.h):
 *
 *   MLOCK_SESSION  a PostgreSQL session advisory lock (mlock_advisory.c).
 *                  The key is a 64-bit FNV-1a hash of the version table's
 *                  schema-qualified name ("public.alembic_version"), as
 *                  versions_lock_name() gives it after versions_resolve().
 *                  The lock is the session's: closing the connection (or
 *                  the holder's death) releases it.  Before polling, a
 *                  probe refuses a connection that is pooled per
 *                  transaction (PgBouncer's pool_mode = transaction),
 *                  where a session lock holds nothing: the error names
 *                  the fix, --lock-mode table.
 *   MLOCK_TABLE    a lease row in a small table beside the version table,
 *                  <schema>.runner_lock (mlock_lease.c), one row per
 *                  version table: owner, acquired, expires, heartbeat.
 *                  Every statement is a single autocommit statement, so
 *                  it works through transaction pooling.  A thread of its
 *                  own, with its own loop and connection, renews the
 *                  lease every third of its length (so a plugin blocking
 *                  in libpq through op_pgconn() cannot starve it); a lease
 *                  whose holder stopped renewing (killed, frozen) is taken
 *                  over once it has expired.  Each step's transaction
 *                  first checks the row is still its own and keeps it
 *                  locked (FOR KEY SHARE) until it ends (mlock_fence()),
 *                  so a holder that lost its lease never commits another
 *                  step, and a waiter never takes a lease over while a
 *                  step of the holder is still open (a killed holder's
 *                  step included, until the server has rolled it back).
 *
 * What the modes share lives here, once: polling with jittered
 * exponential backoff from a uv timer (25 ms doubling to 1 s; the
 * arithmetic is backoff.c's), never a blocking wait inside a statement (a
 * waiter parked in a statement holds a snapshot that a CREATE INDEX
 * CONCURRENTLY in the holder's run waits for, which deadlocks both); a
 * progress line every MLOCK_REPORT_S naming the holder; --lock-wait; the
 * SIGINT/SIGTERM interruption of the wait.  Connecting and statements are
 * pg.c's, the version table's name versions.c's. */
#ifndef RUNNER_MLOCK_H
#define RUNNER_MLOCK_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"

struct pg;
struct versions;
struct mlock_backend;
struct mlock_beat;

#define MLOCK_FIRST_MS 25       /* first backoff delay */
#define MLOCK_MAX_MS 1000       /* backoff ceiling */
#define MLOCK_JITTER 0.25       /* each delay scaled by 1 +- this */
#define MLOCK_REPORT_S 5.0      /* seconds between progress lines */
#define MLOCK_WAIT_DEFAULT 600.0 /* seconds, --lock-wait */
#define MLOCK_LEASE_DEFAULT 30.0 /* seconds, --lock-lease (table mode) */
#define MLOCK_LEASE_TABLE "runner_lock" /* in the version table's schema */
#define MLOCK_NAME_SIZE 160     /* "schema.table", both at most 63 bytes */

enum mlock_mode {
    MLOCK_SESSION = 0,          /* session advisory lock */
    MLOCK_TABLE,                /* lease row in <schema>.runner_lock */
};

struct mlock_opts {
    double wait_s;              /* give up after this long; <= 0: MLOCK_WAIT_DEFAULT */
    FILE *log;                  /* progress lines; NULL: silent */
    const char *prefix;         /* before every line ("" or "[db3] "); NULL: "" */
    enum mlock_mode mode;
    const char *url;            /* the run's URL, for a second connection of the same
                                 * server (session: the pooling probe; table: the
                                 * heartbeat); NULL or "": libpq's PG* environment */
    double lease_s;             /* table: lease length; <= 0: MLOCK_LEASE_DEFAULT */
};

/* One lock of one run.  Caller-allocated: MLOCK_INIT, mlock_take(),
 * mlock_release() (safe when never taken, and twice).  Fields are private
 * to the mlock files. */
struct mlock {
    const struct mlock_backend *be; /* the mode's; NULL until mlock_take() */
    struct pg *db;              /* borrowed: the run's connection */
    int held;                   /* taken and not yet released */
    int64_t key;                /* session: the advisory lock's key */
    char name[MLOCK_NAME_SIZE]; /* "schema.table" of the version table, for messages */
    char table[2 * MLOCK_NAME_SIZE + 8];  /* table: the lease table, rendered */
    char table_label[MLOCK_NAME_SIZE];    /* table: "schema.runner_lock", for messages */
    char token[40];             /* table: this run's random id in its lease row */
    char owner[256];            /* table: "pid 4242 on host 'h'", shown to waiters */
    long long lease_ms;         /* table: the lease length */
    struct mlock_beat *beat;    /* table: owned, the heartbeat thread; NULL: none */
};

#define MLOCK_INIT { NULL, NULL, 0, 0, "", "", "", "", "", 0, NULL }

/* FNV-1a 64 of `name`, as the signed bigint pg_try_advisory_lock takes. */
int64_t mlock_key(const char *name);

/* Take the migration lock of the version table v names (resolved:
 * versions_resolve()) in mode o->mode, for the session of db, polling.
 * Returns 0 when held; -1 with *e on a --lock-wait expiry ("migration
 * lock ... still held by ... after S s"), a transaction-pooled connection
 * in session mode, a lost connection, or db->interrupted (a signal:
 * SQLSTATE 57014).  db must outlive the lock. */
int mlock_take(struct mlock *l, struct pg *db, const struct versions *v,
               const struct mlock_opts *o, struct err *e);

/* Inside each step's transaction, before its first statement (outside
 * one for a step that runs in autocommit): confirm that the lock is still
 * this run's.  Table mode checks the lease row, which stays locked until
 * the transaction ends; -1 with *e when the lease was lost (taken over
 * after it expired).  Session mode has nothing to check.  l may be NULL. */
int mlock_fence(struct mlock *l, struct err *e);

/* After plugin code that may have reset the session (db->disturbed): in
 * session mode, ask the server whether this session still holds the
 * advisory lock (pg_advisory_unlock_all() and DISCARD ALL release it);
 * -1 with *e ("it released the migration lock on ...") when not.  Table
 * mode's lease is not the session's (mlock_fence() checks it every step):
 * 0.  l may be NULL. */
int mlock_verify(struct mlock *l, struct err *e);

/* Release it (best effort: closing the session, or the lease expiring,
 * releases it too) and stop the heartbeat. */
void mlock_release(struct mlock *l);

/* Whether db's connection is pooled per transaction (PgBouncer's
 * pool_mode = transaction), probed with a second connection to url unless
 * the server process answering is the one the connection started with
 * (see mlock_advisory.c): *pooled = 1 then, and detail says what was seen.
 * Session mode refuses such a connection; a run whose session settings
 * must hold (a tenant's search_path) asks too. */
int mlock_probe_pooling(struct pg *db, const char *url, int *pooled, char *detail,
                        size_t size, struct err *e);

/* Delay in ms before poll attempt + 1 (attempt >= 1) given uniform u in
 * [0, 1), from backoff.c with this file's constants: MLOCK_FIRST_MS * 2^(attempt-1) capped at MLOCK_MAX_MS, scaled by
 * 1 + MLOCK_JITTER * (2u - 1). */
uint64_t mlock_backoff_ms(unsigned attempt, double u);

/* Sleep ms on db's loop (a uv timer), waking early when db->interrupted
 * is set by a signal watcher.  Returns -1 when interrupted. */
int mlock_sleep(struct pg *db, uint64_t ms);

#endif
