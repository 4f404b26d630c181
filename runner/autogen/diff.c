/* diff.c -- the models' schema against the database's (see diff.h). */
#include "diff.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "strbuf.h"

static int push(struct diff *d, struct diff_op op, struct err *e)
{
    struct diff_op *p = realloc(d->ops, (d->n_ops + 1) * sizeof(*p));

    if (!p)
        return err_set(e, ERR_FAIL, "out of memory");
    d->ops = p;
    d->ops[d->n_ops++] = op;
    return 0;
}

void diff_release(struct diff *d)
{
    free(d->ops);
    d->ops = NULL;
    d->n_ops = 0;
}

static int str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static int rendered_defaults_eq(const struct schema_column *want,
                                const struct schema_column *have)
{
    char *nw = schema_default_normalise_keep_casts(want->server_default_rendered);
    char *nh = schema_default_normalise_keep_casts(have->server_default);
    int eq = nw && nh && strcmp(nw, nh) == 0;

    free(nw);
    free(nh);
    return eq;
}

/* Defaults compare through schema_default_normalise(); a sequence default
 * on an autoincrement column is the SERIAL itself, not a default. */
static int defaults_eq(const struct schema_column *want, const struct schema_column *have)
{
    const char *w = want->server_default, *h = have->server_default;
    char *nw, *nh;
    int eq;

    if (want->autoincrement && (!h || schema_default_is_sequence(h)) && !w)
        return 1;
    if (have->autoincrement && schema_default_is_sequence(h) && want->autoincrement)
        return 1;
    if (!w || !h)
        return !w && !h;
    /* issue 13.7: the server's own text of both sides keeps the casts that
     * change the value (now()::date); for one type the server prints the
     * same expression the same way.  With another type the casts differ
     * by the type alone, and the type change is reported anyway. */
    if (want->server_default_rendered && strcmp(want->type, have->type) == 0)
        return rendered_defaults_eq(want, have);
    nw = schema_default_normalise(w);
    nh = schema_default_normalise(h);
    eq = nw && nh && strcmp(nw, nh) == 0;
    free(nw);
    free(nh);
    return eq;
}

static int comments_eq(const char *a, const char *b)
{
    return str_eq(a && *a ? a : NULL, b && *b ? b : NULL);
}

static int where_eq(const char *a, const char *b)
{
    char *na, *nb;
    int eq;

    if (!a || !b)
        return a == b;
    na = schema_default_normalise(a);
    nb = schema_default_normalise(b);
    eq = na && nb && strcmp(na, nb) == 0;
    free(na);
    free(nb);
    return eq;
}

static int index_eq(const struct schema_index *a, const struct schema_index *b)
{
    if (a->unique != b->unique || a->n_columns != b->n_columns || !where_eq(a->where, b->where))
        return 0;
    for (size_t i = 0; i < a->n_columns; i++)
        if (a->is_expr[i] != b->is_expr[i] || strcmp(a->columns[i], b->columns[i]) != 0)
            return 0;
    return 1;
}

static int constraint_eq(const struct schema_constraint *a, const struct schema_constraint *b)
{
    if (a->kind != b->kind)
        return 0;
    switch (a->kind) {
    case SCHEMA_PRIMARY_KEY:
    case SCHEMA_UNIQUE:
        return schema_list_equal(a->columns, a->n_columns, b->columns, b->n_columns);
    case SCHEMA_FOREIGN_KEY:
        return schema_list_equal(a->columns, a->n_columns, b->columns, b->n_columns) &&
               schema_list_equal(a->ref_columns, a->n_ref_columns, b->ref_columns, b->n_ref_columns) &&
               str_eq(a->ref_table, b->ref_table) &&
               str_eq(a->ref_schema ? a->ref_schema : SCHEMA_DEFAULT,
                      b->ref_schema ? b->ref_schema : SCHEMA_DEFAULT) &&
               str_eq(a->on_delete, b->on_delete) && str_eq(a->on_update, b->on_update);
    case SCHEMA_CHECK:
        /* NEEDSWORK: PostgreSQL rewrites the condition (casts, parentheses),
         * so a check constraint is compared by name only. */
        return 1;
    }
    return 0;
}

