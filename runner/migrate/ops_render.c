/* ops_render.c -- every op_* helper into PostgreSQL SQL text; see ops.h.
 *
 * Pure code: no I/O, no libpq, no global state, so the online (ops.c) and
 * offline (ops_sql.c) tables render byte-identical SQL and the unit suite
 * checks it without a database.  Identifiers are always double-quoted (the
 * same escaping as libpq's PQescapeIdentifier, which needs no connection);
 * `type`, `server_default`, `where`, `check`, `using_expr` and index
 * expressions are SQL fragments the plugin wrote, rendered as written (they
 * are code, like Alembic's sa.text()).  The layout follows SQLAlchemy's DDL
 * compiler as Alembic 1.8 emits it for PostgreSQL, one statement per
 * Alembic statement. */
#include "ops.h"
#include "sql_quote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

/* ------------------------------------------------------------------ */
/* Statement lists.                                                    */

void ops_stmts_release(struct ops_stmts *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->sql[i]);
    free(s->sql);
    s->sql = NULL;
    s->n = 0;
    s->alloc = 0;
}

/* Take sb's contents as the next statement of s. */
static int stmts_push(struct ops_stmts *s, struct strbuf *sb, struct err *e)
{
    char *sql;

    if (s->n == s->alloc) {
        size_t alloc = s->alloc ? s->alloc * 2 : 4;
        char **p = realloc(s->sql, alloc * sizeof(*p));

        if (!p) {
            strbuf_release(sb);
            return err_set(e, ERR_FAIL, "out of memory");
        }
        s->sql = p;
        s->alloc = alloc;
    }
    sql = strbuf_detach(sb);
    if (!sql)
        return err_set(e, ERR_FAIL, "out of memory");
    s->sql[s->n++] = sql;
    return 0;
}

/* Move every statement of from to the end of to; from is left empty. */
static int stmts_move(struct ops_stmts *to, struct ops_stmts *from, struct err *e)
{
    if (to->n + from->n > to->alloc) {
        size_t alloc = to->n + from->n;
        char **p = realloc(to->sql, alloc * sizeof(*p));

        if (!p) {
            ops_stmts_release(from);
            return err_set(e, ERR_FAIL, "out of memory");
        }
        to->sql = p;
        to->alloc = alloc;
    }
    for (size_t i = 0; i < from->n; i++)
        to->sql[to->n++] = from->sql[i];
    free(from->sql);
    from->sql = NULL;
    from->n = 0;
    from->alloc = 0;
    return 0;
}

size_t ops_count_names(const char *const *names)
{
    size_t n = 0;

    while (names && names[n])
        n++;
    return n;
}

/* ------------------------------------------------------------------ */
/* Identifiers and literals.                                           */

/* Length of the longest prefix of s, at most max bytes, that does not cut
 * a UTF-8 sequence: for quoting a long name in a message. */
static int utf8_prefix(const char *s, int max)
{
    int n = 0;

    while (n < max && s[n])
        n++;
    if (s[n])
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    return n;
}

static int check_ident(const char *name, const char *what, struct err *e)
{
    size_t len;

    if (!name)
        return err_set(e, ERR_FAIL, "missing %s", what);
    len = strlen(name);
    if (len == 0)
        return err_set(e, ERR_FAIL, "empty %s", what);
    if (len > OPS_MAX_IDENT)
        return err_set(e, ERR_FAIL, "%s \"%.*s...\" is too long (%zu bytes, at most %d)",
                       what, utf8_prefix(name, 32), name, len, OPS_MAX_IDENT);
    return 0;
}

int ops_render_ident(struct strbuf *sb, const char *name, const char *what, struct err *e)
{
    if (check_ident(name, what, e) < 0)
        return -1;
    sql_quote_ident(sb, name);
    return 0;
}

int ops_render_qualified(struct strbuf *sb, const char *schema, const char *name,
                         const char *what, struct err *e)
{
    if (schema) {
        if (ops_render_ident(sb, schema, "schema name", e) < 0)
            return -1;
        strbuf_addch(sb, '.');
    }
    return ops_render_ident(sb, name, what, e);
}

/* A comma-separated, quoted list of column names; an empty list is an
 * error ("empty <what> list for <owner>", each name a "<what> name"). */
