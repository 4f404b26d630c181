/* introspect.c -- the live schema from pg_catalog (see introspect.h). */
#include "introspect.h"

#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "pg_prepared.h"
#include "sql_quote.h"
#include "strbuf.h"

/* Five reads, each one row per table, column, index key, constraint key
 * or enum label, sorted so that the rows of one object are adjacent.
 * Each comes in three variants of its filter (SCOPE):
 *
 *   LISTED  the schemas in $1 (a text[]), for autogenerate;
 *   USER    every schema but pg_* and information_schema (snapshot.c);
 *   ONLY    USER, and only the tables (or enum types) whose oid is in
 *           $1 (an oid[]): what changed since the last read. */
#define LISTED " n.nspname = ANY($1::text[]) "
#define USER " n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' "
#define ONLY USER " AND t.oid = ANY($1::oid[]) "
#define REL_FILTER(scope) " t.relkind IN ('r', 'p') AND NOT t.relispartition AND" scope

#define TABLES_SQL(scope)                                                                   \
    "SELECT n.nspname, t.relname, (SELECT d.description FROM pg_catalog.pg_description d"  \
    "  WHERE d.objoid = t.oid AND d.classoid = 'pg_catalog.pg_class'::regclass"             \
    "  AND d.objsubid = 0), t.oid"                                                          \
    " FROM pg_catalog.pg_class t"                                                           \
    " JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace"                             \
    " WHERE" REL_FILTER(scope)                                                              \
    " ORDER BY 1, 2"

#define COLUMNS_SQL(scope)                                                                  \
    "SELECT n.nspname, t.relname, a.attname,"                                               \
    " pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,"                       \
    " pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity,"                           \
    " (SELECT ds.description FROM pg_catalog.pg_description ds WHERE ds.objoid = t.oid"     \
    "  AND ds.classoid = 'pg_catalog.pg_class'::regclass AND ds.objsubid = a.attnum),"      \
    " d.oid"                                                                                \
    " FROM pg_catalog.pg_class t"                                                           \
    " JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace"                             \
    " JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0"                \
    "  AND NOT a.attisdropped"                                                              \
    " LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = t.oid AND d.adnum = a.attnum"        \
    " WHERE" REL_FILTER(scope)                                                              \
    " ORDER BY 1, 2, a.attnum"

/* Indexes that back a primary key, unique or exclusion constraint are
 * read as that constraint.  Key columns only (not INCLUDE columns); an
 * expression key (attnum 0) comes as pg_get_indexdef() of that column. */
#define INDEXES_SQL(scope)                                                                  \
    "SELECT n.nspname, t.relname, i.relname, ix.indisunique,"                               \
    " pg_catalog.pg_get_expr(ix.indpred, ix.indrelid, true),"                               \
    " a.attname, pg_catalog.pg_get_indexdef(ix.indexrelid, k.ord::int, true),"              \
    " pg_catalog.pg_get_indexdef(ix.indexrelid), i.oid"                                     \
    " FROM pg_catalog.pg_index ix"                                                          \
    " JOIN pg_catalog.pg_class i ON i.oid = ix.indexrelid"                                  \
    " JOIN pg_catalog.pg_class t ON t.oid = ix.indrelid"                                    \
    " JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace"                             \
    " CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)"       \
    " LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum"    \
    "  AND k.attnum <> 0"                                                                   \
    " WHERE" REL_FILTER(scope) " AND k.ord <= ix.indnkeyatts"                               \
    "  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c"                            \
    "   WHERE c.conindid = ix.indexrelid AND c.conrelid = t.oid"                            \
    "   AND c.contype IN ('p', 'u', 'x'))"                                                  \
    " ORDER BY 1, 2, 3, k.ord"

