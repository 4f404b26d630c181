/* ops_sql.c -- the offline op table (--sql): each op is rendered by
 * ops_render.c and written to a stream, each statement followed by ";\n\n"
 * as Alembic's offline mode writes them.  Nothing connects; op_pgconn()
 * returns NULL and op_is_offline() 1.  The online twin is ops.c; both render
 * the same statements, so a script equals what an online run executes. */
#include "ops.h"

#include <errno.h>
#include <string.h>

/* Write one statement and its terminator.  Trailing blanks and semicolons
 * are dropped; when the last line holds "--" the ';' goes on a line of its
 * own, so a trailing line comment cannot swallow it. */
static int write_stmt(struct op_state *st, const char *sql, struct err *e)
{
    size_t len = strlen(sql);
    const char *last_line;

    while (len > 0 && strchr(" \t\r\n;", sql[len - 1]))
        len--;
    last_line = sql + len;
    while (last_line > sql && last_line[-1] != '\n')
        last_line--;
    if (len == 0)
        return err_set(e, ERR_FAIL, "empty sql");
    errno = 0;
    if (fwrite(sql, 1, len, st->out) != len)
        goto fail;
    if (memmem(last_line, (size_t)(sql + len - last_line), "--", 2) && fputc('\n', st->out) == EOF)
        goto fail;
    if (fputs(";\n\n", st->out) == EOF)
        goto fail;
    return 0;
fail:
    return err_set(e, ERR_FAIL, "cannot write the sql script: %s",
                   errno ? strerror(errno) : "write error");
}

static int write_stmts(struct op_state *st, const char *op_name, struct ops_stmts *s)
{
    struct err e = ERR_INIT;
    int ret = 0;

    for (size_t i = 0; i < s->n; i++) {
        if (write_stmt(st, s->sql[i], &e) < 0) {
            ret = ops_fail(st, op_name, &e);
            break;
        }
    }
    ops_stmts_release(s);
    return ret;
}

/* The common shape: refuse after a failure, render, write. */
#define OPS_SQL_RUN(st, op_name, render_call)                   \
    do {                                                        \
        struct ops_stmts s_ = OPS_STMTS_INIT;                   \
        struct err e_ = ERR_INIT;                               \
        if (ops_check(st) < 0)                                  \
            return -1;                                          \
        if ((render_call) < 0)                                  \
            return ops_fail(st, op_name, &e_);                  \
        return write_stmts(st, op_name, &s_);                   \
    } while (0)

static int offline_execute(runner_op *op, const char *sql)
{
    struct op_state *st = ops_state(op);
    struct err e = ERR_INIT;

    if (ops_check(st) < 0)
        return -1;
    if (!sql) {
        err_set(&e, ERR_FAIL, "missing sql");
        return ops_fail(st, "execute", &e);
    }
    if (write_stmt(st, sql, &e) < 0)
        return ops_fail(st, "execute", &e);
    return 0;
}

/* A script cannot bind parameters, and splicing them into the text would
 * need a SQL lexer to find the $n.  PREPARE / EXECUTE / DEALLOCATE means
 * exactly what the online PQexecParams() means (types inferred the same
 * way, one statement only), with the values as escaped literals. */
static int offline_execute_params(runner_op *op, const char *sql, int n_params,
                                  const char *const *params)
{
    struct op_state *st = ops_state(op);
    struct strbuf sb = STRBUF_INIT;
    struct err e = ERR_INIT;
    unsigned id;

    if (ops_check(st) < 0)
        return -1;
    if (!sql)
        err_set(&e, ERR_FAIL, "missing sql");
    else if (n_params < 0 || n_params > OPS_INSERT_MAX_PARAMS)
        err_set(&e, ERR_FAIL, "invalid number of parameters %d", n_params);
    else if (n_params > 0 && !params)
        err_set(&e, ERR_FAIL, "missing parameters");
    else if (n_params == 0 && write_stmt(st, sql, &e) == 0)
        return 0;
    if (e.code != ERR_OK)
        return ops_fail(st, "execute_params", &e);

    id = ++st->n_prepared;
    strbuf_addf(&sb, "PREPARE runner_p%u AS ", id);
    strbuf_adds(&sb, sql);
    if (strbuf_failed(&sb)) {
        err_set(&e, ERR_FAIL, "out of memory");
        goto fail;
    }
    if (write_stmt(st, strbuf_str(&sb), &e) < 0)
        goto fail;
    strbuf_reset(&sb);
    strbuf_addf(&sb, "EXECUTE runner_p%u(", id);
    for (int i = 0; i < n_params; i++) {
        if (i)
            strbuf_adds(&sb, ", ");
        ops_render_literal(&sb, params[i]);
    }
    strbuf_addch(&sb, ')');
    if (strbuf_failed(&sb)) {
        err_set(&e, ERR_FAIL, "out of memory");
        goto fail;
    }
    if (write_stmt(st, strbuf_str(&sb), &e) < 0)
        goto fail;
    strbuf_reset(&sb);
    strbuf_addf(&sb, "DEALLOCATE runner_p%u", id);
    if (write_stmt(st, strbuf_str(&sb), &e) < 0)
        goto fail;
    strbuf_release(&sb);
    return 0;
fail:
    strbuf_release(&sb);
    return ops_fail(st, "execute_params", &e);
}

