/* history.c -- the history table and run markers; see history.h. */
#include "history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "pg.h"
#include "strbuf.h"
#include "versions.h"

static const char *const history_columns[] = {
    "id", "revision", "direction", "checksum", "started_at", "duration_ms",
    "db_user", "hostname", "runner_version", "success", NULL,
};

static int check_layout(const struct versions *v, struct pg *db, struct err *e)
{
    struct pg_rows r = PG_ROWS_INIT;
    int ret = 0;

    if (versions_table_columns(db, v->history, &r, e) < 0)
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

int history_ensure(const struct versions *v, struct pg *db, int exists, struct err *e)
{
    char *sql = NULL;
    int ret;

    if (exists < 0)
        exists = versions_table_exists(db, v->history, e);
    if (exists < 0)
        return -1;
    if (exists)
        return check_layout(v, db, e);
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
                 v->history) < 0)
        return err_set(e, ERR_FAIL, "out of memory");
    ret = pg_exec(db, sql, e);
    free(sql);
    if (ret < 0)
        return err_prefix(e, "cannot create history table '%s'", v->hlabel);
    return 1;
}

void history_bind(const struct history_row *h, struct history_params *hp)
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

int history_record(const struct versions *v, struct pg *db, const struct history_row *h,
                   struct err *e)
{
    struct history_params hp;
    char *sql = NULL;
    int ret;

    history_bind(h, &hp);
    if (asprintf(&sql, "INSERT INTO %s " HISTORY_COLUMNS " VALUES "
                 HISTORY_VALUES(1, 2, 3, 4, 5, 6, 7, 8), v->history) < 0)
        return err_set(e, ERR_FAIL, "out of memory");
    ret = pg_exec_params(db, sql, 8, hp.p, e);
    free(sql);
    if (ret < 0)
        err_prefix(e, "cannot record history in '%s'", v->hlabel);
    return ret;
}

/* The unfinished markers (a lock holder closes them: no other run can be
 * going, so they died; anyone else only reads them) and ours, inserted,
 * in one statement: its snapshot does not see our new row, so ours is
 * never among them.  One row per marker found, or one row of NULLs after
 * our id when there is none.  In a table this session has just created
 * there are none to look for (fresh): ours alone. */
static int markers_and_ours(const struct versions *v, struct pg *db, int close, int fresh,
                            const struct history_params *hp, struct pg_rows *rows,
                            struct err *e)
{
    static const char *const fields =
        "id, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS TZ') AS started, "
        "coalesce(hostname, '?') AS host, db_user, revision";
    struct strbuf sql = STRBUF_INIT;
    int ret;

    if (!fresh) {
        strbuf_adds(&sql, "WITH found AS (");
        if (close)
            strbuf_addf(&sql, "UPDATE %s SET duration_ms = -2 WHERE direction = 'run' AND "
                        "duration_ms = -1 RETURNING %s", v->history, fields);
        else
            strbuf_addf(&sql, "SELECT %s FROM %s WHERE direction = 'run' AND "
                        "duration_ms = -1", fields, v->history);
        strbuf_adds(&sql, "), ours AS (");
    }
    strbuf_addf(&sql, "INSERT INTO %s " HISTORY_COLUMNS " VALUES "
                HISTORY_VALUES(1, 2, 3, 4, 5, 6, 7, 8) " RETURNING id", v->history);
    if (!fresh)
        strbuf_adds(&sql, ") SELECT (SELECT id FROM ours), found.started, found.host, "
                    "found.db_user, found.revision FROM (SELECT 1) one "
                    "LEFT JOIN found ON true ORDER BY found.id");
    if (strbuf_failed(&sql))
        ret = err_set(e, ERR_FAIL, "out of memory");
    else
        ret = pg_query(db, strbuf_str(&sql), 8, hp->p, rows, NULL, e);
    strbuf_release(&sql);
    return ret;
}

int history_run_start(const struct versions *v, struct pg *db, const char *revision,
                      enum history_table table, int holds_lock, FILE *log, long long *id,
                      struct err *e)
{
    struct history_row h = { revision ? revision : "", "run", NULL, 0, -1, 0 };
    struct history_params hp;
    struct pg_rows rows = PG_ROWS_INIT;
    int ret = -1;