/* The table that constraint c of t references, when it is in `set`. */
static const struct schema_table *fk_target(const struct schema_table *t,
                                            const struct schema_constraint *c,
                                            const struct schema_table *const *set, size_t n)
{
    const char *sch = c->ref_schema ? c->ref_schema : t->schema;

    for (size_t i = 0; i < n; i++)
        if (strcmp(set[i]->name, c->ref_table) == 0 && strcmp(set[i]->schema, sch) == 0)
            return set[i];
    return NULL;
}

/* Order tables so each comes after the tables it references (within the
 * set); a table stuck in a cycle is placed anyway, with separate[i] = 1.
 * order[] receives the indexes into set. */
static int topo_order(const struct schema_table *const *set, size_t n, size_t *order,
                      int *separate, struct err *e)
{
    unsigned char *placed = calloc(n ? n : 1, 1);
    size_t done = 0;

    if (!placed)
        return err_set(e, ERR_FAIL, "out of memory");
    while (done < n) {
        size_t pick = n;

        for (size_t i = 0; i < n && pick == n; i++) {
            int ready = !placed[i];

            for (size_t k = 0; ready && k < set[i]->n_constraints; k++) {
                const struct schema_constraint *c = &set[i]->constraints[k];
                const struct schema_table *ref;

                if (c->kind != SCHEMA_FOREIGN_KEY)
                    continue;
                ref = fk_target(set[i], c, set, n);
                if (!ref || ref == set[i])
                    continue;   /* an existing table, or itself: fine inline */
                for (size_t j = 0; j < n; j++)
                    if (set[j] == ref && !placed[j])
                        ready = 0;
            }
            if (ready)
                pick = i;
        }
        if (pick == n) {
            /* a cycle: the first unplaced table goes now, its keys later */
            for (size_t i = 0; i < n && pick == n; i++)
                if (!placed[i])
                    pick = i;
            separate[pick] = 1;
        }
        placed[pick] = 1;
        order[done++] = pick;
    }
    free(placed);
    return 0;
}

static ssize_t label_index(const struct schema_enum *en, const char *label)
{
    for (size_t i = 0; i < en->n_labels; i++)
        if (strcmp(en->labels[i], label) == 0)
            return (ssize_t)i;
    return -1;
}

/* The labels of an enum type both sides have.  A label the models add
 * goes AFTER the label before it in the models' list (which exists by
 * then: it is old or was added just before), or, first in that list,
 * BEFORE the first label the database has too. */
static int diff_enum(const struct schema_enum *want, const struct schema_enum *have,
                     struct diff *d, struct err *e)
{
    ssize_t last = -1;
    int changed = 0;

    for (size_t i = 0; i < have->n_labels; i++) {
        ssize_t at = label_index(want, have->labels[i]);

        if (at < 0 || at < last)
            changed = 1;        /* removed (or renamed), or out of the models' order */
        if (at >= 0)
            last = at;
    }
    for (size_t i = 0; i < want->n_labels; i++) {
        struct diff_op op = { .kind = DIFF_ADD_ENUM_VALUE, .enum_type = want,
                              .enum_label = want->labels[i] };

        if (label_index(have, want->labels[i]) >= 0)
            continue;
        if (i > 0) {
            op.enum_anchor = want->labels[i - 1];
        } else {
            for (size_t k = 1; k < want->n_labels && !op.enum_anchor; k++)
                if (label_index(have, want->labels[k]) >= 0)
                    op.enum_anchor = want->labels[k];
            op.enum_before = 1;
        }
        if (push(d, op, e) < 0)
            return -1;
    }
    if (changed && push(d, (struct diff_op){ .kind = DIFF_ENUM_CHANGED, .enum_type = want,
                                             .from_enum = have }, e) < 0)
        return -1;
    return 0;
}