static int render_names(struct strbuf *sb, const char *const *names, const char *what,
                        const char *owner, struct err *e)
{
    char item[64];

    if (!names || !names[0])
        return err_set(e, ERR_FAIL, "empty %s list for %s", what, owner);
    snprintf(item, sizeof(item), "%s name", what);
    for (size_t i = 0; names[i]; i++) {
        if (i)
            strbuf_adds(sb, ", ");
        if (ops_render_ident(sb, names[i], item, e) < 0)
            return -1;
    }
    return 0;
}

/* An optional SQL fragment: NULL means unset, "" is a mistake. */
static int check_fragment(const char *sql, const char *what, struct err *e)
{
    if (sql && !sql[0])
        return err_set(e, ERR_FAIL, "empty %s", what);
    return 0;
}

/* ------------------------------------------------------------------ */
/* op.f naming.                                                        */

static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

/* Byte length of the first `chars` UTF-8 characters of s. */
static size_t utf8_bytes(const char *s, size_t len, size_t chars)
{
    size_t i = 0;

    for (size_t c = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (c == chars)
                break;
            c++;
        }
    }
    return i;
}

int ops_render_index_name(struct strbuf *sb, const char *table,
                          const char *const *columns, struct err *e)
{
    struct strbuf name = STRBUF_INIT;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    size_t chars;
    int ret = -1;

    if (check_ident(table, "table name", e) < 0)
        goto out;
    if (!columns || !columns[0]) {
        err_set(e, ERR_FAIL, "index on \"%s\" needs a name: it has no plain columns to name it after",
                table);
        goto out;
    }
    strbuf_adds(&name, "ix_");
    strbuf_adds(&name, table);
    for (size_t i = 0; columns[i]; i++) {
        if (check_ident(columns[i], "index column name", e) < 0)
            goto out;
        strbuf_addch(&name, '_');
        strbuf_adds(&name, columns[i]);
    }
    if (strbuf_failed(&name)) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    /* SQLAlchemy's _truncate_and_render_maxlen_name() for conv() names,
     * which is what op.f() gives: counted in characters, md5 of UTF-8. */
    chars = utf8_chars(name.buf, name.len);
    if (chars <= OPS_MAX_IDENT) {
        strbuf_add(sb, name.buf, name.len);
        ret = 0;
        goto out;
    }
    if (!EVP_Digest(name.buf, name.len, md, &md_len, EVP_md5(), NULL) || md_len < 2) {
        err_set(e, ERR_FAIL, "cannot compute the md5 of index name \"%.*s...\"",
                utf8_prefix(name.buf, 32), name.buf);
        goto out;
    }
    strbuf_add(sb, name.buf, utf8_bytes(name.buf, name.len, OPS_MAX_IDENT - 8));
    strbuf_addf(sb, "_%02x%02x", md[md_len - 2], md[md_len - 1]);
    ret = 0;
out:
    strbuf_release(&name);
    return ret;
}

/* ------------------------------------------------------------------ */
/* Pieces of DDL.                                                      */

/* "name" type [DEFAULT expr] [NOT NULL]: SQLAlchemy's column specification.
 * A primary-key column is NOT NULL, as SQLAlchemy renders it. */
static int render_column_spec(struct strbuf *sb, const runner_column *c, struct err *e)
{
    if (ops_render_ident(sb, c->name, "column name", e) < 0)
        return -1;
    if (!c->type || !c->type[0])
        return err_set(e, ERR_FAIL, "missing type for column \"%s\"", c->name);
    if (check_fragment(c->server_default, "server_default", e) < 0)
        return -1;
    strbuf_addch(sb, ' ');
    strbuf_adds(sb, c->type);
    if (c->server_default) {
        strbuf_adds(sb, " DEFAULT ");
        strbuf_adds(sb, c->server_default);
    }
    if (c->not_null || c->primary_key)
        strbuf_adds(sb, " NOT NULL");
    return 0;
}

static const char *const fk_actions[] = {
    "CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION", NULL
};

/* " ON DELETE CASCADE" and the like; the action is matched without regard
 * to case and rendered in capitals, anything else is refused (it would be
 * spliced into the statement otherwise). */
static int render_fk_action(struct strbuf *sb, const char *clause, const char *action,
                            struct err *e)
{
    if (!action)
        return 0;
    for (size_t i = 0; fk_actions[i]; i++) {
        if (strcasecmp(action, fk_actions[i]) == 0) {
            strbuf_addf(sb, " %s %s", clause, fk_actions[i]);
            return 0;
        }
    }
    return err_set(e, ERR_FAIL,
                   "unknown %s action \"%.*s\" (expected CASCADE, SET NULL, SET DEFAULT, RESTRICT or NO ACTION)",
                   clause, utf8_prefix(action, 64), action);
}

