/* versions.c -- Alembic's version table and runner's history table; see
 * versions.h. */
#include "versions.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "cli.h"
#include "pg.h"

/* PostgreSQL's reserved (and type/function-name) keywords: SQLAlchemy
 * quotes these, so offline output quotes them the same way. */
static const char *const reserved[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
    "authorization", "binary", "both", "case", "cast", "check", "collate", "collation",
    "column", "concurrently", "constraint", "create", "cross", "current_catalog",
    "current_date", "current_role", "current_schema", "current_time", "current_timestamp",
    "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end",
    "except", "false", "fetch", "for", "foreign", "freeze", "from", "full", "grant", "group",
    "having", "ilike", "in", "initially", "inner", "intersect", "into", "is", "isnull",
    "join", "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp",
    "natural", "not", "notnull", "null", "offset", "on", "only", "or", "order", "outer",
    "overlaps", "placing", "primary", "references", "returning", "right", "select",
    "session_user", "similar", "some", "symmetric", "table", "tablesample", "then", "to",
    "trailing", "true", "union", "unique", "user", "using", "variadic", "verbose", "when",
    "where", "window", "with", NULL,
};

char *versions_quote(const char *name)
{
    int bare = name && (islower((unsigned char)name[0]) || name[0] == '_');
    size_t n = 0;
    char *out, *p;

    for (const char *s = name; bare && *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' || *s == '$'))
            bare = 0;
    for (size_t i = 0; bare && reserved[i]; i++)
        if (strcmp(reserved[i], name) == 0)
            bare = 0;
    if (bare)
        return strdup(name);
    for (const char *s = name ? name : ""; *s; s++)
        n += *s == '"' ? 2 : 1;
    out = malloc(n + 3);
    if (!out)
        return NULL;
    p = out;
    *p++ = '"';
    for (const char *s = name ? name : ""; *s; s++) {
        if (*s == '"')
            *p++ = '"';
        *p++ = *s;
    }
    *p++ = '"';
    *p = '\0';
    return out;
}

static char *qualified(const char *schema, const char *name)
{
    char *qs = NULL, *qn = versions_quote(name), *out = NULL;

    if (!qn)
        return NULL;
    if (!schema || !*schema)
        return qn;
    qs = versions_quote(schema);
    if (qs && asprintf(&out, "%s.%s", qs, qn) < 0)
        out = NULL;
    free(qs);
    free(qn);
    return out;
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

int versions_init(struct versions *v, const struct config *cfg, struct err *e)
{
    const char *table = cfg->version_table && *cfg->version_table ? cfg->version_table
                                                                   : "alembic_version";
    const char *history = cfg->history_table && *cfg->history_table ? cfg->history_table
                                                                     : "runner_history";
    const char *schema = cfg->version_schema;
    char *pkc = NULL;

    memset(v, 0, sizeof(*v));
    if (strlen(table) > 63 || strlen(history) > 63)
        return err_set(e, ERR_USAGE, "table name '%s' is longer than 63 bytes",
                       strlen(table) > 63 ? table : history);
    /* alembic: "%s_pkc" % version_table */
    if (asprintf(&pkc, "%s_pkc", table) < 0)
        pkc = NULL;
    v->table = qualified(schema, table);
    v->history = qualified(schema, history);
    v->label = label(schema, table);
    v->hlabel = label(schema, history);
    v->pkc = pkc ? versions_quote(pkc) : NULL;
    free(pkc);
    v->raw[0] = strdup(table);
    v->raw[1] = strdup(history);
    v->raw[2] = schema && *schema ? strdup(schema) : NULL;
    if (!v->table || !v->history || !v->label || !v->hlabel || !v->pkc || !v->raw[0] ||
        !v->raw[1] || (schema && *schema && !v->raw[2])) {
        versions_release(v);
        return err_set(e, ERR_FAIL, "out of memory");
    }
    return 0;
}

void versions_release(struct versions *v)
{
    free(v->table);
    free(v->history);
    free(v->label);
    free(v->hlabel);
    free(v->pkc);
    for (size_t i = 0; i < 3; i++)
        free(v->raw[i]);
    free(v->lock_name);
    memset(v, 0, sizeof(*v));
}

int versions_resolve(struct versions *v, struct pg *db, struct err *e)
{
    static const char sql[] =
        "SELECT coalesce((SELECT n.nspname FROM pg_class c JOIN pg_namespace n"
        " ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)), current_schema())";
    struct pg_rows r = PG_ROWS_INIT;
    const char *params[] = { v->table };
    const char *schema = v->raw[2];
    char *table = NULL, *history = NULL;
    int ret = -1;

    if (!schema) {
        if (pg_query(db, sql, 1, params, &r, NULL, e) < 0)
            return err_prefix(e, "cannot find the schema of '%s'", v->label);
        if (!pg_rows_get(&r, 0, 0)) {
            pg_rows_release(&r);
            return err_set(e, ERR_FAIL, "no schema for '%s': search_path names none that "
                           "exists", v->label);
        }
        schema = pg_rows_get(&r, 0, 0);
    }
    table = qualified(schema, v->raw[0]);
    history = qualified(schema, v->raw[1]);
    free(v->lock_name);
    if (!table || !history || asprintf(&v->lock_name, "%s.%s", schema, v->raw[0]) < 0) {
        v->lock_name = NULL;
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    free(v->table);
    free(v->history);
    v->table = table;
    v->history = history;
    table = history = NULL;
    ret = 0;
out:
    free(table);
    free(history);
    pg_rows_release(&r);
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

/* Does the (rendered) relation exist?  1, 0 or -1. */
static int table_exists(struct pg *db, const char *rendered, struct err *e)
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

/* Columns of an existing table: rows of (name, type, not null). */
static int table_columns(struct pg *db, const char *rendered, struct pg_rows *r, struct err *e)
{
    const char *params[] = { rendered };

    return pg_query(db,
                    "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), "
                    "a.attnotnull FROM pg_attribute a WHERE a.attrelid = to_regclass($1) "
                    "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                    1, params, r, NULL, e);
}

/* Alembic's layout: one column version_num of a character type (users
 * sometimes widen it from varchar(32); that is still Alembic's). */
static int check_version_layout(const struct versions *v, struct pg *db, struct err *e)
{
    struct pg_rows r = PG_ROWS_INIT;
    char found[512] = "";
    size_t len = 0;
    int ok;

    if (table_columns(db, v->table, &r, e) < 0)
        return -1;
    ok = r.n_rows == 1 && strcmp(pg_rows_get(&r, 0, 0), "version_num") == 0 &&
         (strncmp(pg_rows_get(&r, 0, 1), "character varying", 17) == 0 ||
          strcmp(pg_rows_get(&r, 0, 1), "text") == 0);
    for (size_t i = 0; !ok && i < r.n_rows && len < sizeof(found) - 1; i++) {
        int w = snprintf(found + len, sizeof(found) - len, "%s%s %s", i ? ", " : "",
                         pg_rows_get(&r, i, 0), pg_rows_get(&r, i, 1));
        if (w < 0)
            break;
        len += (size_t)w;
        if (len >= sizeof(found))
            len = sizeof(found) - 1;
    }
    pg_rows_release(&r);
    if (!ok)
        return err_set(e, ERR_FAIL,
                       "version table '%s' has an unexpected layout (%s): expected alembic's "
                       "single column version_num varchar(32)",
                       v->label, found);
    return 0;
}

static const char *const history_columns[] = {
    "id", "revision", "direction", "checksum", "started_at", "duration_ms",
    "db_user", "hostname", "runner_version", "success", NULL,
};

static int check_history_layout(const struct versions *v, struct pg *db, struct err *e)
{
    struct pg_rows r = PG_ROWS_INIT;
    int ret = 0;

    if (table_columns(db, v->history, &r, e) < 0)
        return -1;
    for (size_t k = 0; history_columns[k] && ret == 0; k++) {
        int seen = 0;

        for (size_t i = 0; i < r.n_rows; i++)
            if (strcmp(pg_rows_get(&r, i, 0), history_columns[k]) == 0)
                seen = 1;
        if (!seen)
            ret = err_set(e, ERR_FAIL,
                          "history table '%s' has an unexpected layout: no column '%s'",
                          v->hlabel, history_columns[k]);
    }
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
    exists = table_exists(db, v->table, e);
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
    char *sql = NULL;
    int exists, ret = -1;

    exists = table_exists(db, v->table, e);
    if (exists < 0)
        return -1;
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
            err_prefix(e, "cannot create version table '%s'", v->label);
            goto out;
        }
        free(sql);
        sql = NULL;
    }
    exists = table_exists(db, v->history, e);
    if (exists < 0)
        goto out;
    if (exists) {
        ret = check_history_layout(v, db, e);
        goto out;
    }
    if (asprintf(&sql,
                 "CREATE TABLE %s ("
                 "id BIGSERIAL PRIMARY KEY, "
                 "revision VARCHAR(32) NOT NULL, "
                 "direction VARCHAR(16) NOT NULL, "
                 "checksum VARCHAR(64), "
                 "started_at TIMESTAMP WITH TIME ZONE NOT NULL, "
                 "duration_ms BIGINT NOT NULL, "
                 "db_user TEXT NOT NULL DEFAULT current_user, "
                 "hostname TEXT, "
                 "runner_version TEXT NOT NULL, "
                 "success BOOLEAN NOT NULL)",
                 v->history) < 0) {
        sql = NULL;
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    if (pg_exec(db, sql, e) < 0) {
        err_prefix(e, "cannot create history table '%s'", v->hlabel);
        goto out;
    }
    ret = 0;
out:
    free(sql);
    return ret;
}

int versions_check_known(const struct graph *g, char *const *ids, size_t n, struct err *e)
{
    for (size_t i = 0; i < n; i++) {
        int known = 0;

        for (size_t k = 0; !known && k < graph_count(g); k++)
            known = strcmp(graph_at(g, k)->id, ids[i]) == 0;
        if (!known)
            return err_set(e, ERR_FAIL, "Can't locate revision identified by '%s'", ids[i]);
    }
    return 0;
}

/* ---- the HeadMaintainer's three primitives, online ---- */

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

/* The history row's eight parameters, in the order of HISTORY_VALUES. */
struct history_params {
    char host[256];
    char started[64];
    char duration[32];
    const char *p[8];
};

#define HISTORY_COLUMNS                                                          \
    "(revision, direction, checksum, started_at, duration_ms, db_user, hostname, " \
    "runner_version, success)"
/* $n placeholders from `base` on: base+1 revision ... base+8 success */
#define HISTORY_VALUES(a, b, c, d, e, f, g, h)                                    \
    "($" #a ", $" #b ", $" #c ", to_timestamp($" #d "::double precision), $" #e    \
    ", current_user, $" #f ", $" #g ", $" #h ")"

static void history_params(const struct history_row *h, struct history_params *hp)
{
    if (gethostname(hp->host, sizeof(hp->host) - 1) < 0)
        hp->host[0] = '\0';
    hp->host[sizeof(hp->host) - 1] = '\0';
    snprintf(hp->started, sizeof(hp->started), "%.6f", h->started_at);
    snprintf(hp->duration, sizeof(hp->duration), "%lld", h->duration_ms);
    hp->p[0] = h->revision;
    hp->p[1] = h->direction;
    hp->p[2] = h->checksum && *h->checksum ? h->checksum : NULL;
    hp->p[3] = hp->started;
    hp->p[4] = hp->duration;
    hp->p[5] = hp->host[0] ? hp->host : NULL;
    hp->p[6] = RUNNER_VERSION;
    hp->p[7] = h->success ? "true" : "false";
}

int versions_record(const struct versions *v, struct pg *db, const struct history_row *h,
                    struct err *e)
{
    struct history_params hp;
    char *sql = NULL;
    int ret;

    history_params(h, &hp);
    if (asprintf(&sql, "INSERT INTO %s " HISTORY_COLUMNS " VALUES "
                 HISTORY_VALUES(1, 2, 3, 4, 5, 6, 7, 8), v->history) < 0)
        return err_set(e, ERR_FAIL, "out of memory");
    ret = pg_exec_params(db, sql, 8, hp.p, e);
    free(sql);
    if (ret < 0)
        err_prefix(e, "cannot record history in '%s'", v->hlabel);
    return ret;
}

int versions_run_start(const struct versions *v, struct pg *db, const char *revision,
                       FILE *log, long long *id, struct err *e)
{
    struct history_row h = { revision ? revision : "", "run", NULL, 0, -1, 0 };
    struct history_params hp;
    struct pg_rows rows = PG_ROWS_INIT;
    struct timespec ts;
    char *sql = NULL;
    int exists;
    int ret = -1;

    *id = 0;
    exists = table_exists(db, v->history, e);
    if (exists <= 0)
        return exists;
    /* we hold the lock: an unfinished marker is a run that died */
    if (asprintf(&sql,
                 "UPDATE %s SET duration_ms = -2 WHERE direction = 'run' AND duration_ms = -1 "
                 "RETURNING to_char(started_at, 'YYYY-MM-DD HH24:MI:SS TZ'), "
                 "coalesce(hostname, '?'), db_user, revision",
                 v->history) < 0) {
        sql = NULL;
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    if (pg_query(db, sql, 0, NULL, &rows, NULL, e) < 0)
        goto out;
    for (size_t i = 0; i < rows.n_rows && log; i++)
        fprintf(log,
                "runner: warning: the run started %s on host '%s' by '%s' (at revision '%s') "
                "did not finish: it was killed or crashed; every revision it committed is in "
                "the version table and the one it was running was rolled back (unless it ran outside a "
                "transaction)\n",
                pg_rows_get(&rows, i, 0), pg_rows_get(&rows, i, 1), pg_rows_get(&rows, i, 2),
                pg_rows_get(&rows, i, 3));
    free(sql);
    clock_gettime(CLOCK_REALTIME, &ts);
    h.started_at = (double)ts.tv_sec + ts.tv_nsec / 1e9;
    history_params(&h, &hp);
    if (asprintf(&sql, "INSERT INTO %s " HISTORY_COLUMNS " VALUES "
                 HISTORY_VALUES(1, 2, 3, 4, 5, 6, 7, 8) " RETURNING id", v->history) < 0) {
        sql = NULL;
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    pg_rows_release(&rows);
    if (pg_query(db, sql, 8, hp.p, &rows, NULL, e) < 0)
        goto out;
    *id = rows.n_rows ? strtoll(pg_rows_get(&rows, 0, 0), NULL, 10) : 0;
    ret = 0;
out:
    if (ret < 0)
        err_prefix(e, "cannot record the run in '%s'", v->hlabel);
    pg_rows_release(&rows);
    free(sql);
    return ret;
}

int versions_run_finish(const struct versions *v, struct pg *db, long long id,
                        double started_at, int success, struct err *e)
{
    struct timespec ts;
    char duration[32], idbuf[32];
    const char *params[3] = { duration, success ? "true" : "false", idbuf };
    char *sql = NULL;
    int ret;

    if (id <= 0)
        return 0;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(duration, sizeof(duration), "%lld",
             (long long)(((double)ts.tv_sec + ts.tv_nsec / 1e9 - started_at) * 1000.0));
    snprintf(idbuf, sizeof(idbuf), "%lld", id);
    if (asprintf(&sql, "UPDATE %s SET duration_ms = $1, success = $2 WHERE id = $3",
                 v->history) < 0)
        return err_set(e, ERR_FAIL, "out of memory");
    ret = pg_exec_params(db, sql, 3, params, e);
    free(sql);
    if (ret < 0)
        err_prefix(e, "cannot record the end of the run in '%s'", v->hlabel);
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

    if (s->vt != VT_UPDATE) {
        if (versions_apply(v, db, s, e) < 0)
            return -1;
        return versions_record(v, db, h, e);
    }
    /* The common step, one round trip: both rows in one statement; the
     * count of moved rows is checked as alembic checks its rowcount. */
    history_params(h, &hp);
    params[0] = s->to;
    params[1] = s->from;
    memcpy(params + 2, hp.p, sizeof(hp.p));
    if (asprintf(&sql,
                 "WITH moved AS (UPDATE %s SET version_num = $1 WHERE %s.version_num = $2 "
                 "RETURNING 1), logged AS (INSERT INTO %s " HISTORY_COLUMNS " VALUES "
                 HISTORY_VALUES(3, 4, 5, 6, 7, 8, 9, 10) " RETURNING 1) "
                 "SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM logged)",
                 v->table, v->table, v->history) < 0)
        return err_set(e, ERR_FAIL, "out of memory");
    if (pg_query(db, sql, 10, params, &r, NULL, e) < 0)
        goto out;
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

/* Alembic renders the ids as literal_column("'%s'"): no escaping; ids
 * are plain [A-Za-z0-9_] in practice, but a quote is doubled here. */
static void literal(FILE *out, const char *id)
{
    fputc('\'', out);
    for (const char *p = id; *p; p++) {
        if (*p == '\'')
            fputc('\'', out);
        fputc(*p, out);
    }
    fputc('\'', out);
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

/* ---- for read-only commands ---- */

/* Connect, run fn, disconnect. */
static int with_db(struct ctx *ctx, int (*fn)(struct versions *v, struct pg *db, void *arg),
                   void *arg, struct err *e)
{
    uv_loop_t loop;
    struct pg db = PG_INIT;
    struct versions v = VERSIONS_INIT;
    int ret = -1;
    int rc = uv_loop_init(&loop);

    if (rc < 0)
        return err_set(e, ERR_FAIL, "cannot start the event loop: %s", uv_strerror(rc));
    if (versions_init(&v, &ctx->cfg, e) < 0)
        goto out;
    if (pg_open(&db, &loop, ctx->cfg.url, e) < 0)
        goto out;
    ret = fn(&v, &db, arg);
out:
    pg_close(&db);
    versions_release(&v);
    uv_loop_close(&loop);
    return ret;
}

struct read_args {
    char ***ids;
    size_t *n;
    struct err *e;
};

static int read_fn(struct versions *v, struct pg *db, void *arg)
{
    struct read_args *a = arg;

    return versions_read(v, db, a->ids, a->n, a->e);
}

int versions_read_current(struct ctx *ctx, char ***ids, size_t *n, struct err *e)
{
    struct read_args a = { ids, n, e };

    *ids = NULL;
    *n = 0;
    return with_db(ctx, read_fn, &a, e);
}

struct print_args {
    FILE *out;
    struct err *e;
};

static int print_fn(struct versions *v, struct pg *db, void *arg)
{
    struct print_args *a = arg;
    struct pg_rows r = PG_ROWS_INIT;
    char *sql = NULL;
    int exists = table_exists(db, v->history, a->e);

    if (exists < 0)
        return -1;
    if (!exists) {
        fprintf(a->out, "no history: table '%s' does not exist\n", v->hlabel);
        return 0;
    }
    if (check_history_layout(v, db, a->e) < 0)
        return -1;
    if (asprintf(&sql,
                 "SELECT id, to_char(started_at AT TIME ZONE 'UTC', "
                 "'YYYY-MM-DD HH24:MI:SS'), direction, revision, duration_ms, db_user, "
                 "coalesce(hostname, ''), runner_version, success, coalesce(checksum, '') "
                 "FROM %s ORDER BY id",
                 v->history) < 0)
        return err_set(a->e, ERR_FAIL, "out of memory");
    if (pg_query(db, sql, 0, NULL, &r, NULL, a->e) < 0) {
        free(sql);
        return -1;
    }
    for (size_t i = 0; i < r.n_rows; i++) {
        const char *sum = pg_rows_get(&r, i, 9);
        const char *ms = pg_rows_get(&r, i, 4);
        const char *status = strcmp(pg_rows_get(&r, i, 8), "t") == 0 ? "ok" : "FAILED";

        /* a run marker (versions_run_start): -1 still running, -2 died */
        if (strcmp(ms, "-1") == 0) {
            status = "RUNNING";
            ms = "-";
        } else if (strcmp(ms, "-2") == 0) {
            status = "DIED (killed or crashed)";
            ms = "-";
        }
        fprintf(a->out, "%s UTC  %-9s %-12s %6s ms  %s@%s  runner %s  %s%s%.12s\n",
                pg_rows_get(&r, i, 1), pg_rows_get(&r, i, 2), pg_rows_get(&r, i, 3), ms,
                pg_rows_get(&r, i, 5), pg_rows_get(&r, i, 6), pg_rows_get(&r, i, 7), status,
                *sum ? "  sha256:" : "", sum);
    }
    pg_rows_release(&r);
    free(sql);
    return 0;
}

int versions_print_history(struct ctx *ctx, FILE *out, struct err *e)
{
    struct print_args a = { out, e };

    return with_db(ctx, print_fn, &a, e);
}
