/* versions_load.c -- the session's first read in one message; see
 * versions_load.h. */
#include "versions_load.h"

#include <stdlib.h>
#include <string.h>

#include "sql_quote.h"
#include "strbuf.h"

/* The numbers of the statements in the message; -1: not sent. */
struct script {
    struct strbuf sql;
    size_t n;                   /* statements so far */
    long tenant, commit, resolve, layout, heads, history;
    long set_first;             /* the first SET's number */
};

static long add_stmt(struct script *s, size_t count)
{
    long at = (long)s->n;

    if (s->n)
        strbuf_adds(&s->sql, ";\n");
    s->n += count;
    return at;
}

/* The message (struct script) for *v before its resolution: v->table and
 * v->history are the names as the statements write them (unqualified,
 * or qualified by the configured schema). */
static int build(const struct versions *v, const struct versions_load_opts *o,
                 struct script *s, struct err *e)
{
    struct strbuf path = STRBUF_INIT;

    s->tenant = s->commit = s->heads = s->history = s->set_first = -1;
    /* an explicit block around the settings: a COMMIT ending the implicit
     * one would be answered with "there is no transaction in progress" */
    if (o->tenant || o->n_sets) {
        add_stmt(s, 1);
        strbuf_adds(&s->sql, "BEGIN");
    }
    if (o->tenant) {
        sql_quote_ident(&path, o->tenant);
        s->tenant = add_stmt(s, 1);
        strbuf_adds(&s->sql, "SELECT pg_catalog.set_config('search_path', ");
        sql_quote_literal(&s->sql, strbuf_str(&path));
        strbuf_adds(&s->sql, ", false), EXISTS (SELECT 1 FROM pg_catalog.pg_namespace "
                             "WHERE nspname = ");
        sql_quote_literal(&s->sql, o->tenant);
        strbuf_adds(&s->sql, ")");
        strbuf_release(&path);
    }
    for (size_t i = 0; i < o->n_sets; i++) {
        long at = add_stmt(s, o->sets[i].n_stmts);

        if (i == 0)
            s->set_first = at;
        strbuf_adds(&s->sql, o->sets[i].sql);
    }
    if (s->n) {
        s->commit = add_stmt(s, 1);
        strbuf_adds(&s->sql, "COMMIT");
    }
    /* 4: versions_resolve()'s three values, then the oids the reads are
     * checked against */
    s->resolve = add_stmt(s, 1);
    strbuf_adds(&s->sql, "SELECT n.nspname::text, pg_catalog.current_schema()::text, "
                         "pg_catalog.current_setting('search_path'), c.oid::text, "
                         "pg_catalog.to_regclass(");
    sql_quote_literal(&s->sql, v->history);
    strbuf_adds(&s->sql, ")::oid::text, pg_catalog.to_regclass(pg_catalog.quote_ident("
                         "COALESCE(n.nspname::text, pg_catalog.current_schema()::text)) "
                         "|| '.' || ");
    {
        struct strbuf bare = STRBUF_INIT;

        sql_quote_ident_min(&bare, v->hname);
        sql_quote_literal(&s->sql, strbuf_str(&bare));
        strbuf_release(&bare);
    }
    strbuf_adds(&s->sql, ")::oid::text FROM (SELECT pg_catalog.to_regclass(");
    sql_quote_literal(&s->sql, v->table);
    strbuf_adds(&s->sql, ") AS r) t LEFT JOIN pg_catalog.pg_class c ON c.oid = t.r "
                         "LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace");
    /* 5: versions_table_columns()'s query */
    s->layout = add_stmt(s, 1);
    {
        struct strbuf table = STRBUF_INIT;

        sql_quote_literal(&table, v->table);
        strbuf_addf(&s->sql, VERSIONS_COLUMNS_SQL("%s"), strbuf_str(&table));
        strbuf_release(&table);
    }
    if (o->heads) {
        s->heads = add_stmt(s, 1);
        strbuf_addf(&s->sql, "SELECT version_num, tableoid::oid::text FROM %s", v->table);
        if (o->history) {
            s->history = add_stmt(s, 1);
            strbuf_addf(&s->sql, HISTORY_APPLIED_SQL, v->history);
        }
    }
    if (strbuf_failed(&s->sql))
        return err_set(e, ERR_FAIL, "out of memory");
    return 0;
}

/* Every row's last cell (its table's oid) is `oid`. */
static int rows_from(const struct pg_rows *r, const char *oid)
{
    for (size_t i = 0; i < r->n_rows; i++) {
        const char *at = pg_rows_get(r, i, r->n_cols - 1);

        if (!oid || !at || strcmp(at, oid) != 0)
            return 0;
    }
    return 1;
}

static int heads_copy(const struct pg_rows *r, struct versions_loaded *out, struct err *e)
{
    out->heads = calloc(r->n_rows + 1, sizeof(*out->heads));
    if (!out->heads)
        return err_set(e, ERR_FAIL, "out of memory");
    for (size_t i = 0; i < r->n_rows; i++) {
        const char *id = pg_rows_get(r, i, 0);

        out->heads[i] = strdup(id ? id : "");
        if (!out->heads[i])
            return err_set(e, ERR_FAIL, "out of memory");
        out->n_heads = i + 1;
    }
    return 0;
}

/* The fallback: the history table of the version table's schema, by its
 * qualified name. */
