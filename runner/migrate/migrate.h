/* migrate.h -- the executor: runs a plan's steps against the database, or
 * renders them as SQL (--sql), with Alembic's transaction and logging
 * behaviour.
 *
 * Online, by default every step is one transaction:
 *
 *     BEGIN; plugin upgrade()/downgrade(); version table; history row; COMMIT
 *
 * so a failure rolls back that step only and leaves the database at the
 * last good revision (a failed attempt is then recorded in the history
 * table with success = false).  --single-transaction wraps the whole run
 * in one; a failure then rolls back everything, history rows included.  A revision with RUNNER_NO_TRANSACTION runs in autocommit mode
 * and its version-table update is committed right after it.  PostgreSQL
 * runs a multi-statement string as one implicit transaction, so in such a
 * revision each CREATE INDEX CONCURRENTLY must be its own op_execute()
 * call.  Such a revision cannot be part of --single-transaction (refused
 * before anything runs).
 *
 * Offline, the steps are rendered to a stream like `alembic upgrade a:b
 * --sql`: BEGIN;, the CREATE TABLE of the version table when starting
 * from base, "-- Running upgrade a -> b", the plugin's statements, the
 * version statements, COMMIT; -- without connecting.
 *
 * The module's files: migrate.c (this API: the session, its settings and
 * the migration lock around a run), steps.c (the step executor),
 * signals.c (the SIGINT/SIGTERM watcher), offline.c (--sql); private
 * helpers in migrate_int.h.  Revision graph, plugins and op tables are
 * graph.c's, loader.c's and ops*.c's; the tables are versions.c's; the
 * connection is pg.c's.  Nothing here reads argv, the config or the
 * environment: the CLI fills struct migrate_opts. */
#ifndef RUNNER_MIGRATE_H
#define RUNNER_MIGRATE_H

#include <stdio.h>

#include "err.h"
#include "graph.h"

struct ops_observer;
struct pg;
struct versions;
struct mlock;

enum migrate_kind {
    MIGRATE_UPGRADE = 1,
    MIGRATE_DOWNGRADE,
    MIGRATE_STAMP,
};

struct migrate_opts {
    enum migrate_kind kind;
    const struct graph *graph;  /* built and validated; borrowed, read only */
    const char *version_table;  /* NULL: alembic_version */
    const char *version_schema; /* NULL: the schema the session finds it in (versions_resolve) */
    const char *schema;         /* a tenant: search_path is set to it alone right after
                                 * connecting, so the version and history tables are
                                 * resolved (and locked) there; overrides version_schema */
    const char *history_table;  /* NULL: runner_history */
    const char *target;         /* target grammar of graph.h; "a:b" with sql */
    const char *const *targets; /* stamp: n_targets > 1 targets (alembic's multi-head
                                 * stamp, "a:b" each with sql); target is targets[0] */
    size_t n_targets;
    int sql;                    /* --sql: render to `out`, never connect */
    int single_transaction;     /* --single-transaction */
    int purge;                  /* stamp --purge: empty the version table first */
    int ignore_checksums;       /* upgrade --ignore-checksums: skip validate.c's check */
    FILE *out;                  /* --sql output; stdout when NULL */
    FILE *log;                  /* "Running upgrade ..." lines; NULL: silent */
    int quiet;                  /* no "nothing to do" line, no --wait progress */
    int verbose;                /* > 0: the server's NOTICEs on stderr */
    /* runtime (online only; zero is the default everywhere) */
    const char *url;            /* NULL or "": libpq's PG* environment (fan-out: one each) */
    const char *prefix;         /* before every log line (fan-out); NULL: none */
    int progress;               /* a "[3/20] running ..." status line (a terminal) */
    double wait_s;              /* --wait: wait_for_db() first; 0: no */
    double connect_timeout_s;   /* --connect-timeout; 0: the url's */
    double statement_timeout_s; /* --statement-timeout: SET statement_timeout + a uv
                                 * timer backstop that cancels; 0: the server's */
    double lock_timeout_s;      /* --lock-timeout: SET lock_timeout; 0: the server's */
    int lock_timeout_retries;   /* --lock-timeout-retries: a step failing with 55P03 is
                                 * rolled back and retried (jittered backoff) */
    int lock_mode;              /* enum migrate_lock_mode; 0: MIGRATE_LOCK_SESSION */
    double lock_wait_s;         /* --lock-wait; 0: MLOCK_WAIT_DEFAULT */
    double lock_lease_s;        /* --lock-lease (table mode); 0: MLOCK_LEASE_DEFAULT */
    struct mlock *lock;         /* migrate.c sets it for steps.c: the lock the run holds,
                                 * fenced in each step (mlock_fence); callers leave NULL */
    double keepalive_s;         /* --keepalive: the server drops the session (and frees the
                                 * lock) about this long after the runner's host vanishes:
                                 * SET tcp_keepalives_idle/_interval/_count, tcp_user_timeout;
                                 * 0: the server's settings (about two hours) */
    struct migrate_result *result; /* optional out */
    const struct ops_observer *observer; /* optional: watches every statement the plugins
                                          * run (runner test --locks); borrowed */
};

