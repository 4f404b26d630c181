/* versions.c -- Alembic's version table and its one resolved name; see
 * versions.h. */
#include "versions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "sql_quote.h"
#include "strbuf.h"

/* The rendered [schema.]name: caller frees; NULL when out of memory. */
static char *qualified(const char *schema, const char *name)
{
    struct strbuf sb = STRBUF_INIT;

    if (schema && *schema) {
        sql_quote_ident_min(&sb, schema);
        strbuf_addch(&sb, '.');
    }
    sql_quote_ident_min(&sb, name);
    return strbuf_detach(&sb);
}

static char *label(const char *schema, const char *name)
{
    char *out = NULL;

    if (schema && *schema) {
        if (asprintf(&out, "%s.%s", schema, name) < 0)
            return NULL;
        return out;
    }
    return strdup(name);
}

/* (Re)render the table names for schema (NULL: unqualified); the lock
 * name too when `resolved`. */
static int render_names(struct versions *v, const char *schema, int resolved, struct err *e)
{
    char *table = qualified(schema, v->name), *history = qualified(schema, v->hname);
    char *lock_name = NULL;

    if (resolved && asprintf(&lock_name, "%s.%s", schema, v->name) < 0)
        lock_name = NULL;
    if (!table || !history || (resolved && !lock_name)) {
        free(table);
        free(history);
        free(lock_name);
        return err_set(e, ERR_FAIL, "out of memory");
    }
    free(v->table);
    free(v->history);
    free(v->lock_name);
    v->table = table;
    v->history = history;
    v->lock_name = lock_name;
    return 0;
}

int versions_init(struct versions *v, const char *schema, const char *table,
                  const char *history_table, struct err *e)
{
    const char *history = history_table && *history_table ? history_table : "runner_history";
    char *pkc = NULL;
    struct strbuf sb = STRBUF_INIT;

    memset(v, 0, sizeof(*v));
    if (!table || !*table)
        table = "alembic_version";
    if (strlen(table) > 63 || strlen(history) > 63)
        return err_set(e, ERR_USAGE, "table name '%s' is longer than 63 bytes",
                       strlen(table) > 63 ? table : history);
    v->configured = schema && *schema;
    v->schema = v->configured ? strdup(schema) : NULL;
    v->name = strdup(table);
    v->hname = strdup(history);
    /* alembic: "%s_pkc" % version_table */
    if (asprintf(&pkc, "%s_pkc", table) < 0)
        pkc = NULL;
    if (pkc) {
        sql_quote_ident_min(&sb, pkc);
        v->pkc = strbuf_detach(&sb);
    }
    free(pkc);
    v->label = label(schema, table);
    v->hlabel = label(schema, history);
    if ((v->configured && !v->schema) || !v->name || !v->hname || !v->label || !v->hlabel ||
        !v->pkc || render_names(v, v->schema, 0, e) < 0) {
        versions_release(v);
        return err_set(e, ERR_FAIL, "out of memory");
    }
    /* even with a configured schema the lock name waits for
     * versions_resolve(): every caller resolves, so none can forget */
    return 0;
}

void versions_release(struct versions *v)
{
    free(v->schema);
    free(v->name);
    free(v->hname);
    free(v->table);
    free(v->history);
    free(v->label);
    free(v->hlabel);
    free(v->pkc);
    free(v->lock_name);
    memset(v, 0, sizeof(*v));
}

int versions_resolved(struct versions *v, const char *found, const char *current,
                      const char *search_path, struct err *e)
{
    char *schema;

    if (v->configured)
        return render_names(v, v->schema, 1, e);
    if (!found && !current)
        return err_set(e, ERR_FAIL,
                       "no schema for version table '%s': search_path '%s' names no existing "
                       "schema; set --version-schema or the role's search_path",
                       v->label, search_path ? search_path : "");
    schema = strdup(found ? found : current);
    if (!schema)
        return err_set(e, ERR_FAIL, "out of memory");
    free(v->schema);
    v->schema = schema;
    return render_names(v, v->schema, 1, e);
}