static int history_qualified(const struct versions *v, struct pg *db,
                             struct versions_loaded *out, struct err *e)
{
    out->round_trips++;
    pg_rows_release(&out->history);
    if (history_read_applied(v, db, &out->history, e) < 0)
        return -1;
    out->history_read = 1;
    return 0;
}

/* The error of statement `at` of the script, prefixed for what it was. */
static int stmt_error(const struct versions *v, const struct versions_load_opts *o,
                      const struct script *s, long at, struct err *e)
{
    char q[ERR_QUOTE_SIZE];

    if (at == s->tenant)
        return err_prefix(e, "cannot set search_path to schema '%s'",
                          err_quote(q, sizeof(q), o->tenant));
    if (s->set_first >= 0 && at >= s->set_first && at < s->commit) {
        long first = s->set_first;

        for (size_t i = 0; i < o->n_sets; i++) {
            if (at < first + (long)o->sets[i].n_stmts)
                return err_prefix(e, "%s", o->sets[i].what);
            first += (long)o->sets[i].n_stmts;
        }
    }
    if (at == s->resolve)
        return err_prefix(e, "cannot find the schema of version table '%s'", v->label);
    if (at == s->history)
        return err_prefix(e, "cannot read history table '%s'", v->hlabel);
    return -1;
}

int versions_load(struct versions *v, struct pg *db, const struct versions_load_opts *o,
                  struct versions_loaded *out, struct err *e)
{
    struct script s = { STRBUF_INIT, 0, -1, -1, -1, -1, -1, -1, -1 };
    struct pg_rows res[16];
    struct err failure = ERR_INIT;  /* the script's error, if any */
    char q[ERR_QUOTE_SIZE];
    size_t n_ok = 0;
    const char *vt_oid, *h_found, *h_there;
    int failed, ret = -1;

    *out = (struct versions_loaded)VERSIONS_LOADED_INIT;
    for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++)
        res[i] = (struct pg_rows)PG_ROWS_INIT;
    if (build(v, o, &s, e) < 0)
        goto out;
    if (s.n > sizeof(res) / sizeof(res[0])) {
        err_set(e, ERR_FAIL, "too many session settings");
        goto out;
    }
    out->round_trips = 1;
    failed = pg_exec_results(db, strbuf_str(&s.sql), res, s.n, &n_ok, &failure) < 0;
    /* up to the resolution every statement must succeed */
    if (failed && (long)n_ok <= s.layout) {
        *e = failure;
        stmt_error(v, o, &s, (long)n_ok, e);
        goto out;
    }
    if (s.tenant >= 0 && (!pg_rows_get(&res[s.tenant], 0, 1) ||
                          strcmp(pg_rows_get(&res[s.tenant], 0, 1), "t") != 0)) {
        err_set(e, ERR_FAIL, "schema '%s' does not exist", err_quote(q, sizeof(q), o->tenant));
        goto out;
    }
    if (versions_resolved(v, pg_rows_get(&res[s.resolve], 0, 0),
                          pg_rows_get(&res[s.resolve], 0, 1), pg_rows_get(&res[s.resolve], 0, 2),
                          e) < 0)
        goto out;
    vt_oid = pg_rows_get(&res[s.resolve], 0, 3);
    h_found = pg_rows_get(&res[s.resolve], 0, 4);   /* what the unqualified name finds */
    h_there = pg_rows_get(&res[s.resolve], 0, 5);   /* the one beside the version table */
    if (s.heads < 0 || !vt_oid) {
        /* nothing read (stamp --purge), or no version table: no heads; the
         * read of a missing table fails as expected, anything else is real */
        if (failed && (long)n_ok == s.heads && strcmp(failure.sqlstate, "42P01") != 0) {
            *e = failure;
            goto out;
        }
        ret = 0;
        goto out;
    }
    if (versions_check_layout(v, &res[s.layout], e) < 0)
        goto out;
    if (failed && (long)n_ok == s.heads) {
        *e = failure;           /* the table is there: a real error (permissions) */
        goto out;
    }
    if (!rows_from(&res[s.heads], vt_oid)) {
        /* another table than the resolved one answered: read it by name */
        out->round_trips++;
        if (versions_read(v, db, &out->heads, &out->n_heads, e) < 0)
            goto out;
    } else if (heads_copy(&res[s.heads], out, e) < 0) {
        goto out;
    }
    if (s.history < 0 || out->n_heads == 0 || !h_there) {
        ret = 0;                /* not asked, nothing applied, or no history table */
        goto out;
    }
    if (!failed && h_found && strcmp(h_found, h_there) == 0 &&
        rows_from(&res[s.history], h_there)) {
        out->history = res[s.history];
        res[s.history] = (struct pg_rows)PG_ROWS_INIT;
        out->history_read = 1;
    } else if (failed && h_found && strcmp(h_found, h_there) == 0 &&
               strcmp(failure.sqlstate, "42P01") != 0) {
        *e = failure;           /* the right table refused: a real error */
        stmt_error(v, o, &s, s.history, e);
        goto out;
    } else if (history_qualified(v, db, out, e) < 0) {
        goto out;
    }
    ret = 0;
out:
    if (ret < 0)
        versions_loaded_release(out);
    for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++)
        pg_rows_release(&res[i]);
    strbuf_release(&s.sql);
    return ret;
}

void versions_loaded_release(struct versions_loaded *l)
{
    versions_ids_free(l->heads, l->n_heads);
    pg_rows_release(&l->history);
    *l = (struct versions_loaded)VERSIONS_LOADED_INIT;
}