enum migrate_lock_mode {
    MIGRATE_LOCK_SESSION = 0,   /* the session advisory lock of mlock.h */
    MIGRATE_LOCK_NONE,          /* no lock (with a warning) */
    MIGRATE_LOCK_TABLE,         /* a lease row in <schema>.runner_lock (mlock.h): works
                                 * through PgBouncer's transaction pooling */
};

/* What a run did, for the caller's exit status and fan-out summary. */
struct migrate_result {
    int signum;                 /* SIGINT/SIGTERM that interrupted it, else 0 */
    size_t applied;             /* steps committed */
    int nothing_to_do;          /* an empty plan, before or after waiting for the lock */
};

/* The whole command: connect to o->url (unless sql), read the current
 * heads (unknown ids: "Can't locate revision identified by ..."), plan
 * with graph.c and run or render.  o->graph must be built.
 *
 * Online runtime: the run has its own uv loop and connection; the signal
 * watcher (signals.h) is started before anything else, then --wait,
 * connecting (--connect-timeout), a standby refused before anything is
 * sent (standby.h), SET of the timeouts and keepalives, and
 * the version table's schema is resolved once (versions_resolve): every
 * statement and the lock key use that one name.  An empty plan (with a
 * version table) returns at once, without the lock.  Otherwise the run
 * takes the migration lock (mlock.h), re-reads the version table and
 * re-plans, so it does only what another runner left.  A connection
 * lost mid-run (the server stopped, a failover) fails the run naming the
 * last committed revision, which a rerun continues from.  A signal before
 * the first revision fails the run with "interrupted ..." (nothing to roll
 * back); during a revision it cancels the statement in flight, the step
 * is rolled back and the run fails with "interrupted: rolled back revision
 * X"; either way result->signum is set.  After the last commit a signal
 * changes nothing: the run record is closed and the lock released, and the
 * outcome stays.  Thread-safe for distinct `o`, `e` (fan-out): the graph
 * is only read. */
int migrate(const struct migrate_opts *o, struct err *e);

/* Run the steps of an upgrade/downgrade plan on db (version and history
 * tables must exist: versions_ensure()).  Returns 0, or -1 with *e naming
 * the revision, its file, the SQLSTATE, the message and the statement. */
int migrate_steps(struct pg *db, const struct versions *v, const struct plan *p,
                  const struct migrate_opts *o, struct err *e);

/* Render what one revision's upgrade() (or downgrade()) emits, the way
 * --sql renders it (each statement followed by ";\n\n"), and nothing
 * else: no BEGIN/COMMIT, no version statements.  The plugin is opened
 * with plugin_open_rev() and closed again.  `runner lint` reads this. */
int migrate_render_rev(const struct rev *r, int upgrade, FILE *out, struct err *e);

/* Render the steps of a plan that starts at `n_heads` current heads. */
int migrate_render(const struct versions *v, const struct plan *p, size_t n_heads,
                   const struct migrate_opts *o, struct err *e);

#endif
