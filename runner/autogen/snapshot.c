/* snapshot.c -- the schema as sorted facts (see snapshot.h). */
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "introspect.h"
#include "pg.h"
#include "pg_prepared.h"
#include "schema.h"
#include "sql_quote.h"

/* The schemas a migration may touch.  pg_toast, pg_temp_N and the like all
 * start with pg_. */
static const char schemas_sql[] =
    "SELECT n.nspname FROM pg_catalog.pg_namespace n"
    " WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'"
    " ORDER BY 1";

/* The comment on an object: pg_description itself, because
 * obj_description() is an SQL function that is planned again on every
 * execution of the statement calling it (a few ms each). */
#define DESCRIPTION(oid, catalog)                                                 \
    "(SELECT pd.description FROM pg_catalog.pg_description pd WHERE pd.objoid = " \
    oid " AND pd.classoid = 'pg_catalog." catalog "'::regclass AND pd.objsubid = 0)"

/* Everything introspect.c does not read, as (object, attr, value) rows
 * with the object already named the way fact names are (bare when the
 * name needs no quotes, qualified outside public).  $1: excluded table
 * names.  Objects that belong to an extension (pg_depend 'e') are left
 * out. */
static const char extras_sql[] =
    "WITH ns AS (SELECT n.oid, n.nspname,"
    "  CASE WHEN n.nspname = 'public' THEN '' ELSE pg_catalog.quote_ident(n.nspname) || '.' END"
    "  AS q FROM pg_catalog.pg_namespace n"
    "  WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'),"
    " ext AS (SELECT d.classid, d.objid FROM pg_catalog.pg_depend d WHERE d.deptype = 'e'),"
    " rel AS (SELECT c.oid, c.relname, c.relkind, ns.q || pg_catalog.quote_ident(c.relname) AS qn"
    "  FROM pg_catalog.pg_class c JOIN ns ON ns.oid = c.relnamespace"
    "  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_class'::regclass"
    "   AND ext.objid = c.oid)"
    "  AND NOT (c.relname = ANY($1::text[]) AND c.relkind IN ('r', 'p'))),"
    " f(object, attr, value) AS ("
    /* schemas */
    " SELECT 'schema ' || pg_catalog.quote_ident(ns.nspname), a.attr, a.value FROM ns"
    "  CROSS JOIN LATERAL (VALUES ('', CASE WHEN ns.nspname <> 'public' THEN '' END),"
    "   ('comment', " DESCRIPTION("ns.oid", "pg_namespace") ")) a(attr, value)"
    "  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_namespace'::regclass"
    "   AND ext.objid = ns.oid)"
    /* extensions */
    " UNION ALL SELECT 'extension ' || pg_catalog.quote_ident(x.extname), a.attr, a.value"
    "  FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace"
    "  CROSS JOIN LATERAL (VALUES ('', ''), ('version', x.extversion), ('schema', n.nspname))"
    "  a(attr, value)"
    /* sequences, except those an excluded table owns */
    " UNION ALL SELECT 'sequence ' || rel.qn, a.attr, a.value FROM rel"
    "  JOIN pg_catalog.pg_sequence s ON s.seqrelid = rel.oid"
    "  CROSS JOIN LATERAL (VALUES ('', ''), ('definition',"
    "   pg_catalog.format_type(s.seqtypid, NULL) || ' increment ' || s.seqincrement"
    "   || ' minvalue ' || s.seqmin || ' maxvalue ' || s.seqmax || ' start ' || s.seqstart"
    "   || ' cache ' || s.seqcache || CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END),"
    "   ('comment', " DESCRIPTION("rel.oid", "pg_class") ")) a(attr, value)"
    "  WHERE rel.relkind = 'S' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"
    "   JOIN pg_catalog.pg_class t ON t.oid = d.refobjid"
    "   WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = rel.oid"
    "   AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i')"
    "   AND t.relname = ANY($1::text[]))"
    /* views, materialized views, foreign tables, composite types */
    " UNION ALL SELECT CASE rel.relkind WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view '"
    "   WHEN 'f' THEN 'foreign table ' ELSE 'type ' END || rel.qn, a.attr, a.value FROM rel"
    "  CROSS JOIN LATERAL (VALUES ('', ''),"
    "   ('definition', CASE WHEN rel.relkind IN ('v', 'm')"
    "    THEN pg_catalog.pg_get_viewdef(rel.oid, true) ELSE"
    "    (SELECT string_agg(pg_catalog.quote_ident(at.attname) || ' '"
    "     || pg_catalog.format_type(at.atttypid, at.atttypmod), ', ' ORDER BY at.attnum)"
    "     FROM pg_catalog.pg_attribute at WHERE at.attrelid = rel.oid AND at.attnum > 0"
    "     AND NOT at.attisdropped) END),"
    "   ('comment', " DESCRIPTION("rel.oid", "pg_class") ")) a(attr, value)"
    "  WHERE rel.relkind IN ('v', 'm', 'f', 'c')"
    /* comments on indexes (introspect.c reads their definitions) and on
     * table constraints: pg_description first, it is small */
    " UNION ALL SELECT 'index ' || rel.qn, 'comment', d.description"
    "  FROM pg_catalog.pg_description d JOIN rel ON rel.oid = d.objoid"
    "  WHERE d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0"
    "  AND rel.relkind IN ('i', 'I') AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c"
    "   WHERE c.conindid = rel.oid AND c.contype IN ('p', 'u', 'x'))"
    " UNION ALL SELECT 'constraint ' || pg_catalog.quote_ident(c.conname) || ' on ' || rel.qn,"
    "  'comment', d.description FROM pg_catalog.pg_description d"
    "  JOIN pg_catalog.pg_constraint c ON c.oid = d.objoid"
    "  JOIN rel ON rel.oid = c.conrelid"
    "  WHERE d.classoid = 'pg_catalog.pg_constraint'::regclass"
    /* functions, procedures, aggregates */
    " UNION ALL SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' WHEN 'a' THEN 'aggregate '"
    "   ELSE 'function ' END || p.q || pg_catalog.quote_ident(p.proname) || '('"
    "   || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')', a.attr, a.value"
    /* the schemas first (OFFSET 0 keeps it so): pg_proc is big */
    /* FirstNormalObjectId: what initdb made is below, all else above; the
     * range uses the oid index instead of reading all of pg_proc */
    "  FROM (SELECT p.oid, p.proname, p.prokind, ns.q FROM pg_catalog.pg_proc p"
    "   JOIN ns ON ns.oid = p.pronamespace WHERE p.oid >= 16384::oid"
    "   OFFSET 0) p"
    "  CROSS JOIN LATERAL (VALUES ('', ''), ('definition', CASE WHEN p.prokind IN ('f', 'p')"
    "   THEN pg_catalog.pg_get_functiondef(p.oid) ELSE"
    "   pg_catalog.pg_get_function_result(p.oid) END),"
    "   ('comment', " DESCRIPTION("p.oid", "pg_proc") ")) a(attr, value)"
    "  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_proc'::regclass"
    "   AND ext.objid = p.oid)"
    /* triggers */
    " UNION ALL SELECT 'trigger ' || pg_catalog.quote_ident(t.tgname) || ' on ' || rel.qn,"
    "  a.attr, a.value FROM pg_catalog.pg_trigger t JOIN rel ON rel.oid = t.tgrelid"
    "  CROSS JOIN LATERAL (VALUES ('', ''), ('definition', pg_catalog.pg_get_triggerdef(t.oid, true)),"
    "   ('enabled', t.tgenabled::text),"
    "   ('comment', " DESCRIPTION("t.oid", "pg_trigger") ")) a(attr, value)"
    "  WHERE NOT t.tgisinternal"
    /* domains, range types and comments on enum types (enums are introspect.c's) */
    " UNION ALL SELECT CASE t.typtype WHEN 'd' THEN 'domain ' ELSE 'type ' END || t.q"
    "   || pg_catalog.quote_ident(t.typname), a.attr, a.value"
    "  FROM (SELECT t.oid, t.typname, t.typtype, t.typbasetype, t.typtypmod, t.typnotnull,"
    "   t.typdefault, ns.q FROM pg_catalog.pg_type t JOIN ns ON ns.oid = t.typnamespace"
    "   AND t.oid >= 16384::oid"
    "   WHERE t.typtype IN ('d', 'r', 'e') OFFSET 0) t"
    "  CROSS JOIN LATERAL (VALUES ('', CASE WHEN t.typtype <> 'e' THEN '' END),"
    "   ('definition', CASE WHEN t.typtype = 'd' THEN"
    "    pg_catalog.format_type(t.typbasetype, t.typtypmod)"
    "    || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END"
    "    || COALESCE(' DEFAULT ' || t.typdefault, '')"
    "    || COALESCE((SELECT ' ' || string_agg(pg_catalog.pg_get_constraintdef(c.oid, true), ' '"
    "     ORDER BY c.conname) FROM pg_catalog.pg_constraint c WHERE c.contypid = t.oid), '')"
    "    WHEN t.typtype = 'r' THEN (SELECT pg_catalog.format_type(r.rngsubtype, NULL)"
    "     FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid) END),"
    "   ('comment', " DESCRIPTION("t.oid", "pg_type") ")) a(attr, value)"
    "  WHERE NOT EXISTS (SELECT 1 FROM ext"
    "   WHERE ext.classid = 'pg_catalog.pg_type'::regclass AND ext.objid = t.oid)"
    ")"
    " SELECT object, attr, value FROM f WHERE value IS NOT NULL";