/* [CONSTRAINT "name" ]PRIMARY KEY (...) | UNIQUE (...) | FOREIGN KEY (...)
 * REFERENCES ... | CHECK (...): a table constraint, for CREATE TABLE and
 * ALTER TABLE ADD. */
static int render_constraint(struct strbuf *sb, const runner_constraint *c, struct err *e)
{
    size_t n_cols, n_refs;

    if (c->name) {
        strbuf_adds(sb, "CONSTRAINT ");
        if (ops_render_ident(sb, c->name, "constraint name", e) < 0)
            return -1;
        strbuf_addch(sb, ' ');
    }
    switch (c->kind) {
    case RUNNER_PRIMARY_KEY:
        strbuf_adds(sb, "PRIMARY KEY (");
        if (render_names(sb, c->columns, "column", "primary key", e) < 0)
            return -1;
        strbuf_addch(sb, ')');
        return 0;
    case RUNNER_UNIQUE:
        strbuf_adds(sb, "UNIQUE (");
        if (render_names(sb, c->columns, "column", "unique constraint", e) < 0)
            return -1;
        strbuf_addch(sb, ')');
        return 0;
    case RUNNER_FOREIGN_KEY:
        strbuf_adds(sb, "FOREIGN KEY (");
        if (render_names(sb, c->columns, "column", "foreign key", e) < 0)
            return -1;
        strbuf_adds(sb, ") REFERENCES ");
        if (ops_render_qualified(sb, c->ref_schema, c->ref_table, "referenced table name", e) < 0)
            return -1;
        /* No ref_columns: the referenced table's primary key, as in SQL. */
        if (c->ref_columns) {
            n_cols = ops_count_names(c->columns);
            n_refs = ops_count_names(c->ref_columns);
            if (n_refs != n_cols)
                return err_set(e, ERR_FAIL,
                               "foreign key has %zu column%s but references %zu", n_cols,
                               n_cols == 1 ? "" : "s", n_refs);
            strbuf_adds(sb, " (");
            if (render_names(sb, c->ref_columns, "referenced column", "foreign key", e) < 0)
                return -1;
            strbuf_addch(sb, ')');
        }
        if (render_fk_action(sb, "ON DELETE", c->on_delete, e) < 0 ||
            render_fk_action(sb, "ON UPDATE", c->on_update, e) < 0)
            return -1;
        return 0;
    case RUNNER_CHECK:
        if (!c->check || !c->check[0])
            return err_set(e, ERR_FAIL, "check constraint without a condition");
        strbuf_adds(sb, "CHECK (");
        strbuf_adds(sb, c->check);
        strbuf_addch(sb, ')');
        return 0;
    }
    return err_set(e, ERR_FAIL, "unknown constraint kind %d", (int)c->kind);
}

/* COMMENT ON COLUMN "s"."t"."c" IS '...' */
static int render_column_comment(struct ops_stmts *out, const char *schema, const char *table,
                                 const char *column, const char *comment, struct err *e)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_adds(&sb, "COMMENT ON COLUMN ");
    if (ops_render_qualified(&sb, schema, table, "table name", e) < 0)
        goto fail;
    strbuf_addch(&sb, '.');
    if (ops_render_ident(&sb, column, "column name", e) < 0)
        goto fail;
    strbuf_adds(&sb, " IS ");
    sql_quote_literal(&sb, comment);
    return stmts_push(out, &sb, e);
fail:
    strbuf_release(&sb);
    return -1;
}

/* "ALTER TABLE "s"."t" " into a fresh buffer. */
static int alter_table_head(struct strbuf *sb, const char *schema, const char *table,
                            struct err *e)
{
    strbuf_adds(sb, "ALTER TABLE ");
    if (ops_render_qualified(sb, schema, table, "table name", e) < 0)
        return -1;
    strbuf_addch(sb, ' ');
    return 0;
}

/* ------------------------------------------------------------------ */
/* Tables.                                                             */

