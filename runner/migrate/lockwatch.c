/* lockwatch.c -- locks and rewrites a revision's upgrade takes on the
 * tables that existed before it (see lockwatch.h). */
#include "lockwatch.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "graph.h"
#include "json.h"
#include "pg.h"
#include "strbuf.h"

#define HAZARD_RANK 5           /* ShareLock: this and stronger block writes */
#define SQL_KEEP 400            /* bytes of a statement kept (whitespace collapsed) */
#define SQL_SHOW 120            /* bytes of it shown in a text line */

/* One statement of the watched upgrade. */
struct lw_stmt {
    char *sql;                  /* owned, whitespace collapsed, cut to SQL_KEEP */
    double start;               /* monotonic seconds when it began */
    double ms;                  /* how long it ran */
    int ok;
};

/* One table that existed before the revision. */
struct lw_table {
    char oid[16];
    char *name;                 /* owned: regclass text, quoted as SQL needs */
    char *relname;              /* owned: the bare name, for the exclude list */
    char *filenode;             /* owned: relfilenode before the upgrade */
    long rows;                  /* rows when the upgrade began */
    char *not_filled;           /* owned: why it holds fewer than o->rows rows; NULL: full */
    int filled;                 /* topped up (or already full) */
    int rank;                   /* strongest lock seen, lockwatch_mode_rank(); 0: none */
    size_t lock_stmt;           /* the statement after which `rank` was first seen */
    int rewritten;
    size_t rewrite_stmt;
    int dropped;                /* pg_relation_filenode() became NULL */
    size_t drop_stmt;
    int hazard;                 /* a lock of HAZARD_RANK or stronger was seen */
    size_t hazard_stmt;         /* after which statement, first */
    double held_ms;             /* hazard: from that statement's start to the commit */
    int flagged;                /* held_ms over the threshold */
};

struct lockwatch_revision {
    char id[RUNNER_ID_SIZE];
    int no_transaction;         /* RUNNER_NO_TRANSACTION: locks end with each statement */
    int done;                   /* after() ran */
    int ok;                     /* the upgrade committed */
    struct lw_table *tables;
    size_t n_tables;
    struct lw_stmt *stmts;
    size_t n_stmts;
    char *note;                 /* owned: an observation that failed; NULL: none */
};

static const char *const mode_names[] = {
    "AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
    "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock",
};

int lockwatch_mode_rank(const char *mode)
{
    for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
        if (mode && strcmp(mode, mode_names[i]) == 0)
            return (int)i + 1;
    return 0;
}

