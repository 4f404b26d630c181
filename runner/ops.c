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

#include "pg.h"

static int run_stmts(struct op_state *st, const char *op_name, struct ops_stmts *s)
{
    struct err e = ERR_INIT;
    int ret = 0;

    for (size_t i = 0; i < s->n; i++) {
        if (pg_exec_params(st->db, s->sql[i], 0, NULL, &e) < 0) {
            ret = ops_fail(st, op_name, &e);
            break;
        }
    }
    ops_stmts_release(s);
    return ret;
}

/* The common shape: refuse after a failure, render, run. */
#define OPS_RUN(st, op_name, render_call)                       \
    do {                                                        \
        struct ops_stmts s_ = OPS_STMTS_INIT;                   \
        struct err e_ = ERR_INIT;                               \
        if (ops_check(st) < 0)                                  \
            return -1;                                          \
        if ((render_call) < 0)                                  \
            return ops_fail(st, op_name, &e_);                  \
        return run_stmts(st, op_name, &s_);                     \
    } while (0)

static int online_execute(runner_op *op, const char *sql)
{
    struct op_state *st = ops_state(op);
    struct err e = ERR_INIT;

    if (ops_check(st) < 0)
        return -1;
    if (!sql) {
        err_set(&e, ERR_FAIL, "missing sql");
        return ops_fail(st, "execute", &e);
    }
    if (pg_exec(st->db, sql, &e) < 0)
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
    else if (pg_exec_params(st->db, sql, n_params, params, &e) == 0)
        return 0;
    return ops_fail(st, "execute_params", &e);
}

static int online_is_offline(const runner_op *op)
{
    (void)op;
    return 0;
}

static void *online_pgconn(runner_op *op)
{
    return pg_conn(ops_state(op)->db);
}

static int online_create_table(runner_op *op, const runner_table *t)
{
    OPS_RUN(ops_state(op), "create_table", ops_render_create_table(&s_, t, &e_));
}

static int online_drop_table(runner_op *op, const char *schema, const char *table)
{
    OPS_RUN(ops_state(op), "drop_table", ops_render_drop_table(&s_, schema, table, &e_));
}

static int online_rename_table(runner_op *op, const char *schema, const char *table,
                               const char *new_name)
{
    OPS_RUN(ops_state(op), "rename_table",
            ops_render_rename_table(&s_, schema, table, new_name, &e_));
}

static int online_add_column(runner_op *op, const char *schema, const char *table,
                             const runner_column *c)
{
    OPS_RUN(ops_state(op), "add_column", ops_render_add_column(&s_, schema, table, c, &e_));
}

static int online_drop_column(runner_op *op, const char *schema, const char *table,
                              const char *column)
{
    OPS_RUN(ops_state(op), "drop_column",
            ops_render_drop_column(&s_, schema, table, column, &e_));
}

static int online_alter_column(runner_op *op, const char *schema, const char *table,
                               const char *column, const runner_alter *a)
{
    OPS_RUN(ops_state(op), "alter_column",
            ops_render_alter_column(&s_, schema, table, column, a, &e_));
}

static int online_create_index(runner_op *op, const runner_index *ix)
{
    OPS_RUN(ops_state(op), "create_index", ops_render_create_index(&s_, ix, &e_));
}

static int online_drop_index(runner_op *op, const char *schema, const char *name)
{
    OPS_RUN(ops_state(op), "drop_index", ops_render_drop_index(&s_, schema, name, &e_));
}

static int online_create_constraint(runner_op *op, const char *schema, const char *table,
                                    const runner_constraint *c)
{
    OPS_RUN(ops_state(op), "create_constraint",
            ops_render_create_constraint(&s_, schema, table, c, &e_));
}

static int online_drop_constraint(runner_op *op, const char *schema, const char *table,
                                  const char *name)
{
    OPS_RUN(ops_state(op), "drop_constraint",
            ops_render_drop_constraint(&s_, schema, table, name, &e_));
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
            pg_exec_params(st->db, strbuf_str(&sb), (int)(k * n_cols), values + r * n_cols,
                           &e) < 0) {
            strbuf_release(&sb);
            return ops_fail(st, "bulk_insert", &e);
        }
    }
    strbuf_release(&sb);
    return 0;
}

static void online_log(runner_op *op, const char *message)
{
    struct op_state *st = ops_state(op);
    FILE *log = st->log ? st->log : stderr;

    fprintf(log, "runner: revision %s: ", st->revision ? st->revision : "?");
    /* One line per call, whatever the plugin passed. */
    for (const char *p = message ? message : ""; *p; p++)
        fputc(*p == '\n' || *p == '\r' ? ' ' : *p, log);
    fputc('\n', log);
}

static const struct runner_op_api online_api = {
    .abi_version = RUNNER_ABI_VERSION,
    .size = sizeof(struct runner_op_api),
    .execute = online_execute,
    .execute_params = online_execute_params,
    .is_offline = online_is_offline,
    .pgconn = online_pgconn,
    .create_table = online_create_table,
    .drop_table = online_drop_table,
    .rename_table = online_rename_table,
    .add_column = online_add_column,
    .drop_column = online_drop_column,
    .alter_column = online_alter_column,
    .create_index = online_create_index,
    .drop_index = online_drop_index,
    .create_constraint = online_create_constraint,
    .drop_constraint = online_drop_constraint,
    .bulk_insert = online_bulk_insert,
    .log = online_log,
};

void ops_init(struct op_state *st, struct pg *db, const char *revision, const char *file)
{
    st->head.api = &online_api;
    st->mode = OPS_ONLINE;
    st->revision = revision;
    st->file = file;
    st->db = db;
    st->out = NULL;
    st->log = stderr;
    st->n_prepared = 0;
    err_clear(&st->err);
}
