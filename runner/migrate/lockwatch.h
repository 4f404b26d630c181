/* lockwatch.h -- `runner test --locks`: what each revision's upgrade does
 * to the tables that existed before it, observed on the test database,
 * not guessed from its SQL.
 *
 * Before a revision's first upgrade (roundtrip.h's watch), every ordinary
 * or partitioned table outside the system schemas (and outside the
 * caller's exclude list: the version and history tables) is topped up to
 * o->rows rows with values generated from its column types, in autocommit
 * INSERT ... SELECT FROM generate_series statements; a table that cannot
 * be filled keeps the reason, which the report shows.  During the upgrade,
 * after every statement (ops.h's observer), the session's own granted
 * relation locks on those tables (pg_locks, pid = pg_backend_pid()) and
 * their relfilenodes are read: a new relfilenode means the table was
 * rewritten (or truncated).  After the commit, per table: the strongest
 * lock and the statement after which it was first seen, the rewrite and
 * its statement, and how long the table was held.
 *
 * "Held": locks taken in a transaction are kept until it ends, so a lock
 * first seen after statement k is held from the start of statement k (an
 * upper bound: it may be taken partway through) until the revision's
 * transaction has committed (the version and history rows included).  A
 * lock of SHARE or stronger (SHARE, SHARE ROW EXCLUSIVE, EXCLUSIVE, ACCESS
 * EXCLUSIVE: every mode that blocks INSERT/UPDATE/DELETE) held longer than
 * o->threshold_ms is flagged.
 *
 * NEEDSWORK: a revision outside a transaction (RUNNER_NO_TRANSACTION)
 * releases each lock at the end of its statement, so none is seen (it
 * would take a second session polling pg_locks during the statement);
 * statements a plugin runs on op_pgconn() directly are not observed.
 *
 * Connecting, the walk and the exit status are the caller's. */
#ifndef RUNNER_LOCKWATCH_H
#define RUNNER_LOCKWATCH_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "ops.h"
#include "roundtrip.h"

#define LOCKWATCH_ROWS_DEFAULT 10000
#define LOCKWATCH_THRESHOLD_MS_DEFAULT 1000.0

struct lockwatch_opts {
    size_t rows;                /* rows each pre-existing table is filled to */
    double threshold_ms;        /* flag SHARE+ locks held longer than this */
    const char *const *exclude; /* table names never filled nor reported (borrowed) */
    size_t n_exclude;
};

struct lockwatch_revision;

/* Caller-allocated: lockwatch_init(), hand lockwatch_watch() to the walk,
 * print, lockwatch_release(). */
struct lockwatch {
    struct lockwatch_opts o;
    struct lockwatch_revision *revs;    /* owned: one per watched upgrade */
    size_t n_revs;
    struct ops_observer observer;       /* points back at this struct */
    struct roundtrip_watch watch;       /* points back at this struct */
    struct pg *db;                      /* borrowed: the database under test */
};

/* Ready to watch the walk on db (borrowed, must outlive lw).  o is copied;
 * its exclude list is borrowed. */
void lockwatch_init(struct lockwatch *lw, struct pg *db, const struct lockwatch_opts *o);
void lockwatch_release(struct lockwatch *lw);

/* The hooks for roundtrip_opts.watch; borrowed from lw. */
const struct roundtrip_watch *lockwatch_watch(struct lockwatch *lw);

/* Indented lines (one per pre-existing table, then any note) about the
 * upgrade of revision `id`; nothing when it was not watched. */
void lockwatch_print_revision(const struct lockwatch *lw, const char *id, FILE *out);

/* "locks: 3 revisions watched with 10000 rows per table, 1 lock over 1000 ms" */
void lockwatch_print_summary(const struct lockwatch *lw, FILE *out);

/* {"rows": N, "threshold_ms": T, "flagged": k, "revisions": [...]} */
void lockwatch_print_json(const struct lockwatch *lw, FILE *out);

/* Locks flagged over the threshold, over every watched revision. */
size_t lockwatch_n_flagged(const struct lockwatch *lw);

/* The strength of a pg_locks mode name, 1 (AccessShareLock) to 8
 * (AccessExclusiveLock); 0 for an unknown name. */
int lockwatch_mode_rank(const char *mode);

#endif
