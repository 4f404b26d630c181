/* codegen.c -- a diff as op_* calls in C (see codegen.h). */
#include "codegen.h"

#include <stdlib.h>
#include <string.h>

#include "c_escape.h"
#include "schema.h"
#include "sql_quote.h"

#define IND "    "

/* `.field = "value", ` when value is set. */
static void field(struct strbuf *sb, const char *name, const char *value)
{
    if (!value)
        return;
    strbuf_addf(sb, ".%s = ", name);
    c_escape_literal(sb, value);
    strbuf_adds(sb, ", ");
}

/* `.field = "value",` on a line of its own, in a create_table. */
static void line_field(struct strbuf *sb, const char *name, const char *value)
{
    strbuf_addf(sb, IND IND IND ".%s = ", name);
    c_escape_literal(sb, value);
    strbuf_adds(sb, ",\n");
}

/* The schema argument: NULL for the default schema. */
static void schema_arg(struct strbuf *sb, const char *schema)
{
    c_escape_literal(sb, schema && strcmp(schema, SCHEMA_DEFAULT) != 0 ? schema : NULL);
}

static void names(struct strbuf *sb, char *const *list, size_t n)
{
    strbuf_adds(sb, "RUNNER_NAMES(");
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_adds(sb, ", ");
        c_escape_literal(sb, list[i]);
    }
    strbuf_addch(sb, ')');
}

/* Trim the ", " that field() leaves before a closing brace. */
static void close_brace(struct strbuf *sb)
{
    if (sb->len >= 2 && sb->buf[sb->len - 2] == ',' && sb->buf[sb->len - 1] == ' ')
        sb->len -= 2, sb->buf[sb->len] = '\0';
    strbuf_adds(sb, " }");
}

/* "serial" for an autoincrement integer, else the short type. */
static char *column_type(const struct schema_column *c)
{
    if (c->identity) {
        /* an identity column read from the database stays one */
        struct strbuf sb = STRBUF_INIT;
        char *type = schema_type_display(c->type);

        if (!type)
            return NULL;
        strbuf_addf(&sb, "%s GENERATED %s AS IDENTITY", type,
                    c->identity == 'a' ? "ALWAYS" : "BY DEFAULT");
        free(type);
        return strbuf_detach(&sb);
    }
    if (c->autoincrement) {
        if (strcmp(c->type, "integer") == 0)
            return strdup("serial");
        if (strcmp(c->type, "bigint") == 0)
            return strdup("bigserial");
        if (strcmp(c->type, "smallint") == 0)
            return strdup("smallserial");
    }
    return schema_type_display(c->type);
}

/* { .name = ..., .type = ..., ... } of a runner_column. */
static int column_init(struct strbuf *sb, const struct schema_column *c, int primary_key)
{
    char *type = column_type(c);
    const char *def = c->server_default;

    if (!type)
        return -1;
    if (c->autoincrement && schema_default_is_sequence(def))
        def = NULL;         /* the SERIAL makes its own sequence */
    strbuf_adds(sb, "{ ");
    field(sb, "name", c->name);
    field(sb, "type", type);
    if (c->not_null && !primary_key)
        strbuf_adds(sb, ".not_null = 1, ");
    if (primary_key)
        strbuf_adds(sb, ".primary_key = 1, ");
    field(sb, "server_default", def);
    field(sb, "comment", c->comment);
    close_brace(sb);
    free(type);
    return 0;
}

static const char *const kind_names[] = {
    [SCHEMA_PRIMARY_KEY] = "RUNNER_PRIMARY_KEY",
    [SCHEMA_UNIQUE] = "RUNNER_UNIQUE",
    [SCHEMA_FOREIGN_KEY] = "RUNNER_FOREIGN_KEY",
    [SCHEMA_CHECK] = "RUNNER_CHECK",
};