static int offline_is_offline(const runner_op *op)
{
    (void)op;
    return 1;
}

static void *offline_pgconn(runner_op *op)
{
    (void)op;
    return NULL;
}

static int offline_create_table(runner_op *op, const runner_table *t)
{
    OPS_SQL_RUN(ops_state(op), "create_table", ops_render_create_table(&s_, t, &e_));
}

static int offline_drop_table(runner_op *op, const char *schema, const char *table)
{
    OPS_SQL_RUN(ops_state(op), "drop_table", ops_render_drop_table(&s_, schema, table, &e_));
}

static int offline_rename_table(runner_op *op, const char *schema, const char *table,
                                const char *new_name)
{
    OPS_SQL_RUN(ops_state(op), "rename_table",
                ops_render_rename_table(&s_, schema, table, new_name, &e_));
}

static int offline_add_column(runner_op *op, const char *schema, const char *table,
                              const runner_column *c)
{
    OPS_SQL_RUN(ops_state(op), "add_column", ops_render_add_column(&s_, schema, table, c, &e_));
}

static int offline_drop_column(runner_op *op, const char *schema, const char *table,
                               const char *column)
{
    OPS_SQL_RUN(ops_state(op), "drop_column",
                ops_render_drop_column(&s_, schema, table, column, &e_));
}

static int offline_alter_column(runner_op *op, const char *schema, const char *table,
                                const char *column, const runner_alter *a)
{
    OPS_SQL_RUN(ops_state(op), "alter_column",
                ops_render_alter_column(&s_, schema, table, column, a, &e_));
}

static int offline_create_index(runner_op *op, const runner_index *ix)
{
    OPS_SQL_RUN(ops_state(op), "create_index", ops_render_create_index(&s_, ix, &e_));
}

static int offline_drop_index(runner_op *op, const char *schema, const char *name)
{
    OPS_SQL_RUN(ops_state(op), "drop_index", ops_render_drop_index(&s_, schema, name, &e_));
}

static int offline_create_constraint(runner_op *op, const char *schema, const char *table,
                                     const runner_constraint *c)
{
    OPS_SQL_RUN(ops_state(op), "create_constraint",
                ops_render_create_constraint(&s_, schema, table, c, &e_));
}

static int offline_drop_constraint(runner_op *op, const char *schema, const char *table,
                                   const char *name)
{
    OPS_SQL_RUN(ops_state(op), "drop_constraint",
                ops_render_drop_constraint(&s_, schema, table, name, &e_));
}

/* One INSERT per row with literal values, as Alembic's offline bulk_insert. */
static int offline_bulk_insert(runner_op *op, const char *schema, const char *table,
                               const char *const *columns, const char *const *values,
                               size_t n_rows)
{
    OPS_SQL_RUN(ops_state(op), "bulk_insert",
                ops_render_insert_literals(&s_, schema, table, columns, values, n_rows, &e_));
}

static void offline_log(runner_op *op, const char *message)
{
    struct op_state *st = ops_state(op);
    FILE *log = st->log ? st->log : stderr;

    fprintf(log, "runner: revision %s: ", st->revision ? st->revision : "?");
    /* One line per call, whatever the plugin passed. */
    for (const char *p = message ? message : ""; *p; p++)
        fputc(*p == '\n' || *p == '\r' ? ' ' : *p, log);
    fputc('\n', log);
}

static const struct runner_op_api offline_api = {
    .abi_version = RUNNER_ABI_VERSION,
    .size = sizeof(struct runner_op_api),
    .execute = offline_execute,
    .execute_params = offline_execute_params,
    .is_offline = offline_is_offline,
    .pgconn = offline_pgconn,
    .create_table = offline_create_table,
    .drop_table = offline_drop_table,
    .rename_table = offline_rename_table,
    .add_column = offline_add_column,
    .drop_column = offline_drop_column,
    .alter_column = offline_alter_column,
    .create_index = offline_create_index,
    .drop_index = offline_drop_index,
    .create_constraint = offline_create_constraint,
    .drop_constraint = offline_drop_constraint,
    .bulk_insert = offline_bulk_insert,
    .log = offline_log,
};

void ops_sql_init(struct op_state *st, FILE *out, const char *revision, const char *file)
{
    st->head.api = &offline_api;
    st->mode = OPS_OFFLINE;
    st->revision = revision;
    st->file = file;
    st->db = NULL;
    st->out = out;
    st->log = stderr;
    st->n_prepared = 0;
    err_clear(&st->err);
}