/* Column names by lookup, not by join: a join hashes all of pg_attribute. */
#define CONSTRAINTS_SQL(scope)                                                              \
    "SELECT n.nspname, t.relname, c.conname, c.contype, c.confdeltype, c.confupdtype,"      \
    " rn.nspname, rt.relname, pg_catalog.pg_get_constraintdef(c.oid, true),"                \
    " (SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.conrelid"       \
    "  AND a.attnum = k.attnum),"                                                           \
    " (SELECT fa.attname FROM pg_catalog.pg_attribute fa WHERE fa.attrelid = c.confrelid"   \
    "  AND fa.attnum = c.confkey[k.ord::int]), c.oid"                                       \
    " FROM pg_catalog.pg_constraint c"                                                      \
    " JOIN pg_catalog.pg_class t ON t.oid = c.conrelid"                                     \
    " JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace"                             \
    " LEFT JOIN pg_catalog.pg_class rt ON rt.oid = c.confrelid"                             \
    " LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rt.relnamespace"                     \
    " LEFT JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) ON true"         \
    " WHERE c.contype IN ('p', 'u', 'f', 'c') AND" REL_FILTER(scope)                        \
    " ORDER BY 1, 2, 3, k.ord"

/* Enum types, one row per label in sort order; the name as format_type()
 * prints it (quoted when it must be). */
#define ENUMS_SQL(scope)                                                                    \
    "SELECT n.nspname, pg_catalog.quote_ident(t.typname), e.enumlabel, t.oid"               \
    " FROM pg_catalog.pg_type t"                                                            \
    " JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"                             \
    " JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid"                                     \
    " WHERE t.typtype = 'e' AND" scope                                                      \
    " ORDER BY 1, 2, e.enumsortorder"

#define READS(scope) \
    { TABLES_SQL(scope), COLUMNS_SQL(scope), INDEXES_SQL(scope), CONSTRAINTS_SQL(scope), \
      ENUMS_SQL(scope) }

enum { N_READS = 5 };

static const char *const reads[][N_READS] = { READS(LISTED), READS(USER), READS(ONLY) };

static int oom(struct err *e)
{
    return err_set(e, ERR_FAIL, "out of memory");
}

static unsigned int oid_of(const char *text)
{
    return text ? (unsigned int)strtoul(text, NULL, 10) : 0;
}

static int copy(char **dst, const char *src, struct err *e)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst ? 0 : oom(e);
}

char *introspect_text_array(const char *const *names, size_t n)
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

/* The schemas to read as a text[] literal: { "public" } when none given. */
static char *array_literal(const struct introspect_opts *o)
{
    static const char *const public_only[] = { SCHEMA_DEFAULT };

    if (!o || o->n_schemas == 0)
        return introspect_text_array(public_only, 1);
    return introspect_text_array(o->schemas, o->n_schemas);
}

static int excluded(const struct introspect_opts *o, const char *name)
{
    for (size_t i = 0; o && i < o->n_exclude; i++)
        if (o->exclude[i] && strcmp(o->exclude[i], name) == 0)
            return 1;
    return 0;
}

static int same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* The table of a row, or NULL when it was left out.  Every read is sorted
 * by (schema, table) as the table list is (type name sorts bytewise), so
 * the search starts where the last one ended (*hint): one pass over the
 * tables per read instead of one per row. */
static struct schema_table *row_table(struct schema *s, const struct pg_rows *r, size_t row,
                                      size_t *hint)
{
    const char *nsp = pg_rows_get(r, row, 0), *rel = pg_rows_get(r, row, 1);

    if (!nsp || !rel)
        return NULL;
    for (size_t i = *hint; i < s->n_tables; i++) {
        int c = strcmp(s->tables[i].schema, nsp);

        if (c == 0)
            c = strcmp(s->tables[i].name, rel);
        if (c == 0) {
            *hint = i;
            return &s->tables[i];
        }
        if (c > 0)
            break;          /* past it: left out, or out of order */
    }
    return schema_find_table(s, nsp, rel);
}

static int read_tables(const struct pg_rows *r, const struct introspect_opts *o,
                       struct schema *s, struct err *e)
{
    for (size_t i = 0; i < r->n_rows; i++) {
        struct schema_table *t;

        if (excluded(o, pg_rows_get(r, i, 1)))
            continue;
        t = schema_add_table(s);
        if (!t || copy(&t->schema, pg_rows_get(r, i, 0), e) < 0 ||
            copy(&t->name, pg_rows_get(r, i, 1), e) < 0 ||
            copy(&t->comment, pg_rows_get(r, i, 2), e) < 0)
            return t ? -1 : oom(e);
        t->oid = oid_of(pg_rows_get(r, i, 3));
    }
    return 0;
}