int ops_render_create_table(struct ops_stmts *out, const runner_table *t, struct err *e)
{
    struct ops_stmts tmp = OPS_STMTS_INIT;
    struct strbuf sb = STRBUF_INIT;
    size_t n_pk = 0, n_table_pk = 0;
    const char *sep = "\n    ";

    if (!t)
        return err_set(e, ERR_FAIL, "missing table");
    strbuf_adds(&sb, "CREATE TABLE ");
    if (ops_render_qualified(&sb, t->schema, t->name, "table name", e) < 0)
        goto fail;
    if (!t->columns || !t->columns[0].name) {
        err_set(e, ERR_FAIL, "table \"%s\" has no columns", t->name);
        goto fail;
    }
    strbuf_adds(&sb, " (");
    for (const runner_column *c = t->columns; c->name; c++) {
        strbuf_adds(&sb, sep);
        sep = ",\n    ";
        if (render_column_spec(&sb, c, e) < 0)
            goto fail;
        if (c->primary_key)
            n_pk++;
    }
    for (const runner_constraint *k = t->constraints; k && k->kind; k++)
        if (k->kind == RUNNER_PRIMARY_KEY)
            n_table_pk++;
    if (n_table_pk > 1 || (n_table_pk && n_pk)) {
        err_set(e, ERR_FAIL, "table \"%s\" has more than one primary key", t->name);
        goto fail;
    }
    /* SQLAlchemy gathers the columns flagged primary_key into one table
     * constraint, PRIMARY KEY (a, b), and each unique=True column into an
     * unnamed UNIQUE (c), before the table's own constraints. */
    if (n_pk) {
        const char *psep = "";

        strbuf_adds(&sb, ",\n    PRIMARY KEY (");
        for (const runner_column *c = t->columns; c->name; c++) {
            if (!c->primary_key)
                continue;
            strbuf_adds(&sb, psep);
            psep = ", ";
            ops_render_ident(&sb, c->name, "column name", e);   /* checked above */
        }
        strbuf_addch(&sb, ')');
    }
    for (const runner_column *c = t->columns; c->name; c++) {
        if (!c->unique)
            continue;
        strbuf_adds(&sb, ",\n    UNIQUE (");
        ops_render_ident(&sb, c->name, "column name", e);       /* checked above */
        strbuf_addch(&sb, ')');
    }
    for (const runner_constraint *k = t->constraints; k && k->kind; k++) {
        strbuf_adds(&sb, ",\n    ");
        if (render_constraint(&sb, k, e) < 0)
            goto fail;
    }
    strbuf_adds(&sb, "\n)");
    if (check_fragment(t->comment, "table comment", e) < 0)
        goto fail;
    if (stmts_push(&tmp, &sb, e) < 0)
        goto fail;
    /* Alembic emits the comments as statements of their own after the table. */
    if (t->comment) {
        strbuf_adds(&sb, "COMMENT ON TABLE ");
        ops_render_qualified(&sb, t->schema, t->name, "table name", e);   /* checked above */
        strbuf_adds(&sb, " IS ");
        sql_quote_literal(&sb, t->comment);
        if (stmts_push(&tmp, &sb, e) < 0)
            goto fail;
    }
    for (const runner_column *c = t->columns; c->name; c++)
        if (c->comment && render_column_comment(&tmp, t->schema, t->name, c->name,
                                                c->comment, e) < 0)
            goto fail;
    return stmts_move(out, &tmp, e);
fail:
    strbuf_release(&sb);
    ops_stmts_release(&tmp);
    return -1;
}

/* One statement: head + qualified table + tail. */
static int render_simple(struct ops_stmts *out, const char *head, const char *schema,
                         const char *table, const char *what, struct err *e)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_adds(&sb, head);
    if (ops_render_qualified(&sb, schema, table, what, e) < 0) {
        strbuf_release(&sb);
        return -1;
    }
    return stmts_push(out, &sb, e);
}

int ops_render_drop_table(struct ops_stmts *out, const char *schema, const char *table,
                          struct err *e)
{
    return render_simple(out, "DROP TABLE ", schema, table, "table name", e);
}

int ops_render_rename_table(struct ops_stmts *out, const char *schema, const char *table,
                            const char *new_name, struct err *e)
{
    struct strbuf sb = STRBUF_INIT;

    if (alter_table_head(&sb, schema, table, e) < 0)
        goto fail;
    strbuf_adds(&sb, "RENAME TO ");
    if (ops_render_ident(&sb, new_name, "new table name", e) < 0)
        goto fail;
    return stmts_push(out, &sb, e);
fail:
    strbuf_release(&sb);
    return -1;
}