static void constraint_init(struct strbuf *sb, const struct schema_constraint *c)
{
    strbuf_addf(sb, "{ .kind = %s, ", kind_names[c->kind]);
    field(sb, "name", c->name);
    if (c->kind != SCHEMA_CHECK) {
        strbuf_adds(sb, ".columns = ");
        names(sb, c->columns, c->n_columns);
        strbuf_adds(sb, ", ");
    }
    if (c->kind == SCHEMA_FOREIGN_KEY) {
        if (c->ref_schema && strcmp(c->ref_schema, SCHEMA_DEFAULT) != 0)
            field(sb, "ref_schema", c->ref_schema);
        field(sb, "ref_table", c->ref_table);
        strbuf_adds(sb, ".ref_columns = ");
        names(sb, c->ref_columns, c->n_ref_columns);
        strbuf_adds(sb, ", ");
        field(sb, "on_delete", c->on_delete);
        field(sb, "on_update", c->on_update);
    }
    if (c->kind == SCHEMA_CHECK)
        field(sb, "check", c->check);
    close_brace(sb);
}

/* The primary key can ride on the columns (.primary_key = 1) when it has
 * PostgreSQL's default name and lists its columns in table order. */
static int pk_on_columns(const struct schema_table *t, const struct schema_constraint *pk)
{
    char *want;
    size_t k = 0;
    int ok;

    if (!pk)
        return 0;
    want = schema_default_constraint_name(t->name, NULL, 0, "pkey");
    ok = want && strcmp(want, pk->name) == 0;
    free(want);
    for (size_t i = 0; ok && i < t->n_columns; i++)
        if (k < pk->n_columns && strcmp(t->columns[i].name, pk->columns[k]) == 0)
            k++;
    return ok && k == pk->n_columns;
}

static int is_pk_column(const struct schema_constraint *pk, const char *name)
{
    for (size_t i = 0; pk && i < pk->n_columns; i++)
        if (strcmp(pk->columns[i], name) == 0)
            return 1;
    return 0;
}

static void call_end(struct strbuf *sb)
{
    strbuf_adds(sb, ") < 0)\n" IND IND "return -1;\n");
}

/* IND "if (<fn>(op, <schema>, \"<name>\"": the head all the calls on one
 * table (or index) share; the caller adds the rest and call_end(). */
static void call_head(struct strbuf *sb, const char *fn, const char *schema, const char *name)
{
    strbuf_addf(sb, IND "if (%s(op, ", fn);
    schema_arg(sb, schema);
    strbuf_adds(sb, ", ");
    c_escape_literal(sb, name);
}

static int render_create_table(struct strbuf *sb, const struct diff_op *op)
{
    const struct schema_table *t = op->table;
    const struct schema_constraint *pk = schema_primary_key(t);
    int pk_cols = pk_on_columns(t, pk);
    int any = 0;

    strbuf_adds(sb, IND "if (op_create_table(op, &(const runner_table){\n");
    if (strcmp(t->schema, SCHEMA_DEFAULT) != 0)
        line_field(sb, "schema", t->schema);
    line_field(sb, "name", t->name);
    strbuf_adds(sb, IND IND IND ".columns = RUNNER_COLUMNS(");
    for (size_t i = 0; i < t->n_columns; i++) {
        strbuf_adds(sb, i ? ",\n" : "\n");
        strbuf_adds(sb, IND IND IND IND);
        if (column_init(sb, &t->columns[i], pk_cols && is_pk_column(pk, t->columns[i].name)) < 0)
            return -1;
    }
    strbuf_adds(sb, "),\n");
    for (size_t i = 0; i < t->n_constraints; i++) {
        const struct schema_constraint *c = &t->constraints[i];

        if ((c == pk && pk_cols) || (c->kind == SCHEMA_FOREIGN_KEY && op->separate_fks))
            continue;
        strbuf_adds(sb, any ? ",\n" : IND IND IND ".constraints = RUNNER_CONSTRAINTS(\n");
        strbuf_adds(sb, IND IND IND IND);
        constraint_init(sb, c);
        any = 1;
    }
    if (any)
        strbuf_adds(sb, "),\n");
    if (t->comment)
        line_field(sb, "comment", t->comment);
    strbuf_adds(sb, IND IND "}");
    call_end(sb);
    return 0;
}