/* Tables of `a` that `b` does not have. */
static int missing_tables(const struct schema *a, const struct schema *b,
                          const struct schema_table ***out, size_t *n, struct err *e)
{
    *out = calloc(a->n_tables ? a->n_tables : 1, sizeof(**out));
    *n = 0;
    if (!*out)
        return err_set(e, ERR_FAIL, "out of memory");
    for (size_t i = 0; i < a->n_tables; i++)
        if (!schema_find_table(b, a->tables[i].schema, a->tables[i].name))
            (*out)[(*n)++] = &a->tables[i];
    return 0;
}

/* Step 3 for one kept table: columns, indexes, unique/check/primary keys. */
static int diff_table(const struct schema_table *want, const struct schema_table *have,
                      struct diff *d, struct err *e)
{
    const struct schema_constraint *wpk = schema_primary_key(want);
    const struct schema_constraint *hpk = schema_primary_key(have);
    int pk_changed = (wpk || hpk) && !(wpk && hpk && constraint_eq(wpk, hpk));

    if (!comments_eq(want->comment, have->comment) &&
        push(d, (struct diff_op){ .kind = DIFF_TABLE_COMMENT, .table = want, .from_table = have },
             e) < 0)
        return -1;

    for (size_t i = 0; i < want->n_columns; i++) {
        const struct schema_column *wc = &want->columns[i];
        const struct schema_column *hc = schema_find_column(have, wc->name);
        unsigned alter = 0;

        if (!hc) {
            if (push(d, (struct diff_op){ .kind = DIFF_ADD_COLUMN, .table = want, .column = wc },
                     e) < 0)
                return -1;
            continue;
        }
        if (strcmp(wc->type, hc->type) != 0)
            alter |= DIFF_ALTER_TYPE;
        if (!wc->not_null != !hc->not_null)
            alter |= DIFF_ALTER_NULLABLE;
        if (!defaults_eq(wc, hc))
            alter |= DIFF_ALTER_DEFAULT;
        if (!comments_eq(wc->comment, hc->comment))
            alter |= DIFF_ALTER_COMMENT;
        if (alter && push(d, (struct diff_op){ .kind = DIFF_ALTER_COLUMN, .table = want,
                                               .column = wc, .from = hc, .alter = alter }, e) < 0)
            return -1;
    }
    /* what goes: indexes and keys removed or changed */
    for (size_t i = 0; i < have->n_indexes; i++) {
        const struct schema_index *hi = &have->indexes[i];
        const struct schema_index *wi = schema_find_index(want, hi->name);

        if ((!wi || !index_eq(wi, hi)) &&
            push(d, (struct diff_op){ .kind = DIFF_DROP_INDEX, .table = have, .index = hi }, e) < 0)
            return -1;
    }
    for (size_t i = 0; i < have->n_constraints; i++) {
        const struct schema_constraint *hc = &have->constraints[i];
        const struct schema_constraint *wc;

        if (hc->kind == SCHEMA_FOREIGN_KEY)
            continue;           /* steps 1 and 5 */
        if (hc->kind == SCHEMA_PRIMARY_KEY) {
            if (pk_changed && push(d, (struct diff_op){ .kind = DIFF_DROP_CONSTRAINT,
                                                        .table = have, .constraint = hc }, e) < 0)
                return -1;
            continue;
        }
        wc = schema_find_constraint(want, hc->name);
        if ((!wc || !constraint_eq(wc, hc)) &&
            push(d, (struct diff_op){ .kind = DIFF_DROP_CONSTRAINT, .table = have,
                                      .constraint = hc }, e) < 0)
            return -1;
    }
    /* what comes */
    if (wpk && pk_changed &&
        push(d, (struct diff_op){ .kind = DIFF_ADD_CONSTRAINT, .table = want, .constraint = wpk },
             e) < 0)
        return -1;
    for (size_t i = 0; i < want->n_constraints; i++) {
        const struct schema_constraint *wc = &want->constraints[i];
        const struct schema_constraint *hc;

        if (wc->kind == SCHEMA_FOREIGN_KEY || wc->kind == SCHEMA_PRIMARY_KEY)
            continue;
        hc = schema_find_constraint(have, wc->name);
        if ((!hc || !constraint_eq(wc, hc)) &&
            push(d, (struct diff_op){ .kind = DIFF_ADD_CONSTRAINT, .table = want,
                                      .constraint = wc }, e) < 0)
            return -1;
    }
    for (size_t i = 0; i < want->n_indexes; i++) {
        const struct schema_index *wi = &want->indexes[i];
        const struct schema_index *hi = schema_find_index(have, wi->name);

        if ((!hi || !index_eq(wi, hi)) &&
            push(d, (struct diff_op){ .kind = DIFF_ADD_INDEX, .table = want, .index = wi }, e) < 0)
            return -1;
    }
    for (size_t i = 0; i < have->n_columns; i++) {
        const struct schema_column *hc = &have->columns[i];

        if (!schema_find_column(want, hc->name) &&
            push(d, (struct diff_op){ .kind = DIFF_DROP_COLUMN, .table = have, .column = hc },
                 e) < 0)
            return -1;
    }
    return 0;
}