static int oom(struct err *e)
{
    return err_set(e, ERR_FAIL, "out of memory");
}

static int add_fact(struct snapshot *s, const char *object, const char *attr,
                    const char *value)
{
    struct snapshot_fact *f;

    if (s->n_facts == s->alloc) {
        size_t n = s->alloc ? s->alloc * 2 : 256;
        struct snapshot_fact *grown = realloc(s->facts, n * sizeof(*grown));

        if (!grown)
            return -1;
        s->facts = grown;
        s->alloc = n;
    }
    f = &s->facts[s->n_facts];
    f->object = strdup(object);
    f->attr = strdup(attr ? attr : "");
    f->value = strdup(value ? value : "");
    if (!f->object || !f->attr || !f->value) {
        free(f->object);
        free(f->attr);
        free(f->value);
        return -1;
    }
    s->n_facts++;
    return 0;
}

/* A name as a reader expects it: bare when it needs no quotes. */
static void add_name(struct strbuf *sb, const char *name)
{
    int bare = (*name >= 'a' && *name <= 'z') || *name == '_';

    for (const char *p = name; bare && *p; p++)
        bare = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '$';
    if (bare)
        strbuf_adds(sb, name);
    else
        sql_quote_ident(sb, name);
}

/* "users", or "audit.users" outside public. */
static void add_qualified(struct strbuf *sb, const char *schema, const char *name)
{
    if (schema && strcmp(schema, SCHEMA_DEFAULT) != 0) {
        add_name(sb, schema);
        strbuf_addch(sb, '.');
    }
    add_name(sb, name);
}

