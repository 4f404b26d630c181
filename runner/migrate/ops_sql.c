/* ops_sql.c -- the offline op table (--sql): each op is rendered by
 * ops_render.c and written to a stream, each statement followed by ";\n\n"
 * as Alembic's offline mode writes them.  Nothing connects; op_pgconn()
 * returns NULL and op_is_offline() 1.  The online twin is ops.c; both render
 * the same statements, so a script equals what an online run executes. */
#include "ops.h"
#include "sql_quote.h"

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
        sql_quote_literal(&sb, params[i]);
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

static int offline_bulk_insert(runner_op *op, const char *schema, const char *table,
                               const char *const *columns, const char *const *values,
                               size_t n_rows)
{
    struct op_state *st = ops_state(op);
    struct ops_stmts s = OPS_STMTS_INIT;
    struct err e = ERR_INIT;

    if (ops_check(st) < 0)
        return -1;
    if (ops_render_insert_literals(&s, schema, table, columns, values, n_rows, &e) < 0)
        return ops_fail(st, "bulk_insert", &e);
    return ops_emit_stmts(st, "bulk_insert", &s);
}

static const struct runner_op_api offline_api = {
    .abi_version = RUNNER_ABI_VERSION,
    .size = sizeof(struct runner_op_api),
    .execute = offline_execute,
    .execute_params = offline_execute_params,
    .is_offline = offline_is_offline,
    .pgconn = offline_pgconn,
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
    .bulk_insert = offline_bulk_insert,
    .log = ops_log,
};

void ops_sql_init(struct op_state *st, FILE *out, const char *revision, const char *file)
{
    st->head.api = &offline_api;
    st->emit = write_stmt;
    st->mode = OPS_OFFLINE;
    st->revision = revision;
    st->file = file;
    st->db = NULL;
    st->out = out;
    st->log = stderr;
    st->n_prepared = 0;
    st->observer = NULL;
    err_clear(&st->err);
}
