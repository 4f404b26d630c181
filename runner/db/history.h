/* history.h -- runner's history table beside the version table: one row
 * per executed step (revision, direction, checksum of the plugin's source,
 * when, how long, by whom), and the run markers that tell the next run
 * that one died.
 *
 *     CREATE TABLE [schema.]runner_history (id bigserial PRIMARY KEY,
 *         revision, direction, checksum, started_at, duration_ms, db_user,
 *         hostname, runner_version, success)
 *
 * The table's name is struct versions' (versions.h: same schema as the
 * version table, resolved once); rows are only ever appended, except that
 * a run marker is finished in place.  Transactions are the caller's. */
#ifndef RUNNER_HISTORY_H
#define RUNNER_HISTORY_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "pg.h"

struct versions;

/* One row to append. */
struct history_row {
    const char *revision;
    const char *direction;      /* "upgrade", "downgrade", "stamp", "repair", "run" */
    const char *checksum;       /* the plugin's source_sha256; "" or NULL: none */
    double started_at;          /* seconds since the epoch */
    long long duration_ms;
    int success;
};

/* Create the history table when missing; check the layout of an existing
 * one.  exists: whether the caller found it (versions_ensure() asks once
 * for both tables), or -1 to look it up here.  Returns 1 when it created
 * the table, 0 when it was there, -1 with *e. */
int history_ensure(const struct versions *v, struct pg *db, int exists, struct err *e);

int history_record(const struct versions *v, struct pg *db, const struct history_row *h,
                   struct err *e);

/* A row's eight statement parameters, for a statement that inserts it
 * with HISTORY_INSERT(first $n) (versions_step_done's combined step). */
struct history_params {
    char host[256];
    char started[64];
    char duration[32];
    const char *p[8];
};

#define HISTORY_COLUMNS                                                          \
    "(revision, direction, checksum, started_at, duration_ms, db_user, hostname, " \
    "runner_version, success)"
/* the placeholders $a..$h: revision ... success */
#define HISTORY_VALUES(a, b, c, d, e, f, g, h)                                    \
    "($" #a ", $" #b ", $" #c ", to_timestamp($" #d "::double precision), $" #e    \
    ", current_user, $" #f ", $" #g ", $" #h ")"

/* Fill *hp from *h (and this host's name); hp->p borrows from both. */
void history_bind(const struct history_row *h, struct history_params *hp);

/* A run's marker: a row with direction 'run' and duration_ms -1,
 * committed before the first step and finished (duration, success) after
 * the last.  A process that is killed or crashes mid-run leaves it
 * unfinished, which is how the next run knows to say so.  Call outside
 * any transaction.
 *
 * history_run_start() first reports every unfinished marker on `log` as a
 * warning.  Only a caller that holds the migration lock (holds_lock) can
 * know that no such run is still going: it closes them as died
 * (duration_ms -2, success false).  Without the lock (--lock-mode none)
 * they are reported and left open.  Then it writes ours (one round trip
 * for both); *id is 0 when the history table does not exist yet (nothing
 * to mark).  table: HISTORY_LOOK_UP, or HISTORY_THERE when the caller has
 * just made sure that it exists (versions_ensure()), so it is not looked
 * up again, or HISTORY_NEW when this session has just created it: no
 * marker can be in it, and ours is a plain insert (a fresh database's
 * first run: the server plans no search for markers). */
enum history_table { HISTORY_LOOK_UP = 0, HISTORY_THERE, HISTORY_NEW };
int history_run_start(const struct versions *v, struct pg *db, const char *revision,
                      enum history_table table, int holds_lock, FILE *log, long long *id,
                      struct err *e);
int history_run_finish(const struct versions *v, struct pg *db, long long id,
                       double started_at, int success, struct err *e);

/* A row read back, for `history --applied`.  Strings are borrowed from
 * the struct history_log they came in. */
enum history_state {
    HISTORY_OK,
    HISTORY_FAILED,
    HISTORY_RUNNING,            /* a run marker not finished (yet) */
    HISTORY_DIED,               /* a run marker closed by a later run */
};

struct history_entry {
    const char *started_utc;    /* "YYYY-MM-DD HH:MM:SS" */
    const char *direction;
    const char *revision;
    const char *duration_ms;    /* as text; meaningless for RUNNING and DIED */
    const char *db_user;
    const char *hostname;       /* "" when unknown */
    const char *runner_version;
    const char *checksum;       /* "" when none */
    enum history_state state;
};

/* The whole table, oldest first.  history_log_release() frees it. */
struct history_log {
    char *label;                /* owned: the table's name for messages (versions' hlabel) */
    int missing;                /* the table does not exist: no entries */
    struct history_entry *entries;
    size_t n;
    struct pg_rows rows;        /* owns the strings */
};

#define HISTORY_LOG_INIT { NULL, 0, NULL, 0, PG_ROWS_INIT }

/* The successful history rows but the runs' markers: id, revision,
 * checksum, direction, and the oid of the table that answered (its
 * schema-qualified name or, in a script resolved by the same search_path,
 * the unqualified one for %s). */
#define HISTORY_APPLIED_SQL                                                        \
    "SELECT id::text, revision, checksum, direction, tableoid::oid::text FROM %s " \
    "WHERE success AND direction <> 'run'"

/* HISTORY_APPLIED_SQL's rows of v's history table into *rows (caller
 * releases); the error says which table. */
int history_read_applied(const struct versions *v, struct pg *db, struct pg_rows *rows,
                         struct err *e);

int history_read(const struct versions *v, struct pg *db, struct history_log *out,
                 struct err *e);
void history_log_release(struct history_log *log);

#endif
