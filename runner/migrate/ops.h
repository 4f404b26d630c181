/* ops.h -- the op API behind runner_op.
 *
 * Three files, one concern each, side by side like pg_dump's archive formats:
 *   ops_render.c  pure rendering: every op_* helper into SQL text, every
 *                 identifier quoted, every literal escaped; no I/O, no libpq;
 *   ops.c         the online function table: renders, then runs each
 *                 statement through pg.c (pg_exec / pg_exec_params);
 *   ops_sql.c     the offline function table (--sql): renders and writes
 *                 each statement to a FILE * followed by ";\n\n", as
 *                 Alembic's offline mode does.
 * Both tables fill every member of struct runner_op_api (all are mandatory:
 * a plugin calls them without checking).  Transactions, the version table
 * and the "Running upgrade" log lines are the executor's, not ours.
 *
 * Errors: an op returns 0, or -1 with the first failure kept in the
 * op_state's err, prefixed "revision <id> (<file>): op_<name>: ".  Once an
 * op has failed, every later op of the same state returns -1 at once and
 * leaves that first error alone (a plugin that ignores a return value
 * cannot run statements in an aborted transaction or hide the cause).
 *
 * NEEDSWORK: no IF EXISTS variants, no DROP INDEX CONCURRENTLY and no
 * PostgreSQL 15 "SET NULL (columns)" action: the ABI has no field for them.
 * Identifiers are not checked for valid UTF-8; the server refuses bad bytes
 * online, but an offline script would carry them. */
#ifndef RUNNER_OPS_H
#define RUNNER_OPS_H

#include <stddef.h>
#include <stdio.h>

#include <runner/plugin.h>

#include "err.h"
#include "strbuf.h"

struct pg;      /* pg.h: the execution layer's connection */
struct ops_stmts;

/* An optional watcher of every statement the online ops run (runner test
 * --locks, lockwatch.h).  after() is called once per statement, from plain
 * code (never a loop callback), so it may query db itself; ok says whether
 * the statement succeeded, seconds how long it took.  While a watcher is
 * set and a transaction is open, op_execute() runs a script statement by
 * statement (sql_split.h), which inside a transaction means the same. */
struct ops_observer {
    void (*after)(void *arg, struct pg *db, const char *sql, int ok, double seconds);
    void *arg;              /* the watcher's; ops never read it */
};

/* PostgreSQL's identifier limit (NAMEDATALEN - 1 bytes).  Longer names are
 * refused instead of being truncated by the server with only a NOTICE, which
 * would make two long names silently address the same object. */
#define OPS_MAX_IDENT 63

/* Rows per INSERT online: the protocol allows at most 65535 parameters per
 * statement, and very long VALUES lists plan slowly. */
#define OPS_INSERT_MAX_PARAMS 65535
#define OPS_INSERT_MAX_ROWS 1000

enum ops_mode {
    OPS_ONLINE = 1,     /* statements run on db */
    OPS_OFFLINE,        /* statements are written to out */
};

/* The runner's side of a runner_op.  The caller owns it (usually on the
 * stack for the run of one revision); ops_init() / ops_sql_init() fill it. */
struct op_state {
    struct runner_op head;  /* first member: a plugin's runner_op * points here */
    enum ops_mode mode;
    const char *revision;   /* borrowed: revision id, for error context */
    const char *file;       /* borrowed: plugin path, for error context; may be NULL */
    struct pg *db;          /* online: borrowed connection; NULL offline */
    FILE *out;              /* offline: borrowed script stream; NULL online */
    FILE *log;              /* op_log() lines; stderr unless the caller sets it; borrowed */
    unsigned n_prepared;    /* offline: prepared statements named so far */
    const struct ops_observer *observer;  /* online, optional; borrowed; NULL: none */
    struct err err;         /* the first failure; ERR_OK while all went well */
    /* Runs (online) or writes (offline) one rendered statement: the only
     * difference between the modes for most ops.  Set by the init. */
    int (*emit)(struct op_state *st, const char *sql, struct err *e);
};

/* Online: ops run on db.  revision and file are borrowed and must outlive st. */
void ops_init(struct op_state *st, struct pg *db, const char *revision, const char *file);

/* Offline: ops are written to out (which must be open for writing). */
void ops_sql_init(struct op_state *st, FILE *out, const char *revision, const char *file);