static int read_columns(const struct pg_rows *r, struct schema *s, struct err *e)
{
    size_t hint = 0;

    for (size_t i = 0; i < r->n_rows; i++) {
        struct schema_table *t = row_table(s, r, i, &hint);
        struct schema_column *c;
        int serial = 0;

        if (!t)
            continue;
        c = schema_add_column(t);
        if (!c)
            return oom(e);
        if (copy(&c->name, pg_rows_get(r, i, 2), e) < 0 ||
            copy(&c->server_default, pg_rows_get(r, i, 5), e) < 0 ||
            copy(&c->comment, pg_rows_get(r, i, 7), e) < 0)
            return -1;
        c->default_oid = oid_of(pg_rows_get(r, i, 8));
        c->type = schema_type_normalise(pg_rows_get(r, i, 3), &serial);
        if (!c->type)
            return oom(e);
        c->not_null = same(pg_rows_get(r, i, 4), "t");
        /* a serial is an integer column whose default is its sequence */
        c->identity = pg_rows_get(r, i, 6) ? pg_rows_get(r, i, 6)[0] : 0;
        if (c->identity != 'a' && c->identity != 'd')
            c->identity = 0;
        c->autoincrement = c->identity ||
                           (schema_default_is_sequence(c->server_default) &&
                            (strcmp(c->type, "integer") == 0 || strcmp(c->type, "bigint") == 0 ||
                             strcmp(c->type, "smallint") == 0));
    }
    return 0;
}

static int read_indexes(const struct pg_rows *r, struct schema *s, struct err *e)
{
    struct schema_index *ix = NULL;
    const struct schema_table *ix_table = NULL;
    size_t hint = 0;

    for (size_t i = 0; i < r->n_rows; i++) {
        struct schema_table *t = row_table(s, r, i, &hint);
        const char *name = pg_rows_get(r, i, 2), *col = pg_rows_get(r, i, 5);
        unsigned char *flags;
        int is_expr = col == NULL;

        if (!t || !name)
            continue;
        if (!ix || ix_table != t || strcmp(ix->name, name) != 0) {
            ix = schema_add_index(t);
            ix_table = t;
            if (!ix)
                return oom(e);
            if (copy(&ix->name, name, e) < 0 || copy(&ix->where, pg_rows_get(r, i, 4), e) < 0 ||
                copy(&ix->definition, pg_rows_get(r, i, 7), e) < 0)
                return -1;
            ix->unique = same(pg_rows_get(r, i, 3), "t");
            ix->oid = oid_of(pg_rows_get(r, i, 8));
        }
        if (is_expr)
            col = pg_rows_get(r, i, 6);
        flags = realloc(ix->is_expr, ix->n_columns + 1);
        if (!flags)
            return oom(e);
        ix->is_expr = flags;
        flags[ix->n_columns] = (unsigned char)is_expr;
        if (schema_list_add(&ix->columns, &ix->n_columns, col ? col : "") < 0)
            return oom(e);
    }
    return 0;
}

static int fk_action(char **out, const char *code, struct err *e)
{
    const char *a = NULL;

    switch (code && *code ? *code : 'a') {
    case 'r': a = "RESTRICT"; break;
    case 'c': a = "CASCADE"; break;
    case 'n': a = "SET NULL"; break;
    case 'd': a = "SET DEFAULT"; break;
    default: a = NULL; break;          /* 'a': NO ACTION, PostgreSQL's default */
    }
    return copy(out, a, e);
}

/* "CHECK (price > 0)" or "CHECK (...) NOT VALID" -> "price > 0". */
static char *check_condition(const char *def)
{
    size_t len;

    if (!def || strncmp(def, "CHECK ", 6) != 0)
        return def ? strdup(def) : NULL;
    def += 6;
    len = strlen(def);
    if (len > 10 && strcmp(def + len - 10, " NOT VALID") == 0)
        len -= 10;
    if (len >= 2 && def[0] == '(' && def[len - 1] == ')') {
        def++;
        len -= 2;
    }
    return strndup(def, len);
}