/* Foreign keys of kept tables: dropped (step 1, add = 0) or added (step 5). */
static int diff_fks(const struct schema *model, const struct schema *db, int add, struct diff *d,
                    struct err *e)
{
    const struct schema *from = add ? model : db, *other = add ? db : model;

    for (size_t i = 0; i < from->n_tables; i++) {
        const struct schema_table *t = &from->tables[i];
        const struct schema_table *o = schema_find_table(other, t->schema, t->name);

        if (!o)
            continue;
        for (size_t k = 0; k < t->n_constraints; k++) {
            const struct schema_constraint *c = &t->constraints[k];
            const struct schema_constraint *oc;

            if (c->kind != SCHEMA_FOREIGN_KEY)
                continue;
            oc = schema_find_constraint(o, c->name);
            if (oc && constraint_eq(c, oc))
                continue;
            if (push(d, (struct diff_op){ .kind = add ? DIFF_ADD_CONSTRAINT : DIFF_DROP_CONSTRAINT,
                                          .table = t, .constraint = c }, e) < 0)
                return -1;
        }
    }
    return 0;
}

/* A created (add) or dropped table with its indexes, and its foreign keys
 * as separate ops when it sits in a cycle. */
static int table_ops(const struct schema_table *t, int add, int separate, struct diff *d,
                     struct err *e)
{
    if (!add) {
        /* with `separate`, the caller dropped its foreign keys up front */
        for (size_t i = 0; i < t->n_indexes; i++)
            if (push(d, (struct diff_op){ .kind = DIFF_DROP_INDEX, .table = t,
                                          .index = &t->indexes[i] }, e) < 0)
                return -1;
        return push(d, (struct diff_op){ .kind = DIFF_DROP_TABLE, .table = t,
                                         .separate_fks = separate }, e);
    }
    if (push(d, (struct diff_op){ .kind = DIFF_ADD_TABLE, .table = t, .separate_fks = separate },
             e) < 0)
        return -1;
    /* alembic creates a new table's indexes sorted by name */
    for (const struct schema_index *prev = NULL;;) {
        const struct schema_index *next = NULL;

        for (size_t i = 0; i < t->n_indexes; i++) {
            const struct schema_index *ix = &t->indexes[i];

            if ((!prev || strcmp(ix->name, prev->name) > 0) &&
                (!next || strcmp(ix->name, next->name) < 0))
                next = ix;
        }
        if (!next)
            return 0;
        if (push(d, (struct diff_op){ .kind = DIFF_ADD_INDEX, .table = t, .index = next }, e) < 0)
            return -1;
        prev = next;
    }
}

static int fk_ops(const struct schema_table *t, int add, struct diff *d, struct err *e)
{
    for (size_t k = 0; k < t->n_constraints; k++)
        if (t->constraints[k].kind == SCHEMA_FOREIGN_KEY &&
            push(d, (struct diff_op){ .kind = add ? DIFF_ADD_CONSTRAINT : DIFF_DROP_CONSTRAINT,
                                      .table = t, .constraint = &t->constraints[k],
                                      .with_table = 1 }, e) < 0)
            return -1;
    return 0;
}

