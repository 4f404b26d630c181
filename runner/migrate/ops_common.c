/* ops_common.c -- the ops whose two modes differ only in what happens to
 * a rendered statement: ops_render.c renders, then st->emit runs it
 * (ops.c: pg_exec_params) or writes it (ops_sql.c: the --sql script).  Both
 * function tables point here for these members. */
#include "ops.h"

#include <stdio.h>

int ops_emit_stmts(struct op_state *st, const char *op_name, struct ops_stmts *s)
{
    struct err e = ERR_INIT;
    int ret = 0;

    for (size_t i = 0; i < s->n; i++) {
        if (st->emit(st, s->sql[i], &e) < 0) {
            ret = ops_fail(st, op_name, &e);
            break;
        }
    }
    ops_stmts_release(s);
    return ret;
}

/* The common shape: refuse after a failure, render, emit. */
#define OPS_EMIT(st, op_name, render_call)                      \
    do {                                                        \
        struct ops_stmts s_ = OPS_STMTS_INIT;                   \
        struct err e_ = ERR_INIT;                               \
        if (ops_check(st) < 0)                                  \
            return -1;                                          \
        if ((render_call) < 0)                                  \
            return ops_fail(st, op_name, &e_);                  \
        return ops_emit_stmts(st, op_name, &s_);                    \
    } while (0)

int ops_create_table(runner_op *op, const runner_table *t)
{
    OPS_EMIT(ops_state(op), "create_table", ops_render_create_table(&s_, t, &e_));
}

int ops_drop_table(runner_op *op, const char *schema, const char *table)
{
    OPS_EMIT(ops_state(op), "drop_table", ops_render_drop_table(&s_, schema, table, &e_));
}

int ops_rename_table(runner_op *op, const char *schema, const char *table,
                     const char *new_name)
{
    OPS_EMIT(ops_state(op), "rename_table",
             ops_render_rename_table(&s_, schema, table, new_name, &e_));
}

int ops_add_column(runner_op *op, const char *schema, const char *table,
                   const runner_column *c)
{
    OPS_EMIT(ops_state(op), "add_column", ops_render_add_column(&s_, schema, table, c, &e_));
}

int ops_drop_column(runner_op *op, const char *schema, const char *table,
                    const char *column)
{
    OPS_EMIT(ops_state(op), "drop_column",
             ops_render_drop_column(&s_, schema, table, column, &e_));
}

int ops_alter_column(runner_op *op, const char *schema, const char *table,
                     const char *column, const runner_alter *a)
{
    OPS_EMIT(ops_state(op), "alter_column",
             ops_render_alter_column(&s_, schema, table, column, a, &e_));
}

int ops_create_index(runner_op *op, const runner_index *ix)
{
    OPS_EMIT(ops_state(op), "create_index", ops_render_create_index(&s_, ix, &e_));
}

int ops_drop_index(runner_op *op, const char *schema, const char *name)
{
    OPS_EMIT(ops_state(op), "drop_index", ops_render_drop_index(&s_, schema, name, &e_));
}

int ops_create_constraint(runner_op *op, const char *schema, const char *table,
                          const runner_constraint *c)
{
    OPS_EMIT(ops_state(op), "create_constraint",
             ops_render_create_constraint(&s_, schema, table, c, &e_));
}

int ops_drop_constraint(runner_op *op, const char *schema, const char *table,
                        const char *name)
{
    OPS_EMIT(ops_state(op), "drop_constraint",
             ops_render_drop_constraint(&s_, schema, table, name, &e_));
}

void ops_log(runner_op *op, const char *message)
{
    struct op_state *st = ops_state(op);
    FILE *log = st->log ? st->log : stderr;

    fprintf(log, "runner: revision %s: ", st->revision ? st->revision : "?");
    /* One line per call, whatever the plugin passed. */
    for (const char *p = message ? message : ""; *p; p++)
        fputc(*p == '\n' || *p == '\r' ? ' ' : *p, log);
    fputc('\n', log);
}