    *id = 0;
    if (table == HISTORY_LOOK_UP) {
        int exists = versions_table_exists(db, v->history, e);

        if (exists <= 0)
            return exists;
    }
    h.started_at = clock_epoch_s();
    history_bind(&h, &hp);
    if (markers_and_ours(v, db, holds_lock, table == HISTORY_NEW, &hp, &rows, e) < 0)
        goto out;
    for (size_t i = 0; i < rows.n_rows && log; i++) {
        if (!pg_rows_get(&rows, i, 1))
            continue;               /* no marker: only our id */
        if (holds_lock)
            fprintf(log,
                    "runner: warning: the run started %s on host '%s' by '%s' (at revision "
                    "'%s') did not finish: it was killed or crashed; every revision it "
                    "committed is in the version table and the one it was running was rolled "
                    "back (unless it ran outside a transaction)\n",
                    pg_rows_get(&rows, i, 1), pg_rows_get(&rows, i, 2),
                    pg_rows_get(&rows, i, 3), pg_rows_get(&rows, i, 4));
        else
            fprintf(log,
                    "runner: warning: the run started %s on host '%s' by '%s' (at revision "
                    "'%s') has not finished: it is still running, or it was killed or "
                    "crashed; without the migration lock this run cannot tell which, so the "
                    "record is left open\n",
                    pg_rows_get(&rows, i, 1), pg_rows_get(&rows, i, 2),
                    pg_rows_get(&rows, i, 3), pg_rows_get(&rows, i, 4));
    }
    *id = rows.n_rows && pg_rows_get(&rows, 0, 0) ? strtoll(pg_rows_get(&rows, 0, 0), NULL, 10)
                                                  : 0;
    ret = 0;
out:
    if (ret < 0)
        err_prefix(e, "cannot record the run in '%s'", v->hlabel);
    pg_rows_release(&rows);
    return ret;
}

int history_read_applied(const struct versions *v, struct pg *db, struct pg_rows *rows,
                         struct err *e)
{
    struct strbuf sql = STRBUF_INIT;
    int ret;

    strbuf_addf(&sql, HISTORY_APPLIED_SQL, v->history);
    if (strbuf_failed(&sql))
        return err_set(e, ERR_FAIL, "out of memory");
    ret = pg_query(db, strbuf_str(&sql), 0, NULL, rows, NULL, e);
    strbuf_release(&sql);
    if (ret < 0)
        err_prefix(e, "cannot read history table '%s'", v->hlabel);
    return ret;
}

int history_run_finish(const struct versions *v, struct pg *db, long long id,
                       double started_at, int success, struct err *e)
{
    char duration[32], idbuf[32];
    const char *params[3] = { duration, success ? "true" : "false", idbuf };
    char *sql = NULL;
    int ret;

    if (id <= 0)
        return 0;
    snprintf(duration, sizeof(duration), "%lld",
             (long long)((clock_epoch_s() - started_at) * 1000.0));
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

int history_read(const struct versions *v, struct pg *db, struct history_log *out,
                 struct err *e)
{
    char *sql = NULL;
    int exists;

    *out = (struct history_log)HISTORY_LOG_INIT;
    out->label = strdup(v->hlabel);
    if (!out->label)
        return err_set(e, ERR_FAIL, "out of memory");
    exists = versions_table_exists(db, v->history, e);
    if (exists < 0)
        goto fail_nosql;
    if (!exists) {
        out->missing = 1;
        return 0;
    }
    if (check_layout(v, db, e) < 0)
        goto fail_nosql;
    if (asprintf(&sql,
                 "SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), "
                 "direction, revision, duration_ms, db_user, coalesce(hostname, ''), "
                 "runner_version, success, coalesce(checksum, '') FROM %s ORDER BY id",
                 v->history) < 0) {
        err_set(e, ERR_FAIL, "out of memory");
        goto fail_nosql;
    }
    if (pg_query(db, sql, 0, NULL, &out->rows, NULL, e) < 0)
        goto fail;
    out->entries = calloc(out->rows.n_rows + 1, sizeof(*out->entries));
    if (!out->entries) {
        err_set(e, ERR_FAIL, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < out->rows.n_rows; i++) {
        struct history_entry *h = &out->entries[i];
        const struct pg_rows *r = &out->rows;

        h->started_utc = pg_rows_get(r, i, 0);
        h->direction = pg_rows_get(r, i, 1);
        h->revision = pg_rows_get(r, i, 2);
        h->duration_ms = pg_rows_get(r, i, 3);
        h->db_user = pg_rows_get(r, i, 4);
        h->hostname = pg_rows_get(r, i, 5);
        h->runner_version = pg_rows_get(r, i, 6);
        h->checksum = pg_rows_get(r, i, 8);
        h->state = strcmp(pg_rows_get(r, i, 7), "t") == 0 ? HISTORY_OK : HISTORY_FAILED;
        /* a run marker (history_run_start): -1 still running, -2 died */
        if (strcmp(h->duration_ms, "-1") == 0)
            h->state = HISTORY_RUNNING;
        else if (strcmp(h->duration_ms, "-2") == 0)
            h->state = HISTORY_DIED;
    }
    out->n = out->rows.n_rows;
    free(sql);
    return 0;
fail:
    free(sql);
fail_nosql:
    history_log_release(out);
    return -1;
}

void history_log_release(struct history_log *log)
{
    free(log->label);
    free(log->entries);
    pg_rows_release(&log->rows);
    *log = (struct history_log)HISTORY_LOG_INIT;
}