/* One object's existence and its set attributes (attr/value pairs, the
 * list ends with a NULL attr; a NULL value is left out). */
static int add_object(struct snapshot *s, const char *object, const char *const *pairs)
{
    if (add_fact(s, object, "", "") < 0)
        return -1;
    for (size_t i = 0; pairs && pairs[i]; i += 2)
        if (pairs[i + 1] && add_fact(s, object, pairs[i], pairs[i + 1]) < 0)
            return -1;
    return 0;
}

static int add_column(struct snapshot *s, const char *table, const struct schema_column *c)
{
    struct strbuf obj = STRBUF_INIT;
    char *shown = schema_type_display(c->type);
    const char *identity = c->identity == 'a' ? "ALWAYS" : c->identity == 'd' ? "BY DEFAULT"
                                                                             : NULL;
    const char *pairs[] = { "type",     shown ? shown : c->type,
                            "nullability", c->not_null ? "NOT NULL" : "NULL",
                            "default",  c->server_default,
                            "identity", identity,
                            "comment",  c->comment,
                            NULL };
    int ret;

    strbuf_addf(&obj, "column %s.", table);
    add_name(&obj, c->name);
    ret = strbuf_failed(&obj) ? -1 : add_object(s, strbuf_str(&obj), pairs);
    strbuf_release(&obj);
    free(shown);
    return ret;
}

static int add_table(struct snapshot *s, const struct schema_table *t)
{
    struct strbuf name = STRBUF_INIT, obj = STRBUF_INIT;
    const char *pairs[] = { "comment", t->comment, NULL };
    int ret = -1;

    add_qualified(&name, t->schema, t->name);
    strbuf_addf(&obj, "table %s", strbuf_str(&name));
    if (strbuf_failed(&name) || strbuf_failed(&obj) || add_object(s, strbuf_str(&obj), pairs) < 0)
        goto out;
    for (size_t i = 0; i < t->n_columns; i++)
        if (add_column(s, strbuf_str(&name), &t->columns[i]) < 0)
            goto out;
    for (size_t i = 0; i < t->n_indexes; i++) {
        const char *ip[] = { "definition", t->indexes[i].definition, NULL };

        strbuf_reset(&obj);
        strbuf_adds(&obj, "index ");
        add_qualified(&obj, t->schema, t->indexes[i].name);
        if (strbuf_failed(&obj) || add_object(s, strbuf_str(&obj), ip) < 0)
            goto out;
    }
    for (size_t i = 0; i < t->n_constraints; i++) {
        const char *cp[] = { "definition", t->constraints[i].definition, NULL };

        strbuf_reset(&obj);
        strbuf_adds(&obj, "constraint ");
        add_name(&obj, t->constraints[i].name);
        strbuf_addf(&obj, " on %s", strbuf_str(&name));
        if (strbuf_failed(&obj) || add_object(s, strbuf_str(&obj), cp) < 0)
            goto out;
    }
    ret = 0;
out:
    strbuf_release(&name);
    strbuf_release(&obj);
    return ret;
}