static void qualified(struct strbuf *sb, const char *schema, const char *name);

static int render_alter(struct strbuf *sb, const struct diff_op *op)
{
    const struct schema_table *t = op->table;
    const struct schema_column *to = op->column;

    if (op->alter & (DIFF_ALTER_TYPE | DIFF_ALTER_NULLABLE | DIFF_ALTER_DEFAULT)) {
        strbuf_adds(sb, IND "if (op_alter_column(op, ");
        schema_arg(sb, t->schema);
        strbuf_adds(sb, ", ");
        c_escape_literal(sb, t->name);
        strbuf_adds(sb, ", ");
        c_escape_literal(sb, to->name);
        strbuf_adds(sb, ", &(const runner_alter){ ");
        if (op->alter & DIFF_ALTER_TYPE) {
            char *type = schema_type_display(to->type);

            if (!type)
                return -1;
            field(sb, "type", type);
            free(type);
        }
        if (op->alter & DIFF_ALTER_NULLABLE)
            strbuf_addf(sb, ".nullable = %s, ",
                        to->not_null ? "RUNNER_SET_NOT_NULL" : "RUNNER_SET_NULLABLE");
        if (op->alter & DIFF_ALTER_DEFAULT) {
            if (to->server_default)
                field(sb, "server_default", to->server_default);
            else
                strbuf_adds(sb, ".drop_default = 1, ");
        }
        close_brace(sb);
        call_end(sb);
    }
    if (op->alter & DIFF_ALTER_COMMENT) {
        struct strbuf sql = STRBUF_INIT;

        strbuf_adds(&sql, "COMMENT ON COLUMN ");
        qualified(&sql, t->schema, t->name);
        strbuf_addch(&sql, '.');
        sql_quote_ident(&sql, to->name);
        strbuf_adds(&sql, " IS ");
        if (to->comment && *to->comment)
            sql_quote_literal(&sql, to->comment);
        else
            strbuf_adds(&sql, "NULL");
        strbuf_adds(sb, IND "if (op_execute(op, ");
        c_escape_literal(sb, strbuf_str(&sql));
        call_end(sb);
        strbuf_release(&sql);
    }
    return 0;
}

static void render_create_index(struct strbuf *sb, const struct diff_op *op)
{
    const struct schema_index *ix = op->index;
    int has_expr = 0;

    for (size_t i = 0; i < ix->n_columns; i++)
        has_expr |= ix->is_expr[i];
    if (has_expr && ix->definition) {
        /* an expression index read from the database: its own DDL */
        strbuf_adds(sb, IND "if (op_execute(op, ");
        c_escape_literal(sb, ix->definition);
        call_end(sb);
        return;
    }
    strbuf_adds(sb, IND "if (op_create_index(op, &(const runner_index){ ");
    field(sb, "name", ix->name);
    if (strcmp(op->table->schema, SCHEMA_DEFAULT) != 0)
        field(sb, "schema", op->table->schema);
    field(sb, "table", op->table->name);
    strbuf_adds(sb, ".columns = ");
    names(sb, ix->columns, ix->n_columns);
    strbuf_adds(sb, ", ");
    if (ix->unique)
        strbuf_adds(sb, ".unique = 1, ");
    field(sb, "where", ix->where);
    close_brace(sb);
    call_end(sb);
}

/* op_execute(op, "<sql>") for the statements no op_* helper covers. */
static void execute(struct strbuf *sb, const struct strbuf *sql)
{
    strbuf_adds(sb, IND "if (op_execute(op, ");
    c_escape_literal(sb, strbuf_str(sql));
    call_end(sb);
}