int diff_schemas(const struct schema *model, const struct schema *db, struct diff *out,
                 struct err *e)
{
    const struct schema_table **added = NULL, **removed = NULL;
    size_t n_added = 0, n_removed = 0;
    size_t *order = NULL;
    int *separate = NULL;
    struct diff d = DIFF_INIT;
    size_t n_max = model->n_tables + db->n_tables + 1;
    int ret = -1;

    if (missing_tables(model, db, &added, &n_added, e) < 0 ||
        missing_tables(db, model, &removed, &n_removed, e) < 0)
        goto out;
    order = calloc(n_max, sizeof(*order));
    separate = calloc(n_max, sizeof(*separate));
    if (!order || !separate) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }

    /* 0. enum types the models declare and the database lacks (alembic
     *    leaves types it did not create alone, and so do we: no drops),
     *    then the labels of existing ones */
    for (size_t i = 0; i < model->n_enums; i++)
        if (!schema_find_enum(db, model->enums[i].schema, model->enums[i].name) &&
            push(&d, (struct diff_op){ .kind = DIFF_ADD_ENUM, .enum_type = &model->enums[i] },
                 e) < 0)
            goto out;
    for (size_t i = 0; i < model->n_enums; i++) {
        const struct schema_enum *have = schema_find_enum(db, model->enums[i].schema,
                                                          model->enums[i].name);

        if (have && diff_enum(&model->enums[i], have, &d, e) < 0)
            goto out;
    }

    /* 1. foreign keys of kept tables that go or change */
    if (diff_fks(model, db, 0, &d, e) < 0)
        goto out;

    /* 2. removed tables, referencing before referenced */
    if (topo_order(removed, n_removed, order, separate, e) < 0)
        goto out;
    for (size_t i = 0; i < n_removed; i++)
        if (separate[i] && fk_ops(removed[i], 0, &d, e) < 0)
            goto out;
    for (size_t i = n_removed; i-- > 0;)
        if (table_ops(removed[order[i]], 0, separate[order[i]], &d, e) < 0)
            goto out;

    /* 3. changes inside kept tables, in the models' order */
    for (size_t i = 0; i < model->n_tables; i++) {
        const struct schema_table *want = &model->tables[i];
        const struct schema_table *have = schema_find_table(db, want->schema, want->name);

        if (have && diff_table(want, have, &d, e) < 0)
            goto out;
    }

    /* 4. added tables, referenced before referencing */
    memset(separate, 0, n_max * sizeof(*separate));
    if (topo_order(added, n_added, order, separate, e) < 0)
        goto out;
    for (size_t i = 0; i < n_added; i++)
        if (table_ops(added[order[i]], 1, separate[order[i]], &d, e) < 0)
            goto out;
    for (size_t i = 0; i < n_added; i++)
        if (separate[order[i]] && fk_ops(added[order[i]], 1, &d, e) < 0)
            goto out;

    /* 5. foreign keys of kept tables that are new or changed */
    if (diff_fks(model, db, 1, &d, e) < 0)
        goto out;

    *out = d;
    d = (struct diff)DIFF_INIT;
    ret = 0;
out:
    diff_release(&d);
    free(added);
    free(removed);
    free(order);
    free(separate);
    return ret;
}

struct diff_op diff_inverse(const struct diff_op *op)
{
    struct diff_op inv = *op;