int versions_resolve(struct versions *v, struct pg *db, struct err *e)
{
    struct pg_rows r = PG_ROWS_INIT;
    char *bare = NULL;
    const char *params[1];
    int ret = -1;

    if (v->configured)
        return versions_resolved(v, NULL, NULL, NULL, e);
    /* to_regclass() reads its argument as SQL text: the unqualified name,
     * quoted as a statement would write it, is looked up through the
     * search_path exactly as the statements would look it up */
    bare = qualified(NULL, v->name);
    if (!bare)
        return err_set(e, ERR_FAIL, "out of memory");
    params[0] = bare;
    if (pg_query(db,
                 "SELECT (SELECT n.nspname::text FROM pg_catalog.pg_class c "
                 "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                 "WHERE c.oid = pg_catalog.to_regclass($1)), "
                 "pg_catalog.current_schema()::text, pg_catalog.current_setting('search_path')",
                 1, params, &r, NULL, e) < 0) {
        err_prefix(e, "cannot find the schema of version table '%s'", v->label);
        goto out;
    }
    ret = versions_resolved(v, pg_rows_get(&r, 0, 0), pg_rows_get(&r, 0, 1),
                            pg_rows_get(&r, 0, 2), e);
out:
    pg_rows_release(&r);
    free(bare);
    return ret;
}

const char *versions_lock_name(const struct versions *v)
{
    return v->lock_name;
}