static double now_s(void)
{
    return (double)uv_hrtime() / 1e9;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* sql with every run of whitespace made one space, cut to SQL_KEEP bytes. */
static char *collapse_sql(const char *sql)
{
    struct strbuf sb = STRBUF_INIT;
    int space = 0;

    for (const char *p = sql ? sql : ""; *p && sb.len < SQL_KEEP; p++) {
        if (isspace((unsigned char)*p)) {
            space = sb.len > 0;
            continue;
        }
        if (space)
            strbuf_addch(&sb, ' ');
        space = 0;
        strbuf_addch(&sb, *p);
    }
    return strbuf_detach(&sb);
}

static struct lockwatch_revision *current(struct lockwatch *lw)
{
    struct lockwatch_revision *r = lw->n_revs ? &lw->revs[lw->n_revs - 1] : NULL;

    return r && !r->done ? r : NULL;
}

static void set_note(char **note, const char *fmt, const char *text)
{
    struct strbuf sb = STRBUF_INIT;

    if (*note)
        return;                 /* the first reason wins */
    strbuf_addf(&sb, fmt, text);
    *note = strbuf_detach(&sb);
}

/* ---- filling ---- */

/* A value expression in g (bigint, 1..rows) for a column whose base type
 * is typname / category / typtype, or NULL when none is known. */
static void value_expr(struct strbuf *sb, const char *typname, char category, char typtype,
                       const char *type_oid)
{
    static const struct { const char *name; const char *expr; } by_name[] = {
        { "int2", "g % 32767" },
        { "int4", "g" }, { "int8", "g" }, { "oid", "g" },
        { "numeric", "g" }, { "float4", "g" }, { "float8", "g" }, { "money", "g" },
        { "text", "'v' || g" }, { "varchar", "'v' || g" }, { "bpchar", "'v' || g" },
        { "name", "'v' || g" }, { "citext", "'v' || g" },
        { "bool", "g % 2 = 0" },
        { "date", "DATE '2000-01-01' + (g % 36500)::integer" },
        { "timestamp", "TIMESTAMP '2000-01-01' + g * INTERVAL '1 second'" },
        { "timestamptz", "TIMESTAMPTZ '2000-01-01 00:00Z' + g * INTERVAL '1 second'" },
        { "time", "TIME '00:00' + (g % 86400) * INTERVAL '1 second'" },
        { "timetz", "TIME '00:00' + (g % 86400) * INTERVAL '1 second'" },
        { "interval", "g * INTERVAL '1 second'" },
        { "uuid", "pg_catalog.md5(g::text)::uuid" },
        { "json", "pg_catalog.json_build_object('n', g)" },
        { "jsonb", "pg_catalog.json_build_object('n', g)" },
        { "bytea", "pg_catalog.convert_to(g::text, 'UTF8')" },
        { "inet", "INET '10.0.0.0' + g" },
    };

    if (typtype == 'e') {
        strbuf_addf(sb, "(SELECT e.enumlabel FROM pg_catalog.pg_enum e WHERE e.enumtypid = %s "
                        "ORDER BY e.enumsortorder LIMIT 1)", type_oid);
        return;
    }
    if (category == 'A') {
        strbuf_adds(sb, "'{}'");
        return;
    }
    for (size_t i = 0; i < sizeof(by_name) / sizeof(by_name[0]); i++) {
        if (strcmp(typname, by_name[i].name) == 0) {
            strbuf_adds(sb, by_name[i].expr);
            return;
        }
    }
}

static const char column_sql[] =
    "SELECT a.attname, pg_catalog.quote_ident(a.attname),"
    " pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,"
    " a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '',"
    " bt.typname, bt.typcategory, bt.typtype, bt.oid,"
    " (SELECT c.confrelid::pg_catalog.regclass::text FROM pg_catalog.pg_constraint c"
    "   WHERE c.conrelid = a.attrelid AND c.contype = 'f' AND c.conkey = ARRAY[a.attnum]"
    "   ORDER BY c.oid LIMIT 1),"
    " (SELECT pg_catalog.quote_ident(ra.attname) FROM pg_catalog.pg_constraint c"
    "   JOIN pg_catalog.pg_attribute ra ON ra.attrelid = c.confrelid"
    "    AND ra.attnum = c.confkey[1]"
    "   WHERE c.conrelid = a.attrelid AND c.contype = 'f' AND c.conkey = ARRAY[a.attnum]"
    "   ORDER BY c.oid LIMIT 1),"
    " EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.conrelid = a.attrelid"
    "   AND c.contype = 'f' AND a.attnum = ANY (c.conkey)"
    "   AND pg_catalog.cardinality(c.conkey) > 1)"
    " FROM pg_catalog.pg_attribute a"
    " JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
    " JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype"
    "  ELSE t.oid END"
    " WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";

enum { C_NAME, C_QNAME, C_TYPE, C_NOTNULL, C_DEFAULT, C_TYPNAME, C_CATEGORY, C_TYPTYPE,
       C_TYPOID, C_REFTABLE, C_REFCOL, C_MULTIFK };

static const struct lw_table *find_table(const struct lockwatch_revision *r, const char *name)
{
    for (size_t i = 0; i < r->n_tables; i++)
        if (strcmp(r->tables[i].name, name) == 0)
            return &r->tables[i];
    return NULL;
}

static int cell_true(const struct pg_rows *rows, size_t row, size_t col)
{
    const char *v = pg_rows_get(rows, row, col);

    return v && strcmp(v, "t") == 0;
}

/* Build the INSERT that tops t up from `have` to `want` rows.  Returns 1
 * with the statement in *sql, 0 when t cannot be filled (t->not_filled
 * says why), 2 when it must wait for a referenced table not filled yet,
 * -1 with *e on a database error. */
static int fill_statement(struct lockwatch *lw, const struct lockwatch_revision *r,
                          struct lw_table *t, long have, int last_pass, struct strbuf *sql,
                          struct err *e)
{
    struct pg_rows cols = PG_ROWS_INIT;
    struct strbuf names = STRBUF_INIT, values = STRBUF_INIT, joins = STRBUF_INIT;
    struct strbuf expr = STRBUF_INIT, why = STRBUF_INIT;
    const char *params[1] = { t->oid };
    int ret = -1, n_joins = 0;

    if (pg_query(lw->db, column_sql, 1, params, &cols, NULL, e) < 0)
        goto out;
    for (size_t i = 0; i < cols.n_rows; i++) {
        const char *qname = pg_rows_get(&cols, i, C_QNAME);
        const char *type = pg_rows_get(&cols, i, C_TYPE);
        const char *reftable = pg_rows_get(&cols, i, C_REFTABLE);
        const char *cat = pg_rows_get(&cols, i, C_CATEGORY);
        const char *tt = pg_rows_get(&cols, i, C_TYPTYPE);
        int notnull = cell_true(&cols, i, C_NOTNULL);

        if (cell_true(&cols, i, C_DEFAULT))
            continue;           /* its default (serial, identity, generated, DEFAULT x) */
        strbuf_reset(&expr);
        if (reftable && notnull) {
            const struct lw_table *ref = find_table(r, reftable);

            if (strcmp(reftable, t->name) == 0) {
                strbuf_addf(&why, "column %s is a NOT NULL foreign key to its own table",
                            qname);
                ret = 0;
                goto out;
            }
            if (ref && !ref->filled && !last_pass) {
                ret = 2;
                goto out;
            }
            /* the g-th row of the referenced table, round and round */
            strbuf_addf(&joins, " JOIN (SELECT r.%s AS v, pg_catalog.row_number() OVER () AS k"
                        " FROM %s r) AS f%d ON f%d.k = 1 + g %% (SELECT pg_catalog.count(*)"
                        " FROM %s)", pg_rows_get(&cols, i, C_REFCOL), reftable, n_joins,
                        n_joins, reftable);
            strbuf_addf(&expr, "f%d.v", n_joins++);
        } else if (reftable || cell_true(&cols, i, C_MULTIFK)) {
            if (notnull) {
                strbuf_addf(&why, "column %s is NOT NULL in a foreign key of several columns",
                            qname);
                ret = 0;
                goto out;
            }
            continue;           /* NULL satisfies the foreign key */
        } else {
            value_expr(&expr, pg_rows_get(&cols, i, C_TYPNAME), cat ? cat[0] : 0,
                       tt ? tt[0] : 0, pg_rows_get(&cols, i, C_TYPOID));
            if (!expr.len) {
                if (!notnull)
                    continue;   /* left NULL */
                strbuf_addf(&why, "no value generated for NOT NULL column %s of type %s",
                            qname, type);
                ret = 0;
                goto out;
            }
        }
        strbuf_addf(&names, "%s%s", names.len ? ", " : "", qname);
        strbuf_addf(&values, "%s(%s)::%s", values.len ? ", " : "", strbuf_str(&expr), type);
    }
    strbuf_addf(sql, "INSERT INTO %s", t->name);
    if (names.len)
        strbuf_addf(sql, " (%s)", strbuf_str(&names));
    strbuf_addf(sql, " SELECT %s FROM pg_catalog.generate_series(%ld, %zu) AS g%s",
                strbuf_str(&values), have + 1, lw->o.rows, strbuf_str(&joins));
    ret = strbuf_failed(sql) ? err_set(e, ERR_FAIL, "out of memory") : 1;
out:
    if (ret == 0)
        set_note(&t->not_filled, "%s", strbuf_str(&why));
    pg_rows_release(&cols);
    strbuf_release(&names);
    strbuf_release(&values);
    strbuf_release(&joins);
    strbuf_release(&expr);
    strbuf_release(&why);
    return ret;
}

/* Rows of t, or -1 with *e. */
static long count_rows(struct lockwatch *lw, const struct lw_table *t, struct err *e)
{
    struct pg_rows rows = PG_ROWS_INIT;
    struct strbuf sql = STRBUF_INIT;
    long n = -1;

    strbuf_addf(&sql, "SELECT pg_catalog.count(*) FROM %s", t->name);
    if (pg_query(lw->db, strbuf_str(&sql), 0, NULL, &rows, NULL, e) == 0 && rows.n_rows == 1)
        n = atol(pg_rows_get(&rows, 0, 0) ? pg_rows_get(&rows, 0, 0) : "0");
    pg_rows_release(&rows);
    strbuf_release(&sql);
    return n;
}

/* One attempt at t: 0 (filled, or not_filled set), 2 (wait), -1 with *e. */
static int fill_table(struct lockwatch *lw, const struct lockwatch_revision *r,
                      struct lw_table *t, int last_pass, struct err *e)
{
    struct strbuf sql = STRBUF_INIT;
    struct err ie = ERR_INIT;
    long have = count_rows(lw, t, e), added = 0;
    int rc;

    if (have < 0)
        return -1;
    t->rows = have;
    if ((size_t)have >= lw->o.rows) {
        t->filled = 1;
        return 0;
    }
    rc = fill_statement(lw, r, t, have, last_pass, &sql, e);
    if (rc == 1) {
        struct pg_rows none = PG_ROWS_INIT;
        int qrc = pg_query(lw->db, strbuf_str(&sql), 0, NULL, &none, &added, &ie);

        pg_rows_release(&none);
        rc = 0;
        if (qrc < 0) {
            if (pg_poll_interrupt(lw->db)) {
                *e = ie;
                rc = -1;
            } else {
                set_note(&t->not_filled, "%s", ie.msg);
            }
        } else if ((size_t)(have + added) < lw->o.rows) {
            set_note(&t->not_filled, "%s", "a table it references has no rows");
        }
        t->rows = have + added;
        t->filled = 1;
    } else if (rc == 0) {
        t->filled = 1;          /* as full as it gets: the reason is kept */
    }
    strbuf_release(&sql);
    return rc;
}

static const char tables_sql[] =
    "SELECT c.oid, c.oid::pg_catalog.regclass::text, c.relname"
    " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
    " AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'"
    " ORDER BY 2";

static int excluded(const struct lockwatch *lw, const char *relname)
{
    for (size_t i = 0; i < lw->o.n_exclude; i++)
        if (lw->o.exclude[i] && strcmp(lw->o.exclude[i], relname) == 0)
            return 1;
    return 0;
}

static int list_tables(struct lockwatch *lw, struct lockwatch_revision *r, struct err *e)
{
    struct pg_rows rows = PG_ROWS_INIT;
    int ret = -1;

    if (pg_query(lw->db, tables_sql, 0, NULL, &rows, NULL, e) < 0)
        return -1;
    r->tables = calloc(rows.n_rows ? rows.n_rows : 1, sizeof(*r->tables));
    if (!r->tables) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < rows.n_rows; i++) {
        struct lw_table *t = &r->tables[r->n_tables];

        if (excluded(lw, pg_rows_get(&rows, i, 2)))
            continue;
        snprintf(t->oid, sizeof(t->oid), "%s", pg_rows_get(&rows, i, 0));
        t->name = dup_or_null(pg_rows_get(&rows, i, 1));
        t->relname = dup_or_null(pg_rows_get(&rows, i, 2));
        r->n_tables++;
        if (!t->name || !t->relname) {
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
    }
    ret = 0;
out:
    pg_rows_release(&rows);
    return ret;
}

/* The relfilenodes once the filling is done: the baseline a rewrite
 * changes. */
static int read_filenodes(struct lockwatch *lw, struct lockwatch_revision *r, struct err *e);

static int before(void *arg, const struct rev *rev, struct err *e)
{
    struct lockwatch *lw = arg;
    struct lockwatch_revision *grown, *r;
    size_t passes;

    grown = realloc(lw->revs, (lw->n_revs + 1) * sizeof(*grown));
    if (!grown)
        return err_set(e, ERR_FAIL, "out of memory");
    lw->revs = grown;
    r = &lw->revs[lw->n_revs++];
    memset(r, 0, sizeof(*r));
    snprintf(r->id, sizeof(r->id), "%s", rev->id);
    r->no_transaction = (rev->meta.flags & RUNNER_NO_TRANSACTION) != 0;
    if (list_tables(lw, r, e) < 0)
        goto fail;
    /* a table waits for the tables its NOT NULL foreign keys reference:
     * at most one pass per table, then the last pass fills what it can */
    passes = r->n_tables + 1;
    for (size_t pass = 0; pass < passes; pass++) {
        int waiting = 0;

        for (size_t i = 0; i < r->n_tables; i++) {
            int rc;

            if (r->tables[i].filled)
                continue;
            rc = fill_table(lw, r, &r->tables[i], pass + 1 == passes, e);
            if (rc < 0)
                goto fail;
            waiting |= rc == 2;
        }
        if (!waiting)
            break;
    }
    if (read_filenodes(lw, r, e) < 0)
        goto fail;
    return 0;
fail:
    err_prefix(e, "filling the tables before revision %s", rev->id);
    r->done = 1;
    return -1;
}

/* ---- observing ---- */

static const char observe_sql[] =
    "SELECT pg_catalog.pg_relation_filenode(t.oid),"
    " (SELECT pg_catalog.string_agg(l.mode, ',') FROM pg_catalog.pg_locks l"
    "   WHERE l.locktype = 'relation' AND l.granted AND l.pid = pg_catalog.pg_backend_pid()"
    "   AND l.relation = t.oid)"
    " FROM pg_catalog.unnest($1::pg_catalog.oid[]) WITH ORDINALITY AS t(oid, i) ORDER BY t.i";

static int observe_tables(struct lockwatch *lw, const struct lockwatch_revision *r,
                          struct pg_rows *out, struct err *e)
{
    struct strbuf oids = STRBUF_INIT;
    const char *params[1];
    int rc;

    strbuf_addch(&oids, '{');
    for (size_t i = 0; i < r->n_tables; i++)
        strbuf_addf(&oids, "%s%s", i ? "," : "", r->tables[i].oid);
    strbuf_addch(&oids, '}');
    params[0] = strbuf_str(&oids);
    rc = pg_query(lw->db, observe_sql, 1, params, out, NULL, e);
    if (rc == 0 && out->n_rows != r->n_tables)
        rc = err_set(e, ERR_FAIL, "pg_locks returned %zu rows for %zu tables", out->n_rows,
                     r->n_tables);
    strbuf_release(&oids);
    return rc;
}

static int read_filenodes(struct lockwatch *lw, struct lockwatch_revision *r, struct err *e)
{
    struct pg_rows rows = PG_ROWS_INIT;

    if (r->n_tables == 0)
        return 0;
    if (observe_tables(lw, r, &rows, e) < 0) {
        pg_rows_release(&rows);
        return -1;
    }
    for (size_t i = 0; i < r->n_tables; i++) {
        free(r->tables[i].filenode);
        r->tables[i].filenode = dup_or_null(pg_rows_get(&rows, i, 0));
    }
    pg_rows_release(&rows);
    return 0;
}

static void after_statement(void *arg, struct pg *db, const char *sql, int ok, double seconds)
{
    struct lockwatch *lw = arg;
    struct lockwatch_revision *r = current(lw);
    struct lw_stmt *grown, *s;
    struct pg_rows rows = PG_ROWS_INIT;
    struct err e = ERR_INIT;
    size_t k;

    (void)db;
    if (!r)
        return;
    grown = realloc(r->stmts, (r->n_stmts + 1) * sizeof(*grown));
    if (!grown)
        return;
    r->stmts = grown;
    k = r->n_stmts++;
    s = &r->stmts[k];
    s->sql = collapse_sql(sql);
    s->ms = seconds * 1000.0;
    s->start = now_s() - seconds;
    s->ok = ok;
    /* after a failure the transaction is aborted: nothing more to read */
    if (!ok || r->note || r->n_tables == 0)
        return;
    if (observe_tables(lw, r, &rows, &e) < 0) {
        set_note(&r->note, "locks not observed after a statement: %s", e.msg);
        pg_rows_release(&rows);
        return;
    }
    for (size_t i = 0; i < r->n_tables; i++) {
        struct lw_table *t = &r->tables[i];
        const char *node = pg_rows_get(&rows, i, 0);
        const char *modes = pg_rows_get(&rows, i, 1);
        int rank = 0;

        for (const char *p = modes; p && *p;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            char mode[40];
            int m;

            snprintf(mode, sizeof(mode), "%.*s", (int)len, p);
            m = lockwatch_mode_rank(mode);
            rank = m > rank ? m : rank;
            p = comma ? comma + 1 : p + len;
        }
        if (rank > t->rank) {
            t->rank = rank;
            t->lock_stmt = k;
        }
        if (rank >= HAZARD_RANK && !t->hazard) {
            t->hazard = 1;
            t->hazard_stmt = k;
        }
        if (!node && !t->dropped) {
            t->dropped = 1;
            t->drop_stmt = k;
        } else if (node && t->filenode && strcmp(node, t->filenode) != 0 && !t->rewritten) {
            t->rewritten = 1;
            t->rewrite_stmt = k;
        }
    }
    pg_rows_release(&rows);
}

static void after(void *arg, const struct rev *rev, int ok)
{
    struct lockwatch *lw = arg;
    struct lockwatch_revision *r = current(lw);
    double end = now_s();

    (void)rev;
    if (!r)
        return;
    r->done = 1;
    r->ok = ok;
    for (size_t i = 0; i < r->n_tables; i++) {
        struct lw_table *t = &r->tables[i];

        if (!t->hazard)
            continue;
        /* outside a transaction a lock ends with its statement */
        t->held_ms = r->no_transaction ? r->stmts[t->hazard_stmt].ms
                                       : (end - r->stmts[t->hazard_stmt].start) * 1000.0;
        t->flagged = t->held_ms > lw->o.threshold_ms;
    }
}

/* ---- lifecycle ---- */

void lockwatch_init(struct lockwatch *lw, struct pg *db, const struct lockwatch_opts *o)
{
    memset(lw, 0, sizeof(*lw));
    lw->o = *o;
    if (!lw->o.rows)
        lw->o.rows = LOCKWATCH_ROWS_DEFAULT;
    lw->db = db;
    lw->observer.after = after_statement;
    lw->observer.arg = lw;
    lw->watch.before = before;
    lw->watch.after = after;
    lw->watch.observer = &lw->observer;
    lw->watch.arg = lw;
}

const struct roundtrip_watch *lockwatch_watch(struct lockwatch *lw)
{
    return &lw->watch;
}

void lockwatch_release(struct lockwatch *lw)
{
    for (size_t i = 0; i < lw->n_revs; i++) {
        struct lockwatch_revision *r = &lw->revs[i];

        for (size_t k = 0; k < r->n_tables; k++) {
            free(r->tables[k].name);
            free(r->tables[k].relname);
            free(r->tables[k].filenode);
            free(r->tables[k].not_filled);
        }
        for (size_t k = 0; k < r->n_stmts; k++)
            free(r->stmts[k].sql);
        free(r->tables);
        free(r->stmts);
        free(r->note);
    }
    free(lw->revs);
    lw->revs = NULL;
    lw->n_revs = 0;
}

size_t lockwatch_n_flagged(const struct lockwatch *lw)
{
    size_t n = 0;

    for (size_t i = 0; i < lw->n_revs; i++)
        for (size_t k = 0; k < lw->revs[i].n_tables; k++)
            n += lw->revs[i].tables[k].flagged;
    return n;
}

/* ---- output ---- */

static const struct lockwatch_revision *find_rev(const struct lockwatch *lw, const char *id)
{
    for (size_t i = 0; i < lw->n_revs; i++)
        if (strcmp(lw->revs[i].id, id) == 0)
            return &lw->revs[i];
    return NULL;
}

static void put_sql(FILE *out, const char *sql)
{
    size_t len = strlen(sql);

    if (len > SQL_SHOW)
        fprintf(out, "%.*s...", SQL_SHOW, sql);
    else
        fputs(sql, out);
}

static void put_table_line(const struct lockwatch *lw, const struct lockwatch_revision *r,
                           const struct lw_table *t, FILE *out)
{
    fprintf(out, "      %s: ", t->name);
    if (!t->rank) {
        fprintf(out, "no lock (%ld rows)", t->rows);
    } else {
        const struct lw_stmt *s = &r->stmts[t->lock_stmt];
        int same = (t->rewritten && t->rewrite_stmt == t->lock_stmt) ||
                   (t->dropped && t->drop_stmt == t->lock_stmt);

        fprintf(out, "%s%s (", mode_names[t->rank - 1],
                same ? (t->dropped ? ", dropped" : ", rewritten") : "");
        put_sql(out, s->sql);
        fprintf(out, "), %.0f ms with %ld rows", s->ms, t->rows);
        if (t->rewritten && !same) {
            fputs(", rewritten (", out);
            put_sql(out, r->stmts[t->rewrite_stmt].sql);
            fprintf(out, "), %.0f ms", r->stmts[t->rewrite_stmt].ms);
        }
    }
    if (t->hazard) {
        fprintf(out, "; %s held %.0f ms %s", mode_names[t->rank - 1], t->held_ms,
                r->no_transaction ? "(its statement)" : r->ok ? "until commit"
                                                              : "until rollback");
        if (t->flagged)
            fprintf(out, ": over the %.0f ms lock threshold", lw->o.threshold_ms);
    }
    if (t->not_filled)
        fprintf(out, "; not filled to %zu rows: %s", lw->o.rows, t->not_filled);
    fputc('\n', out);
}

void lockwatch_print_revision(const struct lockwatch *lw, const char *id, FILE *out)
{
    const struct lockwatch_revision *r = find_rev(lw, id);

    if (!r)
        return;
    if (r->n_tables == 0)
        fputs("      no tables before this revision\n", out);
    for (size_t i = 0; i < r->n_tables; i++)
        put_table_line(lw, r, &r->tables[i], out);
    if (r->no_transaction)
        fputs("      runs outside a transaction: each lock ends with its statement and is "
              "not seen here\n", out);
    if (r->note)
        fprintf(out, "      %s\n", r->note);
}

void lockwatch_print_summary(const struct lockwatch *lw, FILE *out)
{
    size_t flagged = lockwatch_n_flagged(lw);

    fprintf(out, "locks: %zu revision%s watched, tables filled to %zu rows; %zu lock%s of "
            "SHARE or stronger held over %.0f ms\n", lw->n_revs, lw->n_revs == 1 ? "" : "s",
            lw->o.rows, flagged, flagged == 1 ? "" : "s", lw->o.threshold_ms);
}

static void json_stmt_ref(FILE *out, const char *key, const struct lockwatch_revision *r,
                          int has, size_t k)
{
    fprintf(out, ", \"%s\": ", key);
    json_str(out, has ? r->stmts[k].sql : NULL);
}

void lockwatch_print_json(const struct lockwatch *lw, FILE *out)
{
    fprintf(out, "{\"rows\": %zu, \"threshold_ms\": %.0f, \"flagged\": %zu, \"revisions\": [",
            lw->o.rows, lw->o.threshold_ms, lockwatch_n_flagged(lw));
    for (size_t i = 0; i < lw->n_revs; i++) {
        const struct lockwatch_revision *r = &lw->revs[i];

        fprintf(out, "%s\n  {\"revision\": ", i ? "," : "");
        json_str(out, r->id);
        fprintf(out, ", \"transaction\": %s, \"committed\": %s, \"note\": ",
                r->no_transaction ? "false" : "true", r->ok ? "true" : "false");
        json_str(out, r->note);
        fputs(", \"tables\": [", out);
        for (size_t k = 0; k < r->n_tables; k++) {
            const struct lw_table *t = &r->tables[k];

            fprintf(out, "%s{\"table\": ", k ? ", " : "");
            json_str(out, t->name);
            fprintf(out, ", \"rows\": %ld, \"not_filled\": ", t->rows);
            json_str(out, t->not_filled);
            fputs(", \"lock\": ", out);
            json_str(out, t->rank ? mode_names[t->rank - 1] : NULL);
            json_stmt_ref(out, "statement", r, t->rank > 0, t->lock_stmt);
            fprintf(out, ", \"statement_ms\": %.3f",
                    t->rank ? r->stmts[t->lock_stmt].ms : 0.0);
            fprintf(out, ", \"rewritten\": %s", t->rewritten ? "true" : "false");
            json_stmt_ref(out, "rewrite_statement", r, t->rewritten, t->rewrite_stmt);
            fprintf(out, ", \"dropped\": %s, \"held_ms\": ", t->dropped ? "true" : "false");
            if (t->hazard)
                fprintf(out, "%.3f", t->held_ms);
            else
                fputs("null", out);
            fprintf(out, ", \"flagged\": %s}", t->flagged ? "true" : "false");
        }
        fputs("], \"statements\": [", out);
        for (size_t k = 0; k < r->n_stmts; k++) {
            fprintf(out, "%s{\"sql\": ", k ? ", " : "");
            json_str(out, r->stmts[k].sql);
            fprintf(out, ", \"ms\": %.3f, \"ok\": %s}", r->stmts[k].ms,
                    r->stmts[k].ok ? "true" : "false");
        }
        fputs("]}", out);
    }
    fprintf(out, "%s]}", lw->n_revs ? "\n" : "");
}
