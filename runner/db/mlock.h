/* mlock.h -- the migration lock: a PostgreSQL session advisory lock that
 * every run changing a database (upgrade, downgrade, stamp) holds, so
 * concurrent runners (replicas starting together) apply each revision
 * once.
 *
 * The key is a 64-bit FNV-1a hash of the version table's schema-qualified
 * name ("public.alembic_version"), as versions_lock_name() gives it after
 * versions_resolve(): the same name every statement uses, whatever the
 * session's search_path.  Schema-per-tenant databases do not serialise
 * each other.  It is taken by polling pg_try_advisory_lock()
 * from a uv timer with jittered exponential backoff (25 ms doubling to
 * 1 s; the arithmetic is backoff.c's), never by a blocking pg_advisory_lock(): a waiter parked inside a
 * statement is a transaction that a CREATE INDEX CONCURRENTLY in the
 * holder's run waits for, which deadlocks both.  While waiting, a progress
 * line every MLOCK_REPORT_S names the holder (pid, application_name, how
 * long its session has been connected) from pg_locks/pg_stat_activity.
 * The lock is the session's: closing the connection (or the holder's
 * death) releases it.  Connecting and statements are pg.c's. */
#ifndef RUNNER_MLOCK_H
#define RUNNER_MLOCK_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"

struct pg;

#define MLOCK_FIRST_MS 25       /* first backoff delay */
#define MLOCK_MAX_MS 1000       /* backoff ceiling */
#define MLOCK_JITTER 0.25       /* each delay scaled by 1 +- this */
#define MLOCK_REPORT_S 5.0      /* seconds between progress lines */
#define MLOCK_WAIT_DEFAULT 600.0 /* seconds, --lock-wait */

struct mlock_opts {
    double wait_s;              /* give up after this long; <= 0: MLOCK_WAIT_DEFAULT */
    FILE *log;                  /* progress lines; NULL: silent */
    const char *prefix;         /* before every line ("" or "[db3] ") */
};

/* FNV-1a 64 of `name`, as the signed bigint pg_try_advisory_lock takes. */
int64_t mlock_key(const char *name);

/* Take the lock on key for the session of db, polling.  Returns 0 when
 * held; -1 with *e on a --lock-wait expiry ("migration lock ... still held
 * by pid N ... after S s"), a lost connection or db->interrupted (a
 * signal: SQLSTATE 57014). */
int mlock_take(struct pg *db, int64_t key, const char *name, const struct mlock_opts *o,
               struct err *e);

/* Release it (best effort: closing the session releases it too). */
int mlock_release(struct pg *db, int64_t key, struct err *e);

/* Delay in ms before poll attempt + 1 (attempt >= 1) given uniform u in
 * [0, 1), from backoff.c with this file's constants: MLOCK_FIRST_MS * 2^(attempt-1) capped at MLOCK_MAX_MS, scaled by
 * 1 + MLOCK_JITTER * (2u - 1). */
uint64_t mlock_backoff_ms(unsigned attempt, double u);

/* Sleep ms on db's loop (a uv timer), waking early when db->interrupted
 * is set by a signal watcher.  Returns -1 when interrupted. */
int mlock_sleep(struct pg *db, uint64_t ms);

#endif