/* "name" or "schema"."name" */
static void qualified(struct strbuf *sb, const char *schema, const char *name)
{
    if (strcmp(schema, SCHEMA_DEFAULT) != 0) {
        sql_quote_ident(sb, schema);
        strbuf_addch(sb, '.');
    }
    sql_quote_ident(sb, name);
}

/* The type's name in SQL. */
static void enum_qualified(struct strbuf *sql, const struct schema_enum *en)
{
    if (en->name[0] == '"') {
        /* the normalised name of a quoted type keeps its quotes */
        if (strcmp(en->schema, SCHEMA_DEFAULT) != 0) {
            sql_quote_ident(sql, en->schema);
            strbuf_addch(sql, '.');
        }
        strbuf_adds(sql, en->name);
    } else {
        qualified(sql, en->schema, en->name);
    }
}

/* Text from the schemas inside a C comment: nothing in it may end the
 * comment, open another, or splice a line. */
static void comment_text(struct strbuf *sb, const char *s)
{
    for (; *s; s++) {
        if (s[0] == '*' && s[1] == '/')
            strbuf_adds(sb, "*\\");
        else if (s[0] == '/' && s[1] == '*')
            strbuf_adds(sb, "/\\");
        else if (s[0] == '?' && s[1] == '?')
            strbuf_adds(sb, "?\\");
        else if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '\\')
            strbuf_addf(sb, "\\x%02x", (unsigned char)*s);
        else
            strbuf_addch(sb, *s);
    }
}

static void comment_labels(struct strbuf *sb, const struct schema_enum *en)
{
    struct strbuf lit = STRBUF_INIT;

    strbuf_addch(&lit, '(');
    for (size_t i = 0; i < en->n_labels; i++) {
        if (i)
            strbuf_adds(&lit, ", ");
        sql_quote_literal(&lit, en->labels[i]);
    }
    strbuf_addch(&lit, ')');
    comment_text(sb, strbuf_str(&lit));
    strbuf_release(&lit);
}

/* ALTER TYPE ... ADD VALUE; its inverse, and labels removed, renamed or
 * reordered, are comments: PostgreSQL cannot drop an enum label, and a
 * rename cannot be told from a removal plus an addition. */
static void render_enum_value(struct strbuf *sb, const struct diff_op *op)
{
    struct strbuf sql = STRBUF_INIT;

    enum_qualified(&sql, op->enum_type);
    if (op->kind == DIFF_ADD_ENUM_VALUE) {
        struct strbuf stmt = STRBUF_INIT;

        /* IF NOT EXISTS: a revision run outside a transaction may be run
         * again after a later statement failed */
        strbuf_adds(&stmt, "ALTER TYPE ");
        strbuf_adds(&stmt, strbuf_str(&sql));
        strbuf_adds(&stmt, " ADD VALUE IF NOT EXISTS ");
        sql_quote_literal(&stmt, op->enum_label);
        if (op->enum_anchor) {
            strbuf_adds(&stmt, op->enum_before ? " BEFORE " : " AFTER ");
            sql_quote_literal(&stmt, op->enum_anchor);
        }
        execute(sb, &stmt);
        strbuf_release(&stmt);
    } else if (op->kind == DIFF_DROP_ENUM_VALUE) {
        struct strbuf lit = STRBUF_INIT;

        sql_quote_literal(&lit, op->enum_label);
        strbuf_adds(sb, IND "/* enum type ");
        comment_text(sb, strbuf_str(&sql));
        strbuf_adds(sb, " keeps label ");
        comment_text(sb, strbuf_str(&lit));
        strbuf_adds(sb, ": PostgreSQL cannot drop an enum label (recreate the type\n"
                    IND " * to remove it) - please adjust! */\n");
        strbuf_release(&lit);
    } else {
        strbuf_adds(sb, IND "/* enum type ");
        comment_text(sb, strbuf_str(&sql));
        strbuf_adds(sb, " has labels ");
        comment_labels(sb, op->from_enum);
        strbuf_adds(sb, "\n" IND " * where the models list ");
        comment_labels(sb, op->enum_type);
        strbuf_adds(sb, ":\n" IND " * labels were removed, renamed or reordered, which autogenerate "
                    "does not do.\n" IND " * A rename is ALTER TYPE ... RENAME VALUE 'old' TO 'new'; "
                    "a removal or a new order\n" IND " * needs a new type and every column cast to "
                    "it - please adjust! */\n");
    }
    strbuf_release(&sql);
}