/* The members both tables share (ops_common.c): render, then st->emit. */
/* Emit every statement of *s (then released), keeping the first failure. */
int ops_emit_stmts(struct op_state *st, const char *op_name, struct ops_stmts *s);
int ops_create_table(runner_op *op, const runner_table *t);
int ops_drop_table(runner_op *op, const char *schema, const char *table);
int ops_rename_table(runner_op *op, const char *schema, const char *table, const char *new_name);
int ops_add_column(runner_op *op, const char *schema, const char *table, const runner_column *c);
int ops_drop_column(runner_op *op, const char *schema, const char *table, const char *column);
int ops_alter_column(runner_op *op, const char *schema, const char *table, const char *column,
                     const runner_alter *a);
int ops_create_index(runner_op *op, const runner_index *ix);
int ops_drop_index(runner_op *op, const char *schema, const char *name);
int ops_create_constraint(runner_op *op, const char *schema, const char *table,
                          const runner_constraint *c);
int ops_drop_constraint(runner_op *op, const char *schema, const char *table, const char *name);
void ops_log(runner_op *op, const char *message);

/* The state behind a plugin's handle. */
static inline struct op_state *ops_state(runner_op *op)
{
    return (struct op_state *)op;
}

/* ------------------------------------------------------------------ */
/* Rendering (ops_render.c).  Pure: no I/O, no global state.            */

/* A list of rendered statements, each a malloc'd string without a
 * trailing ';'.  The caller owns it; ops_stmts_release() frees all. */
struct ops_stmts {
    char **sql;
    size_t n;
    size_t alloc;
};

#define OPS_STMTS_INIT { NULL, 0, 0 }

void ops_stmts_release(struct ops_stmts *s);

/* Append a quoted identifier (sql_quote_ident() of sql_quote.h) after
 * checking it: NULL, empty and over-long names are errors; `what` names the argument in
 * the message ("table name").  Returns 0 or -1. */
int ops_render_ident(struct strbuf *sb, const char *name, const char *what, struct err *e);

/* "schema"."name", or "name" when schema is NULL. */
int ops_render_qualified(struct strbuf *sb, const char *schema, const char *name,
                         const char *what, struct err *e);

/* Alembic's op.f naming for an unnamed index, ix_<table>_<col>[_<col>...],
 * shortened like SQLAlchemy when longer than OPS_MAX_IDENT characters:
 * the first 55 characters, '_' and the last 4 hex digits of its MD5.
 * Appends the bare (unquoted) name. */
int ops_render_index_name(struct strbuf *sb, const char *table,
                          const char *const *columns, struct err *e);

/* Each appends the statements of one op to *out: 0, or -1 with *e filled
 * and *out unchanged. */
int ops_render_create_table(struct ops_stmts *out, const runner_table *t, struct err *e);
int ops_render_drop_table(struct ops_stmts *out, const char *schema, const char *table,
                          struct err *e);
int ops_render_rename_table(struct ops_stmts *out, const char *schema, const char *table,
                            const char *new_name, struct err *e);
int ops_render_add_column(struct ops_stmts *out, const char *schema, const char *table,
                          const runner_column *c, struct err *e);
int ops_render_drop_column(struct ops_stmts *out, const char *schema, const char *table,
                           const char *column, struct err *e);
int ops_render_alter_column(struct ops_stmts *out, const char *schema, const char *table,
                            const char *column, const runner_alter *a, struct err *e);
int ops_render_create_index(struct ops_stmts *out, const runner_index *ix, struct err *e);
int ops_render_drop_index(struct ops_stmts *out, const char *schema, const char *name,
                          struct err *e);
int ops_render_create_constraint(struct ops_stmts *out, const char *schema, const char *table,
                                 const runner_constraint *c, struct err *e);
int ops_render_drop_constraint(struct ops_stmts *out, const char *schema, const char *table,
                               const char *name, struct err *e);

/* Bulk insert, offline: one INSERT per row with the values as literals. */
int ops_render_insert_literals(struct ops_stmts *out, const char *schema, const char *table,
                               const char *const *columns, const char *const *values,
                               size_t n_rows, struct err *e);

/* Bulk insert, online: one INSERT of n_rows rows of $1..$n placeholders,
 * row-major, for pg_exec_params.  Appends to *sb. */
int ops_render_insert_params(struct strbuf *sb, const char *schema, const char *table,
                             const char *const *columns, size_t n_rows, struct err *e);

/* Number of names in a NULL-terminated list (0 for NULL). */
size_t ops_count_names(const char *const *names);

/* ------------------------------------------------------------------ */
/* Bookkeeping shared by ops.c and ops_sql.c (in ops_render.c: no I/O). */

/* Whether st may run another op; -1 when an earlier op failed. */
int ops_check(struct op_state *st);

/* Keep *e as st's error with its context; returns -1.  A no-op when st
 * already holds an error (the first failure wins). */
int ops_fail(struct op_state *st, const char *op_name, const struct err *e);

#endif