static int read_constraints(const struct pg_rows *r, struct schema *s, struct err *e)
{
    struct schema_constraint *c = NULL;
    const struct schema_table *c_table = NULL;
    size_t hint = 0;

    for (size_t i = 0; i < r->n_rows; i++) {
        struct schema_table *t = row_table(s, r, i, &hint);
        const char *name = pg_rows_get(r, i, 2), *type = pg_rows_get(r, i, 3);
        const char *col = pg_rows_get(r, i, 9), *ref_col = pg_rows_get(r, i, 10);

        if (!t || !name || !type)
            continue;
        if (!c || c_table != t || strcmp(c->name, name) != 0) {
            c = schema_add_constraint(t);
            c_table = t;
            if (!c)
                return oom(e);
            if (copy(&c->name, name, e) < 0 ||
                copy(&c->definition, pg_rows_get(r, i, 8), e) < 0)
                return -1;
            c->oid = oid_of(pg_rows_get(r, i, 11));
            switch (*type) {
            case 'p': c->kind = SCHEMA_PRIMARY_KEY; break;
            case 'u': c->kind = SCHEMA_UNIQUE; break;
            case 'f': c->kind = SCHEMA_FOREIGN_KEY; break;
            default: c->kind = SCHEMA_CHECK; break;
            }
            if (c->kind == SCHEMA_FOREIGN_KEY &&
                (copy(&c->ref_schema, pg_rows_get(r, i, 6), e) < 0 ||
                 copy(&c->ref_table, pg_rows_get(r, i, 7), e) < 0 ||
                 fk_action(&c->on_delete, pg_rows_get(r, i, 4), e) < 0 ||
                 fk_action(&c->on_update, pg_rows_get(r, i, 5), e) < 0))
                return -1;
            if (c->kind == SCHEMA_CHECK) {
                c->check = check_condition(pg_rows_get(r, i, 8));
                if (!c->check)
                    return oom(e);
            }
        }
        if (c->kind == SCHEMA_CHECK)
            continue;       /* its columns are not a list we compare */
        if (col && schema_list_add(&c->columns, &c->n_columns, col) < 0)
            return oom(e);
        if (c->kind == SCHEMA_FOREIGN_KEY && ref_col &&
            schema_list_add(&c->ref_columns, &c->n_ref_columns, ref_col) < 0)
            return oom(e);
    }
    return 0;
}

static int read_enums(const struct pg_rows *r, struct schema *s, struct err *e)
{
    struct schema_enum *en = NULL;

    for (size_t i = 0; i < r->n_rows; i++) {
        const char *nsp = pg_rows_get(r, i, 0), *name = pg_rows_get(r, i, 1);
        const char *label = pg_rows_get(r, i, 2);

        if (!nsp || !name || !label)
            continue;
        if (!en || strcmp(en->schema, nsp) != 0 || strcmp(en->name, name) != 0) {
            en = schema_add_enum(s);
            if (!en)
                return oom(e);
            if (copy(&en->schema, nsp, e) < 0 || copy(&en->name, name, e) < 0)
                return -1;
            en->oid = oid_of(pg_rows_get(r, i, 3));
        }
        if (schema_list_add(&en->labels, &en->n_labels, label) < 0)
            return oom(e);
    }
    return 0;
}

char *introspect_inline(const char *sql, const char *token, const char *value)
{
    struct strbuf sb = STRBUF_INIT, lit = STRBUF_INIT;
    size_t len = strlen(token);

    sql_quote_literal(&lit, value);
    for (const char *p = sql; *p; p++) {
        /* "$1" but not "$10" */
        if (strncmp(p, token, len) == 0 && !(p[len] >= '0' && p[len] <= '9')) {
            strbuf_adds(&sb, strbuf_str(&lit));
            p += len - 1;
        } else {
            strbuf_addch(&sb, *p);
        }
    }
    strbuf_release(&lit);
    return strbuf_detach(&sb);
}

/* LISTED reads take the schema list as $1 (inlined when prepared: the
 * list is the same on every call); USER reads take nothing, ONLY reads
 * the oid list, as a parameter of the prepared statement. */