    switch (op->kind) {
    case DIFF_ADD_TABLE: inv.kind = DIFF_DROP_TABLE; break;
    case DIFF_DROP_TABLE: inv.kind = DIFF_ADD_TABLE; break;
    case DIFF_ADD_COLUMN: inv.kind = DIFF_DROP_COLUMN; break;
    case DIFF_DROP_COLUMN: inv.kind = DIFF_ADD_COLUMN; break;
    case DIFF_ALTER_COLUMN:
        inv.column = op->from;
        inv.from = op->column;
        break;
    case DIFF_ADD_INDEX: inv.kind = DIFF_DROP_INDEX; break;
    case DIFF_DROP_INDEX: inv.kind = DIFF_ADD_INDEX; break;
    case DIFF_ADD_CONSTRAINT: inv.kind = DIFF_DROP_CONSTRAINT; break;
    case DIFF_DROP_CONSTRAINT: inv.kind = DIFF_ADD_CONSTRAINT; break;
    case DIFF_ADD_ENUM: inv.kind = DIFF_DROP_ENUM; break;
    case DIFF_DROP_ENUM: inv.kind = DIFF_ADD_ENUM; break;
    case DIFF_TABLE_COMMENT:
        inv.table = op->from_table;
        inv.from_table = op->table;
        break;
    case DIFF_ADD_ENUM_VALUE: inv.kind = DIFF_DROP_ENUM_VALUE; break;
    case DIFF_DROP_ENUM_VALUE: inv.kind = DIFF_ADD_ENUM_VALUE; break;
    case DIFF_ENUM_CHANGED:
        inv.enum_type = op->from_enum;
        inv.from_enum = op->enum_type;
        break;
    }
    return inv;
}

/* 'users' or 'sales.users', as alembic's %r of the (schema-qualified) name. */
static void table_name(struct strbuf *sb, const struct schema_table *t)
{
    if (strcmp(t->schema, SCHEMA_DEFAULT) != 0)
        strbuf_addf(sb, "%s.", t->schema);
    strbuf_adds(sb, t->name);
}

/* 'mood' or 'sales.mood' */
static void enum_name(struct strbuf *sb, const struct schema_enum *en)
{
    if (strcmp(en->schema, SCHEMA_DEFAULT) != 0)
        strbuf_addf(sb, "%s.", en->schema);
    strbuf_adds(sb, en->name);
}

/* Python's repr of a list of names: ['a', 'b'] */
static void py_list(struct strbuf *sb, char *const *names, size_t n)
{
    strbuf_addch(sb, '[');
    for (size_t i = 0; i < n; i++)
        strbuf_addf(sb, "%s'%s'", i ? ", " : "", names[i]);
    strbuf_addch(sb, ']');
}

static void joined(struct strbuf *sb, char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        strbuf_addf(sb, "%s%s", i ? ", " : "", names[i]);
}

static void describe_constraint(struct strbuf *sb, const struct diff_op *op, int add)
{
    const struct schema_constraint *c = op->constraint;
    const char *verb = add ? "added" : "removed";

    switch (c->kind) {
    case SCHEMA_FOREIGN_KEY:
        strbuf_addf(sb, "Detected %s foreign key (", verb);
        joined(sb, c->columns, c->n_columns);
        strbuf_adds(sb, ")(");
        joined(sb, c->ref_columns, c->n_ref_columns);
        strbuf_adds(sb, ") on table ");
        table_name(sb, op->table);
        return;
    case SCHEMA_UNIQUE:
    case SCHEMA_PRIMARY_KEY:
        strbuf_addf(sb, "Detected %s %s '%s' on '", verb,
                    c->kind == SCHEMA_UNIQUE ? "unique constraint" : "primary key", c->name);
        if (add)
            py_list(sb, c->columns, c->n_columns);
        else
            table_name(sb, op->table);
        strbuf_addch(sb, '\'');
        return;
    case SCHEMA_CHECK:
        strbuf_addf(sb, "Detected %s check constraint '%s' on '", verb, c->name);
        table_name(sb, op->table);
        strbuf_addch(sb, '\'');
        return;
    }
}

