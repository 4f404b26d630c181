/* pg.h -- one PostgreSQL connection, driven non-blocking on a libuv loop.
 *
 * The connection (PQconnectStartParams/PQconnectPoll) and every statement
 * (PQsendQuery/PQsendQueryParams, PQconsumeInput, PQisBusy) wait on a
 * uv_poll_t watching PQsocket(), so the process is never parked inside a
 * blocking libpq call.  The API below is nevertheless synchronous: each
 * call runs the loop (uv_run(UV_RUN_ONCE)) until its operation completes,
 * so plugin code calling op_execute() stays plain sequential C.  The
 * consequence, and the rule: never call these functions from inside a
 * libuv callback (uv_run is not reentrant); call them from plain code.
 *
 * Errors fill struct err with PostgreSQL's primary message and SQLSTATE
 * (err_sqlstate) and, for statements, the statement and the error's
 * position.  Connection errors name host, port and database, never the
 * password.  Version tables, transactions and revisions are left to
 * versions.c and migrate.c. */
#ifndef RUNNER_PG_H
#define RUNNER_PG_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "err.h"

#define PG_LEAD_SIZE 512        /* bytes of pg_lead() statements pending at once */
#define PG_REUSED_MAX 8         /* statements pg_query_reused() keeps prepared per session */

/* What became of a trail (pg_trail()). */
enum pg_trail_state {
    PG_TRAIL_NONE,              /* no trail went with the last statement */
    PG_TRAIL_DONE,              /* statement and trail succeeded */
    PG_TRAIL_SKIPPED,           /* the statement failed, so the trail did not run */
    PG_TRAIL_FAILED,            /* the statement succeeded, the trail failed: *e is its error */
};

/* Caller-allocated.  Zero-initialise (or PG_INIT), pg_open(), use,
 * pg_close(); pg_close() is safe after a failed pg_open() and twice. */
struct pg {
    uv_loop_t *loop;            /* borrowed; must outlive the struct */
    PGconn *conn;               /* owned: PQfinish() in pg_close() */
    uv_poll_t poll;             /* readiness of PQsocket(conn) */
    uv_timer_t timer;           /* connect_timeout (libpq's own only works when blocking) */
    int poll_fd;                /* the fd `poll` was initialised on, -1: none */
    int poll_open;              /* `poll` initialised and not yet closed */
    int timer_open;             /* `timer` initialised and not yet closed */
    int ready;                  /* set by the poll callback: the awaited events happened */
    int timed_out;              /* set by the timer callback */
    int closing;                /* handles whose close callback has not run yet */
    int show_notices;           /* print NOTICE/WARNING to stderr (default: silent, as psycopg2) */
    int interrupted;            /* set by the caller's signal watcher (a loop callback):
                                 * waits (connecting included) end and pg_exec/pg_query
                                 * refuse new statements with SQLSTATE 57014 until the
                                 * caller clears it; pg_open() leaves it as it is */
    uint64_t backstop_ms;       /* > 0: a uv timer cancels a statement still running
                                 * after this long (backstop of statement_timeout) */
    int backstop_fired;         /* the backstop cancelled the last statement */
    const int *stop;            /* borrowed, optional: like `interrupted`, but a flag of the
                                 * caller's (wait.c's attempts watch the run's) */
    char lead[PG_LEAD_SIZE];    /* pg_lead(): ';'-joined statements that go out in front of
                                 * the next statement, in its round trip; "": none */
    size_t n_lead;              /* statements in `lead` */
    const char *trail;          /* pg_trail(): borrowed, static; goes out after the next
                                 * extended-protocol statement, in its round trip */
    int trail_state;            /* PG_TRAIL_* of the last statement that carried a trail */
    int reuse_plans;            /* set by the caller: this is a server session of its own
                                 * (no transaction pooler), so pg_query_reused() may keep
                                 * named prepared statements on it */
    uint64_t reused[PG_REUSED_MAX]; /* hashes of the texts prepared as
                                     * "runner_r<hash>_<reuse_gen>" */
    size_t n_reused;
    unsigned reuse_gen;         /* bumped by pg_forget_reused(): new names, so that a
                                 * statement still prepared never clashes */
    int disturbed;              /* pg_session_disturbed() since the caller last cleared it */
};

#define PG_INIT                                                                          \
    { NULL, NULL, { 0 }, { 0 }, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, { 0 }, 0, NULL, 0, 0, \
      { 0 }, 0, 0, 0 }

/* Rows of a read.  cells is row-major, n_rows * n_cols entries, NULL for
 * SQL NULL.  Owned by the struct: pg_rows_release() frees them. */
struct pg_rows {
    size_t n_rows;
    size_t n_cols;
    char **cells;
};

#define PG_ROWS_INIT { 0, 0, NULL }

/* Connect to `url` (URI or conninfo, "postgresql+driver://" accepted,
 * NULL or "": libpq's PG* environment) with application_name=runner
 * unless the url sets one.  connect_timeout in the url is enforced with a
 * uv timer.  On failure *db is still safe to pg_close(). */
int pg_open(struct pg *db, uv_loop_t *loop, const char *url, struct err *e);

/* Close the connection and the loop handles (runs the loop until their
 * close callbacks have run).  The loop itself stays the caller's. */
void pg_close(struct pg *db);

/* Borrowed; NULL before pg_open() and after pg_close(). */
PGconn *pg_conn(struct pg *db);