/* Enum types: the type, and each label as an object of its own, so that
 * a label left behind is named (the order of labels is not compared). */
static int add_enum(struct snapshot *s, const struct schema_enum *en)
{
    struct strbuf name = STRBUF_INIT, obj = STRBUF_INIT;
    int ret = -1;

    /* introspect.c gives the name already quoted where it must be */
    if (strcmp(en->schema, SCHEMA_DEFAULT) != 0) {
        add_name(&name, en->schema);
        strbuf_addch(&name, '.');
    }
    strbuf_adds(&name, en->name);
    strbuf_addf(&obj, "type %s", strbuf_str(&name));
    if (strbuf_failed(&obj) || add_object(s, strbuf_str(&obj), NULL) < 0)
        goto out;
    for (size_t i = 0; i < en->n_labels; i++) {
        strbuf_reset(&obj);
        strbuf_adds(&obj, "enum label ");
        sql_quote_literal(&obj, en->labels[i]);
        strbuf_addf(&obj, " of type %s", strbuf_str(&name));
        if (strbuf_failed(&obj) || add_object(s, strbuf_str(&obj), NULL) < 0)
            goto out;
    }
    ret = 0;
out:
    strbuf_release(&name);
    strbuf_release(&obj);
    return ret;
}

static int cmp_fact(const void *a, const void *b)
{
    const struct snapshot_fact *x = a, *y = b;
    int c = strcmp(x->object, y->object);

    return c ? c : strcmp(x->attr, y->attr);
}

/* {"a","b"}: a text[] literal of names. */
static char *names_array(const char *const *names, size_t n)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addch(&sb, '{');
    for (size_t i = 0; i < n; i++) {
        strbuf_adds(&sb, i ? ",\"" : "\"");
        for (const char *p = names[i]; p && *p; p++) {
            if (*p == '"' || *p == '\\')
                strbuf_addch(&sb, '\\');
            strbuf_addch(&sb, *p);
        }
        strbuf_addch(&sb, '"');
    }
    strbuf_addch(&sb, '}');
    return strbuf_detach(&sb);
}

/* sql with every "$1" replaced by the quoted literal of value: the read
 * is then prepared once per session (caller frees; NULL on OOM). */
static char *inline_names(const char *sql, const char *value)
{
    struct strbuf sb = STRBUF_INIT, lit = STRBUF_INIT;

    sql_quote_literal(&lit, value);
    for (const char *p = sql; *p; p++) {
        if (p[0] == '$' && p[1] == '1') {
            strbuf_adds(&sb, strbuf_str(&lit));
            p++;
        } else {
            strbuf_addch(&sb, *p);
        }
    }
    strbuf_release(&lit);
    return strbuf_detach(&sb);
}

int snapshot_take(struct pg *db, const struct snapshot_opts *o, struct snapshot *out,
                  struct err *e)
{
    struct snapshot s = SNAPSHOT_INIT;
    struct schema sc = SCHEMA_INIT;
    struct pg_rows rows = PG_ROWS_INIT;
    const char **schemas = NULL;
    char *excluded = names_array(o ? o->exclude : NULL, o ? o->n_exclude : 0);
    int known = o && o->prepared;
    struct introspect_opts io = { NULL, 0, o ? o->exclude : NULL, o ? o->n_exclude : 0,
                                  known ? 2 : 1 };
    char *extras = NULL;
    int ret = -1;