/* ------------------------------------------------------------------ */
/* Columns.                                                            */

int ops_render_add_column(struct ops_stmts *out, const char *schema, const char *table,
                          const runner_column *c, struct err *e)
{
    struct ops_stmts tmp = OPS_STMTS_INIT;
    struct strbuf sb = STRBUF_INIT;

    if (!c)
        return err_set(e, ERR_FAIL, "missing column");
    if (alter_table_head(&sb, schema, table, e) < 0)
        goto fail;
    strbuf_adds(&sb, "ADD COLUMN ");
    if (render_column_spec(&sb, c, e) < 0)
        goto fail;
    /* Inline column constraints: one statement, so the column never exists
     * without them. */
    if (c->primary_key)
        strbuf_adds(&sb, " PRIMARY KEY");
    if (c->unique)
        strbuf_adds(&sb, " UNIQUE");
    if (stmts_push(&tmp, &sb, e) < 0)
        goto fail;
    if (c->comment && render_column_comment(&tmp, schema, table, c->name, c->comment, e) < 0)
        goto fail;
    return stmts_move(out, &tmp, e);
fail:
    strbuf_release(&sb);
    ops_stmts_release(&tmp);
    return -1;
}

int ops_render_drop_column(struct ops_stmts *out, const char *schema, const char *table,
                           const char *column, struct err *e)
{
    struct strbuf sb = STRBUF_INIT;

    if (alter_table_head(&sb, schema, table, e) < 0)
        goto fail;
    strbuf_adds(&sb, "DROP COLUMN ");
    if (ops_render_ident(&sb, column, "column name", e) < 0)
        goto fail;
    return stmts_push(out, &sb, e);
fail:
    strbuf_release(&sb);
    return -1;
}

/* Alembic's PostgreSQL order: TYPE ... USING first, then nullability, then
 * the default, and the rename last; one ALTER TABLE statement each. */
int ops_render_alter_column(struct ops_stmts *out, const char *schema, const char *table,
                            const char *column, const runner_alter *a, struct err *e)
{
    struct ops_stmts tmp = OPS_STMTS_INIT;
    struct strbuf head = STRBUF_INIT;
    struct strbuf sb = STRBUF_INIT;

    if (!a)
        return err_set(e, ERR_FAIL, "missing alteration");
    if (alter_table_head(&head, schema, table, e) < 0)
        goto fail;
    strbuf_adds(&head, "ALTER COLUMN ");
    if (ops_render_ident(&head, column, "column name", e) < 0)
        goto fail;
    if (check_fragment(a->type, "type", e) < 0 ||
        check_fragment(a->using_expr, "using expression", e) < 0 ||
        check_fragment(a->server_default, "server_default", e) < 0)
        goto fail;
    if (a->using_expr && !a->type) {
        err_set(e, ERR_FAIL, "using expression without a new type for column \"%s\"", column);
        goto fail;
    }
    if (a->server_default && a->drop_default) {
        err_set(e, ERR_FAIL, "both a new default and drop_default for column \"%s\"", column);
        goto fail;
    }
    if (a->nullable != RUNNER_KEEP && a->nullable != RUNNER_SET_NULLABLE &&
        a->nullable != RUNNER_SET_NOT_NULL) {
        err_set(e, ERR_FAIL, "unknown nullable value %d for column \"%s\"", (int)a->nullable,
                column);
        goto fail;
    }
    if (a->type) {
        strbuf_add(&sb, head.buf, head.len);
        strbuf_adds(&sb, " TYPE ");
        strbuf_adds(&sb, a->type);
        if (a->using_expr) {
            strbuf_adds(&sb, " USING ");
            strbuf_adds(&sb, a->using_expr);
        }
        if (stmts_push(&tmp, &sb, e) < 0)
            goto fail;
    }
    if (a->nullable != RUNNER_KEEP) {
        strbuf_add(&sb, head.buf, head.len);
        strbuf_adds(&sb, a->nullable == RUNNER_SET_NOT_NULL ? " SET NOT NULL" : " DROP NOT NULL");
        if (stmts_push(&tmp, &sb, e) < 0)
            goto fail;
    }
    if (a->server_default || a->drop_default) {
        strbuf_add(&sb, head.buf, head.len);
        if (a->server_default) {
            strbuf_adds(&sb, " SET DEFAULT ");
            strbuf_adds(&sb, a->server_default);
        } else {
            strbuf_adds(&sb, " DROP DEFAULT");
        }
        if (stmts_push(&tmp, &sb, e) < 0)
            goto fail;
    }
    if (a->new_name) {
        if (alter_table_head(&sb, schema, table, e) < 0)
            goto fail;
        strbuf_adds(&sb, "RENAME COLUMN ");
        ops_render_ident(&sb, column, "column name", e);        /* checked above */
        strbuf_adds(&sb, " TO ");
        if (ops_render_ident(&sb, a->new_name, "new column name", e) < 0)
            goto fail;
        if (stmts_push(&tmp, &sb, e) < 0)
            goto fail;
    }
    if (tmp.n == 0) {
        err_set(e, ERR_FAIL, "nothing to alter for column \"%s\"", column);
        goto fail;
    }
    strbuf_release(&head);
    return stmts_move(out, &tmp, e);
fail:
    strbuf_release(&head);
    strbuf_release(&sb);
    ops_stmts_release(&tmp);
    return -1;
}