static void render_enum(struct strbuf *sb, const struct diff_op *op)
{
    const struct schema_enum *en = op->enum_type;
    struct strbuf sql = STRBUF_INIT;

    strbuf_adds(&sql, op->kind == DIFF_ADD_ENUM ? "CREATE TYPE " : "DROP TYPE ");
    enum_qualified(&sql, en);
    if (op->kind == DIFF_ADD_ENUM) {
        strbuf_adds(&sql, " AS ENUM (");
        for (size_t i = 0; i < en->n_labels; i++) {
            if (i)
                strbuf_adds(&sql, ", ");
            sql_quote_literal(&sql, en->labels[i]);
        }
        strbuf_addch(&sql, ')');
    }
    execute(sb, &sql);
    strbuf_release(&sql);
}

static void render_table_comment(struct strbuf *sb, const struct diff_op *op)
{
    struct strbuf sql = STRBUF_INIT;

    strbuf_adds(&sql, "COMMENT ON TABLE ");
    qualified(&sql, op->table->schema, op->table->name);
    strbuf_adds(&sql, " IS ");
    if (op->table->comment && *op->table->comment)
        sql_quote_literal(&sql, op->table->comment);
    else
        strbuf_adds(&sql, "NULL");
    execute(sb, &sql);
    strbuf_release(&sql);
}

static int render_op(struct strbuf *sb, const struct diff_op *op)
{
    const struct schema_table *t = op->table;

    switch (op->kind) {
    case DIFF_ADD_ENUM:
    case DIFF_DROP_ENUM:
        render_enum(sb, op);
        return 0;
    case DIFF_TABLE_COMMENT:
        render_table_comment(sb, op);
        return 0;
    case DIFF_ADD_ENUM_VALUE:
    case DIFF_DROP_ENUM_VALUE:
    case DIFF_ENUM_CHANGED:
        render_enum_value(sb, op);
        return 0;
    case DIFF_ADD_TABLE:
        return render_create_table(sb, op);
    case DIFF_DROP_TABLE:
        call_head(sb, "op_drop_table", t->schema, t->name);
        call_end(sb);
        return 0;
    case DIFF_ADD_COLUMN:
        call_head(sb, "op_add_column", t->schema, t->name);
        strbuf_adds(sb, ", &(const runner_column)");
        if (column_init(sb, op->column, 0) < 0)
            return -1;
        call_end(sb);
        return 0;
    case DIFF_DROP_COLUMN:
        call_head(sb, "op_drop_column", t->schema, t->name);
        strbuf_adds(sb, ", ");
        c_escape_literal(sb, op->column->name);
        call_end(sb);
        return 0;
    case DIFF_ALTER_COLUMN:
        return render_alter(sb, op);
    case DIFF_ADD_INDEX:
        render_create_index(sb, op);
        return 0;
    case DIFF_DROP_INDEX:
        call_head(sb, "op_drop_index", t->schema, op->index->name);
        call_end(sb);
        return 0;
    case DIFF_ADD_CONSTRAINT:
        call_head(sb, "op_create_constraint", t->schema, t->name);
        strbuf_adds(sb, ", &(const runner_constraint)");
        constraint_init(sb, op->constraint);
        call_end(sb);
        return 0;
    case DIFF_DROP_CONSTRAINT:
        call_head(sb, "op_drop_constraint", t->schema, t->name);
        strbuf_adds(sb, ", ");
        c_escape_literal(sb, op->constraint->name);
        call_end(sb);
        return 0;
    }
    return 0;
}

static int mentions(const char *text, const char *label)
{
    return text && strstr(text, label) != NULL;
}