static int run_query(struct pg *db, const struct introspect_opts *o, const char *sql,
                     const char *schemas, struct pg_rows *rows, struct err *e)
{
    const char *params[1] = { o && o->user_schemas ? o->only_oids : schemas };
    int n_params = !o || !o->user_schemas || o->only_oids ? 1 : 0;
    char *inlined;
    int rc;

    if (!o || !o->prepared)
        return pg_query(db, sql, n_params, params, rows, NULL, e);
    if (o->user_schemas)
        return pg_query_prepared_params(db, "runner_introspect", sql, o->prepared == 2,
                                        n_params, params, rows, e);
    inlined = introspect_inline(sql, "$1", schemas);
    if (!inlined)
        return oom(e);
    rc = pg_query_prepared(db, "runner_introspect", inlined, o->prepared == 2, rows, e);
    free(inlined);
    return rc;
}

int introspect_schema(struct pg *db, const struct introspect_opts *o, struct schema *out,
                      struct err *e)
{
    const char *const *queries = reads[o && o->user_schemas ? (o->only_oids ? 2 : 1) : 0];
    struct schema s = SCHEMA_INIT;
    char *schemas = array_literal(o);
    int ret = -1;

    if (!schemas)
        return oom(e);
    for (size_t q = 0; q < N_READS; q++) {
        struct pg_rows rows = PG_ROWS_INIT;
        int rc;

        if (run_query(db, o, queries[q], schemas, &rows, e) < 0) {
            err_prefix(e, "cannot read the database schema");
            goto out;
        }
        switch (q) {
        case 0: rc = read_tables(&rows, o, &s, e); break;
        case 1: rc = read_columns(&rows, &s, e); break;
        case 2: rc = read_indexes(&rows, &s, e); break;
        case 3: rc = read_constraints(&rows, &s, e); break;
        default: rc = read_enums(&rows, &s, e); break;
        }
        pg_rows_release(&rows);
        if (rc < 0)
            goto out;
    }
    *out = s;
    s = (struct schema)SCHEMA_INIT;
    ret = 0;
out:
    schema_release(&s);
    free(schemas);
    return ret;
}

/* The model columns whose default the server renders: both sides have
 * one and the database's is not a sequence (a serial). */
static int default_candidates(struct schema *model, const struct schema *have,
                              struct schema_column ***out, size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < model->n_tables; i++) {
        struct schema_table *t = &model->tables[i];
        const struct schema_table *h = schema_find_table(have, t->schema, t->name);

        for (size_t k = 0; h && k < t->n_columns; k++) {
            struct schema_column *c = &t->columns[k], **grown;
            const struct schema_column *hc = schema_find_column(h, c->name);

            if (!c->server_default || c->autoincrement || !hc || !hc->server_default ||
                schema_default_is_sequence(hc->server_default))
                continue;
            grown = realloc(*out, (*n + 1) * sizeof(**out));
            if (!grown) {
                free(*out);
                *out = NULL;
                return oom(e);
            }
            *out = grown;
            (*out)[(*n)++] = c;
        }
    }
    return 0;
}

/* Columns per probe table: PostgreSQL allows 1600. */
#define PROBE_COLUMNS 1000

/* "c<i> <type> DEFAULT (<expr>)" */
static void probe_column(struct strbuf *sb, size_t i, const struct schema_column *c)
{
    strbuf_addf(sb, "c%zu %s DEFAULT (%s)", i, c->type, c->server_default);
}