void versions_ids_free(char **ids, size_t n)
{
    if (!ids)
        return;
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

int versions_table_exists(struct pg *db, const char *rendered, struct err *e)
{
    struct pg_rows r = PG_ROWS_INIT;
    const char *params[] = { rendered };
    int ret;

    if (pg_query(db, "SELECT to_regclass($1) IS NOT NULL", 1, params, &r, NULL, e) < 0)
        return -1;
    ret = pg_rows_get(&r, 0, 0) && strcmp(pg_rows_get(&r, 0, 0), "t") == 0;
    pg_rows_release(&r);
    return ret;
}

int versions_table_columns(struct pg *db, const char *rendered, struct pg_rows *r,
                           struct err *e)
{
    const char *params[] = { rendered };

    return pg_query(db, VERSIONS_COLUMNS_SQL("$1"), 1, params, r, NULL, e);
}

int versions_check_layout(const struct versions *v, const struct pg_rows *r, struct err *e)
{
    char found[512] = "";
    size_t len = 0;
    int ok;

    /* alembic's layout: one column version_num of a character type (users
     * sometimes widen it from varchar(32); that is still Alembic's) */
    ok = r->n_rows == 1 && r->n_cols >= 2 && pg_rows_get(r, 0, 0) && pg_rows_get(r, 0, 1) &&
         strcmp(pg_rows_get(r, 0, 0), "version_num") == 0 &&
         (strncmp(pg_rows_get(r, 0, 1), "character varying", 17) == 0 ||
          strcmp(pg_rows_get(r, 0, 1), "text") == 0);
    for (size_t i = 0; !ok && i < r->n_rows && len < sizeof(found) - 1; i++) {
        const char *name = pg_rows_get(r, i, 0), *type = pg_rows_get(r, i, 1);
        int w = snprintf(found + len, sizeof(found) - len, "%s%s %s", i ? ", " : "",
                         name ? name : "", type ? type : "");
        if (w < 0)
            break;
        len += (size_t)w;
        if (len >= sizeof(found))
            len = sizeof(found) - 1;
    }
    if (!ok)
        return err_set(e, ERR_FAIL,
                       "version table '%s' has an unexpected layout (%s): expected alembic's "
                       "single column version_num varchar(32)",
                       v->label, found);
    return 0;
}

static int check_version_layout(const struct versions *v, struct pg *db, struct err *e)
{
    struct pg_rows r = PG_ROWS_INIT;
    int ret;

    if (versions_table_columns(db, v->table, &r, e) < 0)
        return -1;
    ret = versions_check_layout(v, &r, e);
    pg_rows_release(&r);
    return ret;
}

int versions_read(const struct versions *v, struct pg *db, char ***ids, size_t *n,
                  struct err *e)
{
    struct pg_rows r = PG_ROWS_INIT;
    char *sql = NULL;
    char **out = NULL;
    int ret = -1;
    int exists;

    *ids = NULL;
    *n = 0;
    exists = versions_table_exists(db, v->table, e);
    if (exists <= 0)
        return exists;
    if (check_version_layout(v, db, e) < 0)
        return -1;
    if (asprintf(&sql, "SELECT version_num FROM %s", v->table) < 0) {
        sql = NULL;
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    if (pg_query(db, sql, 0, NULL, &r, NULL, e) < 0)
        goto out;
    out = calloc(r.n_rows + 1, sizeof(*out));
    if (!out) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < r.n_rows; i++) {
        out[i] = strdup(pg_rows_get(&r, i, 0) ? pg_rows_get(&r, i, 0) : "");
        if (!out[i]) {
            versions_ids_free(out, i);
            out = NULL;
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
    }
    *ids = out;
    *n = r.n_rows;
    ret = 0;
out:
    pg_rows_release(&r);
    free(sql);
    return ret;
}

int versions_ensure(const struct versions *v, struct pg *db, struct err *e)
{
    struct pg_rows r = PG_ROWS_INIT;
    const char *params[] = { v->table, v->history };
    char *sql = NULL;
    int exists, history_exists;

    /* both tables in one round trip */
    if (pg_query(db, "SELECT to_regclass($1) IS NOT NULL, to_regclass($2) IS NOT NULL", 2,
                 params, &r, NULL, e) < 0)
        return -1;
    exists = pg_rows_get(&r, 0, 0) && strcmp(pg_rows_get(&r, 0, 0), "t") == 0;
    history_exists = pg_rows_get(&r, 0, 1) && strcmp(pg_rows_get(&r, 0, 1), "t") == 0;
    pg_rows_release(&r);
    if (exists) {
        if (check_version_layout(v, db, e) < 0)
            return -1;
    } else {
        if (asprintf(&sql,
                     "CREATE TABLE %s (version_num VARCHAR(32) NOT NULL, "
                     "CONSTRAINT %s PRIMARY KEY (version_num))",
                     v->table, v->pkc) < 0)
            return err_set(e, ERR_FAIL, "out of memory");
        if (pg_exec(db, sql, e) < 0) {
            free(sql);
            return err_prefix(e, "cannot create version table '%s'", v->label);
        }
        free(sql);
    }
    return history_ensure(v, db, history_exists, e);
}

int versions_check_known(const struct graph *g, char *const *ids, size_t n, struct err *e)
{
    for (size_t i = 0; i < n; i++)
        if (!graph_find(g, ids[i]))
            return err_set(e, ERR_FAIL, "Can't locate revision identified by '%s'", ids[i]);
    return 0;
}

static int vt_insert(const struct versions *v, struct pg *db, const char *id, struct err *e)
{
    const char *params[] = { id };
    char *sql = NULL;
    int ret;

    if (asprintf(&sql, "INSERT INTO %s (version_num) VALUES ($1)", v->table) < 0)
        return err_set(e, ERR_FAIL, "out of memory");
    ret = pg_exec_params(db, sql, 1, params, e);
    free(sql);
    return ret;
}

static int vt_delete(const struct versions *v, struct pg *db, const char *id, struct err *e)
{
    const char *params[] = { id };
    char *sql = NULL;
    long n = -1;
    int ret;

    if (asprintf(&sql, "DELETE FROM %s WHERE %s.version_num = $1", v->table, v->table) < 0)
        return err_set(e, ERR_FAIL, "out of memory");
    ret = pg_query(db, sql, 1, params, NULL, &n, e);
    free(sql);
    if (ret == 0 && n != 1)
        return err_set(e, ERR_FAIL,
                       "Online migration expected to match one row when deleting '%s' in '%s'; "
                       "%ld found",
                       id, v->label, n);
    return ret;
}

static int vt_update(const struct versions *v, struct pg *db, const char *from, const char *to,
                     struct err *e)
{
    const char *params[] = { to, from };
    char *sql = NULL;
    long n = -1;
    int ret;

    if (asprintf(&sql, "UPDATE %s SET version_num = $1 WHERE %s.version_num = $2", v->table,
                 v->table) < 0)
        return err_set(e, ERR_FAIL, "out of memory");
    ret = pg_query(db, sql, 2, params, NULL, &n, e);
    free(sql);
    if (ret == 0 && n != 1)
        return err_set(e, ERR_FAIL,
                       "Online migration expected to match one row when updating '%s' to '%s' "
                       "in '%s'; %ld found",
                       from, to, v->label, n);
    return ret;
}

int versions_apply(const struct versions *v, struct pg *db, const struct step *s,
                   struct err *e)
{
    switch (s->vt) {
    case VT_UPDATE:
        return vt_update(v, db, s->from, s->to, e);
    case VT_INSERT:
        return vt_insert(v, db, s->to, e);
    case VT_DELETE:
        return vt_delete(v, db, s->from, e);
    case VT_MERGE:
        for (size_t i = 0; i < s->n_del; i++)
            if (vt_delete(v, db, s->del[i], e) < 0)
                return -1;
        return vt_update(v, db, s->from, s->to, e);
    case VT_UNMERGE:
        for (size_t i = 0; i < s->n_ins; i++)
            if (vt_insert(v, db, s->ins[i], e) < 0)
                return -1;
        return vt_update(v, db, s->from, s->to, e);
    }
    return err_set(e, ERR_FAIL, "unknown version table step %d", (int)s->vt);
}

int versions_purge(const struct versions *v, struct pg *db, struct err *e)
{
    char *sql = NULL;
    int ret;

    if (asprintf(&sql, "DELETE FROM %s", v->table) < 0)
        return err_set(e, ERR_FAIL, "out of memory");
    ret = pg_exec(db, sql, e);
    free(sql);
    return ret;
}

int versions_step_done(const struct versions *v, struct pg *db, const struct step *s,
                       const struct history_row *h, struct err *e)
{
    struct history_params hp;
    const char *params[10];
    struct pg_rows r = PG_ROWS_INIT;
    char *sql = NULL;
    int ret = -1;

    if (s->vt == VT_INSERT) {
        /* a base revision: its row and the history row, one statement too */
        history_bind(h, &hp);
        params[0] = s->to;
        memcpy(params + 1, hp.p, sizeof(hp.p));
        if (asprintf(&sql,
                     "WITH added AS (INSERT INTO %s (version_num) VALUES ($1) RETURNING 1), "
                     "logged AS (INSERT INTO %s " HISTORY_COLUMNS " VALUES "
                     HISTORY_VALUES(2, 3, 4, 5, 6, 7, 8, 9) " RETURNING 1) "
                     "SELECT (SELECT count(*) FROM added), (SELECT count(*) FROM logged)",
                     v->table, v->history) < 0)
            return err_set(e, ERR_FAIL, "out of memory");
        ret = pg_query_reused(db, sql, 9, params, NULL, NULL, e);
        free(sql);
        return ret;
    }
    if (s->vt != VT_UPDATE) {
        if (versions_apply(v, db, s, e) < 0)
            return -1;
        return history_record(v, db, h, e);
    }
    /* The common step, one round trip: both rows in one statement; the
     * count of moved rows is checked as alembic checks its rowcount, by
     * the server (1 / 0 when no row moved; a primary key moves at most
     * one), so that a COMMIT sent in the same round trip (steps.c's
     * pg_trail) does not run after a mismatch. */
    history_bind(h, &hp);
    params[0] = s->to;
    params[1] = s->from;
    memcpy(params + 2, hp.p, sizeof(hp.p));
    if (asprintf(&sql,
                 "WITH moved AS (UPDATE %s SET version_num = $1 WHERE %s.version_num = $2 "
                 "RETURNING 1), logged AS (INSERT INTO %s " HISTORY_COLUMNS " VALUES "
                 HISTORY_VALUES(3, 4, 5, 6, 7, 8, 9, 10) " RETURNING 1) "
                 "SELECT 1 / (SELECT count(*) FROM moved)::int, (SELECT count(*) FROM logged)",
                 v->table, v->table, v->history) < 0)
        return err_set(e, ERR_FAIL, "out of memory");
    if (pg_query_reused(db, sql, 10, params, &r, NULL, e) < 0) {
        if (strcmp(e->sqlstate, "22012") == 0) {    /* division_by_zero: no row moved */
            err_set(e, ERR_FAIL,
                    "Online migration expected to match one row when updating '%s' to '%s' "
                    "in '%s'; 0 found",
                    s->from, s->to, v->label);
            err_sqlstate(e, NULL);
        }
        goto out;
    }
    if (!pg_rows_get(&r, 0, 0) || strcmp(pg_rows_get(&r, 0, 0), "1") != 0) {
        err_set(e, ERR_FAIL,
                "Online migration expected to match one row when updating '%s' to '%s' "
                "in '%s'; %s found",
                s->from, s->to, v->label, pg_rows_get(&r, 0, 0) ? pg_rows_get(&r, 0, 0) : "0");
        goto out;
    }
    ret = 0;
out:
    pg_rows_release(&r);
    free(sql);
    return ret;
}

/* ---- offline ---- */

void versions_render_create(const struct versions *v, FILE *out)
{
    /* byte for byte what alembic 1.8 prints, trailing space included */
    fprintf(out,
            "CREATE TABLE %s (\n    version_num VARCHAR(32) NOT NULL, \n"
            "    CONSTRAINT %s PRIMARY KEY (version_num)\n);\n\n",
            v->table, v->pkc);
}

void versions_render_drop(const struct versions *v, FILE *out)
{
    fprintf(out, "DROP TABLE %s;\n\n", v->table);
}

/* Alembic renders the ids as literal_column("'%s'"), unescaped; the one
 * literal quoter writes the same text for every id without a quote or a
 * backslash, and a literal that means the same under either
 * standard_conforming_strings for the rest. */
static void literal(FILE *out, const char *id)
{
    struct strbuf sb = STRBUF_INIT;

    sql_quote_literal(&sb, id);
    fputs(strbuf_str(&sb), out);
    strbuf_release(&sb);
}

static void r_insert(const struct versions *v, FILE *out, const char *id)
{
    fprintf(out, "INSERT INTO %s (version_num) VALUES (", v->table);
    literal(out, id);
    fprintf(out, ") RETURNING %s.version_num;\n\n", v->table);
}

static void r_delete(const struct versions *v, FILE *out, const char *id)
{
    fprintf(out, "DELETE FROM %s WHERE %s.version_num = ", v->table, v->table);
    literal(out, id);
    fputs(";\n\n", out);
}

static void r_update(const struct versions *v, FILE *out, const char *from, const char *to)
{
    fprintf(out, "UPDATE %s SET version_num=", v->table);
    literal(out, to);
    fprintf(out, " WHERE %s.version_num = ", v->table);
    literal(out, from);
    fputs(";\n\n", out);
}

void versions_render_step(const struct versions *v, FILE *out, const struct step *s)
{
    switch (s->vt) {
    case VT_UPDATE:
        r_update(v, out, s->from, s->to);
        break;
    case VT_INSERT:
        r_insert(v, out, s->to);
        break;
    case VT_DELETE:
        r_delete(v, out, s->from);
        break;
    case VT_MERGE:
        for (size_t i = 0; i < s->n_del; i++)
            r_delete(v, out, s->del[i]);
        r_update(v, out, s->from, s->to);
        break;
    case VT_UNMERGE:
        for (size_t i = 0; i < s->n_ins; i++)
            r_insert(v, out, s->ins[i]);
        r_update(v, out, s->from, s->to);
        break;
    }
}