char *diff_describe(const struct diff_op *op)
{
    struct strbuf sb = STRBUF_INIT;
    const char *sep = "";

    switch (op->kind) {
    case DIFF_ADD_TABLE:
    case DIFF_DROP_TABLE:
        strbuf_addf(&sb, "Detected %s table '", op->kind == DIFF_ADD_TABLE ? "added" : "removed");
        table_name(&sb, op->table);
        strbuf_addch(&sb, '\'');
        break;
    case DIFF_ADD_COLUMN:
    case DIFF_DROP_COLUMN:
        strbuf_addf(&sb, "Detected %s column '", op->kind == DIFF_ADD_COLUMN ? "added" : "removed");
        table_name(&sb, op->table);
        strbuf_addf(&sb, ".%s'", op->column->name);
        break;
    case DIFF_ALTER_COLUMN:
        if (op->alter & DIFF_ALTER_TYPE) {
            strbuf_addf(&sb, "Detected type change from '%s' to '%s' on '", op->from->type,
                        op->column->type);
            table_name(&sb, op->table);
            strbuf_addf(&sb, ".%s'", op->column->name);
            sep = "\n";
        }
        if (op->alter & DIFF_ALTER_NULLABLE) {
            strbuf_addf(&sb, "%sDetected %s on column '", sep,
                        op->column->not_null ? "NOT NULL" : "NULL");
            table_name(&sb, op->table);
            strbuf_addf(&sb, ".%s'", op->column->name);
            sep = "\n";
        }
        if (op->alter & DIFF_ALTER_DEFAULT) {
            strbuf_addf(&sb, "%sDetected server default on column '", sep);
            table_name(&sb, op->table);
            strbuf_addf(&sb, ".%s'", op->column->name);
            sep = "\n";
        }
        if (op->alter & DIFF_ALTER_COMMENT) {
            strbuf_addf(&sb, "%sDetected column comment '", sep);
            table_name(&sb, op->table);
            strbuf_addf(&sb, ".%s'", op->column->name);
        }
        break;
    case DIFF_ADD_INDEX:
        strbuf_addf(&sb, "Detected added index '%s' on '", op->index->name);
        py_list(&sb, op->index->columns, op->index->n_columns);
        strbuf_addch(&sb, '\'');
        break;
    case DIFF_DROP_INDEX:
        strbuf_addf(&sb, "Detected removed index '%s' on '", op->index->name);
        table_name(&sb, op->table);
        strbuf_addch(&sb, '\'');
        break;
    case DIFF_ADD_CONSTRAINT:
    case DIFF_DROP_CONSTRAINT:
        if (op->with_table)
            return NULL;
        describe_constraint(&sb, op, op->kind == DIFF_ADD_CONSTRAINT);
        break;
    case DIFF_ADD_ENUM:
    case DIFF_DROP_ENUM:
        strbuf_addf(&sb, "Detected %s enum type '", op->kind == DIFF_ADD_ENUM ? "added" : "removed");
        enum_name(&sb, op->enum_type);
        strbuf_addch(&sb, '\'');
        break;
    case DIFF_ADD_ENUM_VALUE:
    case DIFF_DROP_ENUM_VALUE:
        strbuf_addf(&sb, "Detected %s label '%s' %s enum type '",
                    op->kind == DIFF_ADD_ENUM_VALUE ? "added" : "removed", op->enum_label,
                    op->kind == DIFF_ADD_ENUM_VALUE ? "to" : "from");
        enum_name(&sb, op->enum_type);
        strbuf_addch(&sb, '\'');
        break;
    case DIFF_ENUM_CHANGED:
        strbuf_adds(&sb, "Detected removed, renamed or reordered labels of enum type '");
        enum_name(&sb, op->enum_type);
        strbuf_adds(&sb, "': ");
        py_list(&sb, op->from_enum->labels, op->from_enum->n_labels);
        strbuf_adds(&sb, " to ");
        py_list(&sb, op->enum_type->labels, op->enum_type->n_labels);
        strbuf_adds(&sb, " (not generated; please adjust)");
        break;
    case DIFF_TABLE_COMMENT:
        strbuf_adds(&sb, "Detected table comment '");
        table_name(&sb, op->table);
        strbuf_addch(&sb, '\'');
        break;
    }
    return strbuf_detach(&sb);
}