/* Run `sql` with the simple query protocol: a script of several
 * ;-separated statements is sent as one string, as psql -c does, every
 * result is collected and the first error wins.  On error *e holds
 * "<message> (SQLSTATE xxxxx) at character N of statement \"...\"" naming
 * the failing statement of the script. */
int pg_exec(struct pg *db, const char *sql, struct err *e);

/* pg_exec(), keeping each statement's rows: the i-th statement's result
 * goes to outs[i] (each PG_ROWS_INIT first; the caller releases all n),
 * results beyond n are dropped.  *n_ok gets the number of statements that
 * succeeded; on error (-1) the statement numbered *n_ok failed and, as
 * the server skips the rest of a script after an error, none ran after
 * it.  Its SQLSTATE is in e->sqlstate. */
int pg_exec_results(struct pg *db, const char *sql, struct pg_rows *outs, size_t n,
                    size_t *n_ok, struct err *e);

/* One statement with $1..$n text parameters (NULL: SQL NULL), extended
 * protocol.  Rows, if any, are discarded. */
int pg_exec_params(struct pg *db, const char *sql, int n_params,
                   const char *const *params, struct err *e);

/* Like pg_exec_params, returning the rows of the (single) statement in
 * *out (PG_ROWS_INIT first; caller releases with pg_rows_release()).
 * `n_affected`, when not NULL, receives PQcmdTuples (rows updated,
 * deleted, inserted). */
int pg_query(struct pg *db, const char *sql, int n_params, const char *const *params,
             struct pg_rows *out, long *n_affected, struct err *e);

/* Like pg_query, for the statement this session prepared as `name`
 * (pg_prepared.h); `sql` is its text, for error messages only. */
int pg_query_named(struct pg *db, const char *name, const char *sql, int n_params,
                   const char *const *params, struct pg_rows *out, struct err *e);

/* Round trips saved: a lead is a statement (BEGIN, SET LOCAL) queued to
 * go out in front of the next statement, in the same round trip: with
 * pg_exec() as one message "<lead>;<sql>" (errors still name the
 * statement of `sql` and its position there; the lead's own results are
 * not counted), with the extended protocol through libpq's pipeline
 * mode.  A lead that fails is reported as itself.  Anything that looks at
 * the raw connection's transaction state must pg_lead_flush() first.
 * A lead statement holds no ';' (the pipeline splits the lead there).
 * pg_lead() fails only when the lead would not fit. */
int pg_lead(struct pg *db, const char *sql, struct err *e);

/* 1 when a lead is queued (nothing of it sent yet). */
int pg_lead_pending(const struct pg *db);

/* Send the queued lead now, alone (one round trip); 0 when none. */
int pg_lead_flush(struct pg *db, struct err *e);

/* Forget the queued lead unsent (a failure before any statement: there
 * is nothing to roll back). */
void pg_lead_drop(struct pg *db);

/* `sql` (static, one statement, e.g. "COMMIT") goes out right after the
 * next pg_query()/pg_exec_params()/pg_query_named() statement, in the same
 * round trip, and runs only if that statement succeeded; afterwards
 * db->trail_state says which of the two failed.  NULL clears a trail that
 * was not used.  pg_exec() ignores a trail and clears it. */
void pg_trail(struct pg *db, const char *sql);

/* Like pg_query, for a statement the session runs again and again (a
 * revision's version and history rows): with db->reuse_plans, prepared
 * as a named statement on first use, in the same round trip, so the
 * server parses it once (and plans it once, from the sixth run on);
 * otherwise plain pg_query().  Behind a transaction pooler a named
 * statement would stay on one server session: the caller sets
 * reuse_plans only on a session known to be its own.
 * A plugin's DEALLOCATE ALL drops the statement behind our back: whoever
 * hands plugin SQL or the raw connection to the server calls
 * pg_session_disturbed() afterwards.  A statement dropped unseen (by a
 * function the plugin calls) fails with 26000 and the revision rolls
 * back; the session then forgets its statements, too. */
int pg_query_reused(struct pg *db, const char *sql, int n_params, const char *const *params,
                    struct pg_rows *out, long *n_affected, struct err *e);

/* Forget the statements pg_query_reused() prepared (the session may have
 * dropped them); the next use prepares them again, under new names. */
void pg_forget_reused(struct pg *db);

/* Plugin code may have reset the session (DEALLOCATE, DISCARD ALL, an
 * advisory unlock): pg_forget_reused(), and db->disturbed = 1 for the
 * caller, who checks what else it relies on (the migration lock) and
 * clears it. */
void pg_session_disturbed(struct pg *db);

/* Cell (row, col), NULL for SQL NULL; borrowed from *r. */
const char *pg_rows_get(const struct pg_rows *r, size_t row, size_t col);
void pg_rows_release(struct pg_rows *r);

/* Ask the server to cancel the statement in flight, if any (PQcancel: a
 * short blocking call on a separate connection; allowed in a loop
 * callback).  The statement then fails with SQLSTATE 57014. */
int pg_cancel(struct pg *db, struct err *e);

/* Deliver what is pending on the loop (signals) without waiting; then 1
 * when db->interrupted is set. */
int pg_poll_interrupt(struct pg *db);

/* "host 'h' port 5432 database 'd'" (or "socket '/dir' ...") of the open
 * or failed connection, for messages; never the password. */
void pg_describe(struct pg *db, char *buf, size_t size);

#endif
