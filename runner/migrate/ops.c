/* ops.c -- the online op table: each op is rendered by ops_render.c and
 * run on the connection by pg.c.  The offline twin is ops_sql.c.
 *
 * Rendered statements go through pg_exec_params() with no parameters, i.e.
 * the extended protocol, which refuses a string of several statements: a
 * `type` or `server_default` fragment cannot smuggle in a second statement.
 * op_execute() is the plugin's raw SQL and uses pg_exec() (simple protocol,
 * scripts allowed).  Transactions are the executor's. */
#include "ops.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "pg.h"
#include "sql_split.h"

/* Tell the watcher, if any, about one statement that began at t0. */
static void observe(struct op_state *st, const char *sql, int rc, uint64_t t0)
{
    if (st->observer && st->observer->after)
        st->observer->after(st->observer->arg, st->db, sql, rc == 0,
                            (double)(uv_hrtime() - t0) / 1e9);
}

static int exec_params_observed(struct op_state *st, const char *sql, int n_params,
                                const char *const *params, struct err *e)
{
    uint64_t t0 = uv_hrtime();
    int rc = pg_exec_params(st->db, sql, n_params, params, e);

    observe(st, sql, rc, t0);
    return rc;
}

/* Rendered statements go one at a time through the extended protocol,
 * which refuses a second statement smuggled into a fragment. */
static int online_emit(struct op_state *st, const char *sql, struct err *e)
{
    return exec_params_observed(st, sql, 0, NULL, e);
}

/* A script, watched: statement by statement, but only inside a
 * transaction.  Outside one the server runs a script as one implicit
 * transaction (CREATE INDEX CONCURRENTLY refuses it), so cutting it there
 * would change what the revision does. */
static int exec_observed(struct op_state *st, const char *sql, struct err *e)
{
    struct sql_split parts = SQL_SPLIT_INIT;
    uint64_t t0 = uv_hrtime();
    int rc = 0;

    /* the watcher reads the transaction state: a queued BEGIN goes first */
    if (st->observer && pg_lead_flush(st->db, e) < 0) {
        observe(st, sql, -1, t0);
        return -1;
    }
    if (!st->observer || PQtransactionStatus(pg_conn(st->db)) != PQTRANS_INTRANS ||
        sql_split(sql, &parts) < 0 || parts.n < 2) {
        sql_split_release(&parts);
        rc = pg_exec(st->db, sql, e);
        observe(st, sql, rc, t0);
        return rc;
    }
    for (size_t i = 0; i < parts.n && rc == 0; i++) {
        t0 = uv_hrtime();
        rc = pg_exec(st->db, parts.stmts[i], e);
        observe(st, parts.stmts[i], rc, t0);
    }
    sql_split_release(&parts);
    return rc;
}

/* The plugin's SQL may have reset what the run keeps in its session: the
 * prepared statements (DEALLOCATE, DISCARD ALL), the migration lock
 * (DISCARD ALL, pg_advisory_unlock_all()).  The words are enough to look
 * (pg_session_disturbed(): the step checks the lock before it records
 * the revision); a false alarm (the word in a string) costs a Parse and
 * a round trip.  A function that does it unseen is not caught. */
static void after_plugin_sql(struct op_state *st, const char *sql)
{
    if (strcasestr(sql, "dealloc") || strcasestr(sql, "discard") || strcasestr(sql, "unlock"))
        pg_session_disturbed(st->db);
}

static int online_execute(runner_op *op, const char *sql)
{
    struct op_state *st = ops_state(op);
    struct err e = ERR_INIT;
    int rc;

    if (ops_check(st) < 0)
        return -1;
    if (!sql) {
        err_set(&e, ERR_FAIL, "missing sql");
        return ops_fail(st, "execute", &e);
    }
    rc = exec_observed(st, sql, &e);
    after_plugin_sql(st, sql);
    if (rc < 0)
        return ops_fail(st, "execute", &e);
    return 0;
}