/* Read back the defaults of the probe tables into the candidates. */
static int read_probes(struct pg *db, struct schema_column **cols, size_t n, struct err *e)
{
    static const char sql[] =
        /* relid 0: a default holds no column reference, and with the
         * relation pg_get_expr() deparses every column name of it for each
         * call (2 s for 500 columns instead of 30 ms) */
        "SELECT a.attname, pg_catalog.pg_get_expr(d.adbin, 0)"
        " FROM pg_catalog.pg_attrdef d"
        " JOIN pg_catalog.pg_class t ON t.oid = d.adrelid"
        " JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
        " WHERE t.relnamespace = pg_catalog.pg_my_temp_schema()"
        "  AND t.relname LIKE 'runner\\_default\\_probe%'";
    struct pg_rows rows = PG_ROWS_INIT;
    struct err ignored = ERR_INIT;

    if (pg_query(db, sql, 0, NULL, &rows, NULL, &ignored) < 0)
        return 0;           /* unrendered: diff.c compares normalised texts */
    for (size_t r = 0; r < rows.n_rows; r++) {
        const char *name = pg_rows_get(&rows, r, 0), *expr = pg_rows_get(&rows, r, 1);
        char *end;
        unsigned long i;

        if (!name || name[0] != 'c' || !expr)
            continue;
        i = strtoul(name + 1, &end, 10);
        if (*end || i >= n || cols[i]->server_default_rendered)
            continue;
        cols[i]->server_default_rendered = strdup(expr);
        if (!cols[i]->server_default_rendered) {
            pg_rows_release(&rows);
            return oom(e);
        }
    }
    pg_rows_release(&rows);
    return 0;
}

enum { PROBE_MADE, PROBE_REFUSED, PROBE_BROKEN };

/* CREATE TEMP TABLE runner_default_probe_<tag><number> with columns
 * [first, end) of cols, in a savepoint: PROBE_MADE, PROBE_REFUSED (a
 * default the server does not take; rolled back to the savepoint),
 * PROBE_BROKEN (the transaction cannot go on: give up rendering), or -1
 * when out of memory. */
static int probe_table(struct pg *db, struct strbuf *sql, const char *tag, size_t number,
                       struct schema_column **cols, size_t first, size_t end, struct err *e)
{
    struct err ignored = ERR_INIT;

    strbuf_reset(sql);
    strbuf_addf(sql, "CREATE TEMP TABLE runner_default_probe_%s%zu (", tag, number);
    for (size_t i = first; i < end; i++) {
        if (i > first)
            strbuf_adds(sql, ", ");
        probe_column(sql, i, cols[i]);
    }
    strbuf_addch(sql, ')');
    if (strbuf_failed(sql))
        return oom(e);
    if (pg_exec(db, "SAVEPOINT runner_probe", &ignored) < 0)
        return PROBE_BROKEN;
    /* extended protocol: one statement, whatever a default holds */
    if (pg_exec_params(db, strbuf_str(sql), 0, NULL, &ignored) == 0)
        return PROBE_MADE;
    if (pg_exec(db, "ROLLBACK TO SAVEPOINT runner_probe", &ignored) < 0)
        return PROBE_BROKEN;
    return PROBE_REFUSED;
}

int introspect_render_defaults(struct pg *db, struct schema *model, const struct schema *have,
                               struct err *e)
{
    struct schema_column **cols = NULL;
    struct strbuf sql = STRBUF_INIT;
    struct err ignored = ERR_INIT;
    size_t n = 0;
    int ret = -1;

    if (default_candidates(model, have, &cols, &n, e) < 0)
        return -1;
    if (n == 0)
        return 0;
    if (pg_exec(db, "BEGIN", &ignored) < 0) {
        ret = 0;            /* no rendering, no harm */
        goto out;
    }
    /* one table per PROBE_COLUMNS columns, the common case; one per column
     * when any default of that table does not take (the type or label is
     * not there yet) */
    for (size_t first = 0; first < n; first += PROBE_COLUMNS) {
        size_t end = first + PROBE_COLUMNS < n ? first + PROBE_COLUMNS : n;
        int rc = probe_table(db, &sql, "", first, cols, first, end, e);

        if (rc < 0)
            goto rollback;
        if (rc == PROBE_BROKEN)
            goto rollback_ok;
        if (rc == PROBE_MADE)
            continue;
        for (size_t i = first; i < end; i++) {
            rc = probe_table(db, &sql, "c", i, cols, i, i + 1, e);
            if (rc < 0)
                goto rollback;
            if (rc == PROBE_BROKEN)
                goto rollback_ok;
        }
    }
    if (read_probes(db, cols, n, e) < 0)
        goto rollback;
rollback_ok:
    ret = 0;
rollback:
    pg_exec(db, "ROLLBACK", &ignored);
out:
    strbuf_release(&sql);
    free(cols);
    return ret;
}