/* Conservative: a label found anywhere in the text counts as a use. */
static int table_uses(const struct schema_table *t, const char *label)
{
    for (size_t i = 0; i < t->n_columns; i++)
        if (mentions(t->columns[i].server_default, label))
            return 1;
    for (size_t i = 0; i < t->n_constraints; i++)
        if (mentions(t->constraints[i].check, label))
            return 1;
    for (size_t i = 0; i < t->n_indexes; i++)
        if (mentions(t->indexes[i].where, label))
            return 1;
    return 0;
}

static int op_uses(const struct diff_op *op, const struct diff_op *add)
{
    const char *label = add->enum_label;

    switch (op->kind) {
    case DIFF_ADD_TABLE:
        return table_uses(op->table, label);
    case DIFF_ADD_COLUMN:
        return mentions(op->column->server_default, label);
    case DIFF_ALTER_COLUMN:
        /* a USING cast of the rows may meet the label */
        return ((op->alter & DIFF_ALTER_DEFAULT) && mentions(op->column->server_default, label)) ||
               ((op->alter & DIFF_ALTER_TYPE) && mentions(op->column->type, add->enum_type->name));
    case DIFF_ADD_CONSTRAINT:
        return mentions(op->constraint->check, label);
    case DIFF_ADD_INDEX:
        return mentions(op->index->where, label);
    default:
        return 0;
    }
}

int codegen_needs_no_transaction(const struct diff *d, int server_version)
{
    for (size_t i = 0; i < d->n_ops; i++) {
        if (d->ops[i].kind != DIFF_ADD_ENUM_VALUE)
            continue;
        /* PostgreSQL < 12: "ALTER TYPE ... ADD cannot run inside a
         * transaction block" */
        if (server_version < 120000)
            return 1;
        /* 12+: "unsafe use of new value" until it is committed */
        for (size_t k = 0; k < d->n_ops; k++)
            if (op_uses(&d->ops[k], &d->ops[i]))
                return 1;
    }
    return 0;
}

/* Ops written as a comment for the reader, not as a call. */
static int comment_only(const struct diff_op *op)
{
    return op->kind == DIFF_DROP_ENUM_VALUE || op->kind == DIFF_ENUM_CHANGED;
}

int codegen_render(const struct diff *d, char **upgrade, char **downgrade, struct err *e)
{
    struct strbuf up = STRBUF_INIT, down = STRBUF_INIT;
    int up_calls = 0, down_calls = 0;

    *upgrade = *downgrade = NULL;
    strbuf_adds(&up, IND CODEGEN_MARKER "\n");
    strbuf_adds(&down, IND CODEGEN_MARKER "\n");
    for (size_t i = 0; i < d->n_ops; i++) {
        struct diff_op inv = diff_inverse(&d->ops[d->n_ops - 1 - i]);

        if (render_op(&up, &d->ops[i]) < 0 || render_op(&down, &inv) < 0)
            goto oom;
        up_calls |= !comment_only(&d->ops[i]);
        down_calls |= !comment_only(&inv);
    }
    /* a body of comments alone (labels PostgreSQL cannot drop) */
    if (!up_calls)
        strbuf_adds(&up, IND "(void)op;\n");
    if (!down_calls)
        strbuf_adds(&down, IND "(void)op;\n");
    strbuf_adds(&up, IND CODEGEN_END_MARKER "\n" IND "return 0;\n");
    strbuf_adds(&down, IND CODEGEN_END_MARKER "\n" IND "return 0;\n");
    *upgrade = strbuf_detach(&up);
    *downgrade = strbuf_detach(&down);
    if (*upgrade && *downgrade)
        return 0;
    free(*upgrade);
    free(*downgrade);
    *upgrade = *downgrade = NULL;
    return err_set(e, ERR_FAIL, "out of memory");
oom:
    strbuf_release(&up);
    strbuf_release(&down);
    return err_set(e, ERR_FAIL, "out of memory");
}