static int online_execute_params(runner_op *op, const char *sql, int n_params,
                                 const char *const *params)
{
    struct op_state *st = ops_state(op);
    struct err e = ERR_INIT;

    if (ops_check(st) < 0)
        return -1;
    if (!sql)
        err_set(&e, ERR_FAIL, "missing sql");
    else if (n_params < 0 || n_params > OPS_INSERT_MAX_PARAMS)
        err_set(&e, ERR_FAIL, "invalid number of parameters %d", n_params);
    else if (n_params > 0 && !params)
        err_set(&e, ERR_FAIL, "missing parameters");
    else {
        int rc = exec_params_observed(st, sql, n_params, params, &e);

        after_plugin_sql(st, sql);
        if (rc == 0)
            return 0;
    }
    return ops_fail(st, "execute_params", &e);
}

static int online_is_offline(const runner_op *op)
{
    (void)op;
    return 0;
}

/* The plugin sees the raw connection: a BEGIN still queued goes out
 * first, so that what it runs is inside the revision's transaction; what
 * it runs there may drop the session's prepared statements. */
static void *online_pgconn(runner_op *op)
{
    struct op_state *st = ops_state(op);
    struct err e = ERR_INIT;

    if (pg_lead_flush(st->db, &e) < 0) {
        ops_fail(st, "pgconn", &e);
        return NULL;
    }
    pg_session_disturbed(st->db);
    return pg_conn(st->db);
}

/* The values travel as text parameters, never spliced into the SQL; rows
 * go in chunks that keep each statement under the protocol's parameter
 * limit. */
static int online_bulk_insert(runner_op *op, const char *schema, const char *table,
                              const char *const *columns, const char *const *values,
                              size_t n_rows)
{
    struct op_state *st = ops_state(op);
    struct ops_stmts check = OPS_STMTS_INIT;
    struct strbuf sb = STRBUF_INIT;
    struct err e = ERR_INIT;
    size_t n_cols = ops_count_names(columns);
    size_t chunk;

    if (ops_check(st) < 0)
        return -1;
    /* Validates the names (and values) even when there are no rows. */
    if (ops_render_insert_literals(&check, schema, table, columns, values, 0, &e) < 0)
        return ops_fail(st, "bulk_insert", &e);
    if (n_rows && !values) {
        err_set(&e, ERR_FAIL, "missing values for %zu row%s", n_rows, n_rows == 1 ? "" : "s");
        return ops_fail(st, "bulk_insert", &e);
    }
    chunk = OPS_INSERT_MAX_PARAMS / n_cols;
    if (chunk > OPS_INSERT_MAX_ROWS)
        chunk = OPS_INSERT_MAX_ROWS;
    for (size_t r = 0; r < n_rows; r += chunk) {
        size_t k = n_rows - r < chunk ? n_rows - r : chunk;

        strbuf_reset(&sb);
        if (ops_render_insert_params(&sb, schema, table, columns, k, &e) < 0 ||
            exec_params_observed(st, strbuf_str(&sb), (int)(k * n_cols), values + r * n_cols,
                                 &e) < 0) {
            strbuf_release(&sb);
            return ops_fail(st, "bulk_insert", &e);
        }
    }
    strbuf_release(&sb);
    return 0;
}

static const struct runner_op_api online_api = {
    .abi_version = RUNNER_ABI_VERSION,
    .size = sizeof(struct runner_op_api),
    .execute = online_execute,
    .execute_params = online_execute_params,
    .is_offline = online_is_offline,
    .pgconn = online_pgconn,
    .create_table = ops_create_table,
    .drop_table = ops_drop_table,
    .rename_table = ops_rename_table,
    .add_column = ops_add_column,
    .drop_column = ops_drop_column,
    .alter_column = ops_alter_column,
    .create_index = ops_create_index,
    .drop_index = ops_drop_index,
    .create_constraint = ops_create_constraint,
    .drop_constraint = ops_drop_constraint,
    .bulk_insert = online_bulk_insert,
    .log = ops_log,
};

void ops_init(struct op_state *st, struct pg *db, const char *revision, const char *file)
{
    st->head.api = &online_api;
    st->emit = online_emit;
    st->mode = OPS_ONLINE;
    st->revision = revision;
    st->file = file;
    st->db = db;
    st->out = NULL;
    st->log = stderr;
    st->n_prepared = 0;
    st->observer = NULL;
    err_clear(&st->err);
}