    if (!excluded)
        return oom(e);
    extras = inline_names(extras_sql, excluded);
    if (!extras) {
        oom(e);
        goto out;
    }
    if (pg_query_prepared(db, "runner_snapshot", schemas_sql, known, &rows, e) < 0)
        goto fail_query;
    schemas = calloc(rows.n_rows + 1, sizeof(*schemas));
    if (!schemas) {
        oom(e);
        goto out;
    }
    for (size_t i = 0; i < rows.n_rows; i++)
        schemas[i] = pg_rows_get(&rows, i, 0);
    io.schemas = schemas;
    io.n_schemas = rows.n_rows;
    /* no schema at all: read "public", which then finds nothing */
    if (introspect_schema(db, &io, &sc, e) < 0)
        goto out;
    for (size_t i = 0; i < sc.n_tables; i++)
        if (add_table(&s, &sc.tables[i]) < 0)
            goto fail_oom;
    for (size_t i = 0; i < sc.n_enums; i++)
        if (add_enum(&s, &sc.enums[i]) < 0)
            goto fail_oom;
    pg_rows_release(&rows);
    if (pg_query_prepared(db, "runner_snapshot", extras, known, &rows, e) < 0)
        goto fail_query;
    for (size_t i = 0; i < rows.n_rows; i++)
        if (add_fact(&s, pg_rows_get(&rows, i, 0), pg_rows_get(&rows, i, 1),
                     pg_rows_get(&rows, i, 2)) < 0)
            goto fail_oom;
    qsort(s.facts, s.n_facts, sizeof(*s.facts), cmp_fact);
    *out = s;
    s = (struct snapshot)SNAPSHOT_INIT;
    ret = 0;
    goto out;
fail_query:
    err_prefix(e, "cannot read the database schema");
    goto out;
fail_oom:
    oom(e);
out:
    pg_rows_release(&rows);
    schema_release(&sc);
    snapshot_release(&s);
    free(schemas);
    free(excluded);
    free(extras);
    return ret;
}

void snapshot_release(struct snapshot *s)
{
    for (size_t i = 0; i < s->n_facts; i++) {
        free(s->facts[i].object);
        free(s->facts[i].attr);
        free(s->facts[i].value);
    }
    free(s->facts);
    *s = (struct snapshot)SNAPSHOT_INIT;
}

/* A value for a message: long definitions are cut, "" is "none". */
static void add_value(struct strbuf *out, const char *v)
{
    size_t len = strlen(v);

    if (!*v)
        strbuf_adds(out, "none");
    else if (len > 120)
        strbuf_addf(out, "%.117s...", v);
    else
        strbuf_adds(out, v);
}

static void add_difference(struct strbuf *out, size_t *n, size_t max, const char *what,
                           const char *verb, const struct snapshot_fact *f,
                           const struct snapshot_fact *want)
{
    if (++*n > max)
        return;
    if (out->len)
        strbuf_adds(out, "; ");
    strbuf_addf(out, "%s %s %s", what, verb, f->object);
    if (!want)
        return;
    strbuf_addf(out, " %s ", f->attr);
    add_value(out, f->value);
    strbuf_adds(out, ", expected ");
    add_value(out, want->value);
}

/* Facts of the object at facts[*i] are skipped: it differs as a whole. */
static void skip_object(const struct snapshot *s, size_t *i)
{
    const char *obj = s->facts[*i].object;

    while (*i < s->n_facts && strcmp(s->facts[*i].object, obj) == 0)
        (*i)++;
}

size_t snapshot_diff(const struct snapshot *expected, const struct snapshot *got,
                     const char *what, size_t max, struct strbuf *out)
{
    size_t i = 0, j = 0, n = 0;
    size_t start = out->len;

    while (i < expected->n_facts || j < got->n_facts) {
        const struct snapshot_fact *x = i < expected->n_facts ? &expected->facts[i] : NULL;
        const struct snapshot_fact *y = j < got->n_facts ? &got->facts[j] : NULL;
        int c = !x ? 1 : !y ? -1 : cmp_fact(x, y);

        if (c == 0) {
            if (strcmp(x->value, y->value) != 0)
                add_difference(out, &n, max, what, "left", y, x);
            i++;
            j++;
        } else if (c < 0) {
            /* expected, not there: an object gone, or an attribute unset */
            if (!*x->attr) {
                add_difference(out, &n, max, what, "did not restore", x, NULL);
                skip_object(expected, &i);
            } else {
                struct snapshot_fact none = { x->object, x->attr, "" };

                add_difference(out, &n, max, what, "left", &none, x);
                i++;
            }
        } else {
            if (!*y->attr) {
                add_difference(out, &n, max, what, "left", y, NULL);
                skip_object(got, &j);
            } else {
                struct snapshot_fact none = { y->object, y->attr, "" };

                add_difference(out, &n, max, what, "left", y, &none);
                j++;
            }
        }
    }
    if (n > max)
        strbuf_addf(out, "%s and %zu more", out->len > start ? ";" : "", n - max);
    return n;
}