/* ------------------------------------------------------------------ */
/* Indexes.                                                            */

int ops_render_create_index(struct ops_stmts *out, const runner_index *ix, struct err *e)
{
    struct strbuf name = STRBUF_INIT;
    struct strbuf sb = STRBUF_INIT;
    const char *sep = "";

    if (!ix)
        return err_set(e, ERR_FAIL, "missing index");
    if (check_ident(ix->table, "table name", e) < 0)
        goto fail;
    if (ops_count_names(ix->columns) + ops_count_names(ix->expressions) == 0) {
        err_set(e, ERR_FAIL, "empty column list for index on \"%s\"", ix->table);
        goto fail;
    }
    if (check_fragment(ix->where, "index predicate", e) < 0)
        goto fail;
    if (!ix->name && ops_render_index_name(&name, ix->table, ix->columns, e) < 0)
        goto fail;
    strbuf_adds(&sb, ix->unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
    if (ix->concurrently)
        strbuf_adds(&sb, "CONCURRENTLY ");
    /* An index always lives in its table's schema: its name is bare. */
    if (ops_render_ident(&sb, ix->name ? ix->name : strbuf_str(&name), "index name", e) < 0)
        goto fail;
    strbuf_adds(&sb, " ON ");
    if (ops_render_qualified(&sb, ix->schema, ix->table, "table name", e) < 0)
        goto fail;
    strbuf_adds(&sb, " (");
    for (size_t i = 0; ix->columns && ix->columns[i]; i++) {
        strbuf_adds(&sb, sep);
        sep = ", ";
        if (ops_render_ident(&sb, ix->columns[i], "index column name", e) < 0)
            goto fail;
    }
    for (size_t i = 0; ix->expressions && ix->expressions[i]; i++) {
        if (check_fragment(ix->expressions[i], "index expression", e) < 0)
            goto fail;
        strbuf_adds(&sb, sep);
        sep = ", ";
        strbuf_adds(&sb, ix->expressions[i]);
    }
    strbuf_addch(&sb, ')');
    if (ix->where) {
        strbuf_adds(&sb, " WHERE ");
        strbuf_adds(&sb, ix->where);
    }
    strbuf_release(&name);
    return stmts_push(out, &sb, e);
fail:
    strbuf_release(&name);
    strbuf_release(&sb);
    return -1;
}

int ops_render_drop_index(struct ops_stmts *out, const char *schema, const char *name,
                          struct err *e)
{
    return render_simple(out, "DROP INDEX ", schema, name, "index name", e);
}

/* ------------------------------------------------------------------ */
/* Constraints.                                                        */

int ops_render_create_constraint(struct ops_stmts *out, const char *schema, const char *table,
                                 const runner_constraint *c, struct err *e)
{
    struct strbuf sb = STRBUF_INIT;

    if (!c)
        return err_set(e, ERR_FAIL, "missing constraint");
    if (alter_table_head(&sb, schema, table, e) < 0)
        goto fail;
    strbuf_adds(&sb, "ADD ");
    if (render_constraint(&sb, c, e) < 0)
        goto fail;
    return stmts_push(out, &sb, e);
fail:
    strbuf_release(&sb);
    return -1;
}

int ops_render_drop_constraint(struct ops_stmts *out, const char *schema, const char *table,
                               const char *name, struct err *e)
{
    struct strbuf sb = STRBUF_INIT;

    if (alter_table_head(&sb, schema, table, e) < 0)
        goto fail;
    strbuf_adds(&sb, "DROP CONSTRAINT ");
    if (ops_render_ident(&sb, name, "constraint name", e) < 0)
        goto fail;
    return stmts_push(out, &sb, e);
fail:
    strbuf_release(&sb);
    return -1;
}

/* ------------------------------------------------------------------ */
/* Bulk insert.                                                        */

/* INSERT INTO "s"."t" ("a", "b") VALUES */
static int insert_head(struct strbuf *sb, const char *schema, const char *table,
                       const char *const *columns, struct err *e)
{
    strbuf_adds(sb, "INSERT INTO ");
    if (ops_render_qualified(sb, schema, table, "table name", e) < 0)
        return -1;
    strbuf_adds(sb, " (");
    if (render_names(sb, columns, "column", "bulk insert", e) < 0)
        return -1;
    strbuf_adds(sb, ") VALUES ");
    return 0;
}

int ops_render_insert_literals(struct ops_stmts *out, const char *schema, const char *table,
                               const char *const *columns, const char *const *values,
                               size_t n_rows, struct err *e)
{
    struct ops_stmts tmp = OPS_STMTS_INIT;
    struct strbuf head = STRBUF_INIT;
    struct strbuf sb = STRBUF_INIT;
    size_t n_cols = ops_count_names(columns);

    if (insert_head(&head, schema, table, columns, e) < 0)
        goto fail;
    if (n_rows && !values) {
        err_set(e, ERR_FAIL, "missing values for %zu row%s", n_rows, n_rows == 1 ? "" : "s");
        goto fail;
    }
    for (size_t r = 0; r < n_rows; r++) {
        strbuf_add(&sb, head.buf, head.len);
        strbuf_addch(&sb, '(');
        for (size_t i = 0; i < n_cols; i++) {
            if (i)
                strbuf_adds(&sb, ", ");
            sql_quote_literal(&sb, values[r * n_cols + i]);
        }
        strbuf_addch(&sb, ')');
        if (stmts_push(&tmp, &sb, e) < 0)
            goto fail;
    }
    strbuf_release(&head);
    return stmts_move(out, &tmp, e);
fail:
    strbuf_release(&head);
    strbuf_release(&sb);
    ops_stmts_release(&tmp);
    return -1;
}

int ops_render_insert_params(struct strbuf *sb, const char *schema, const char *table,
                             const char *const *columns, size_t n_rows, struct err *e)
{
    struct strbuf tmp = STRBUF_INIT;
    size_t n_cols = ops_count_names(columns);
    size_t param = 1;

    if (insert_head(&tmp, schema, table, columns, e) < 0)
        goto fail;
    if (n_rows == 0 || n_rows > OPS_INSERT_MAX_PARAMS / n_cols) {
        err_set(e, ERR_FAIL, "cannot insert %zu rows of %zu columns in one statement", n_rows,
                n_cols);
        goto fail;
    }
    for (size_t r = 0; r < n_rows; r++) {
        strbuf_adds(&tmp, r ? ", (" : "(");
        for (size_t i = 0; i < n_cols; i++)
            strbuf_addf(&tmp, i ? ", $%zu" : "$%zu", param++);
        strbuf_addch(&tmp, ')');
    }
    if (strbuf_failed(&tmp)) {
        err_set(e, ERR_FAIL, "out of memory");
        goto fail;
    }
    strbuf_add(sb, tmp.buf, tmp.len);
    strbuf_release(&tmp);
    return 0;
fail:
    strbuf_release(&tmp);
    return -1;
}

/* ------------------------------------------------------------------ */
/* Bookkeeping shared by both tables.                                  */

int ops_check(struct op_state *st)
{
    return st->err.code == ERR_OK ? 0 : -1;
}

int ops_fail(struct op_state *st, const char *op_name, const struct err *e)
{
    if (st->err.code != ERR_OK)
        return -1;
    st->err = *e;
    if (st->err.code == ERR_OK)
        st->err.code = ERR_FAIL;
    err_prefix(&st->err, "op_%s", op_name);
    if (st->file)
        err_prefix(&st->err, "revision %s (%s)", st->revision ? st->revision : "?", st->file);
    else
        err_prefix(&st->err, "revision %s", st->revision ? st->revision : "?");
    return -1;
}
