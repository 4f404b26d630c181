/* pg.c -- libpq on a libuv loop, behind a synchronous API; see pg.h.
 *
 * Every wait is io_wait(): point the uv_poll_t at PQsocket() (libpq may
 * change sockets while connecting: then the old handle is closed and a
 * new one initialised), start it for the events libpq asked for, run the
 * loop once at a time until the callback fires, stop it.  Stopping after
 * each wait keeps libuv from watching a socket that libpq may close. */
#include "pg.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "sql_split.h"
#include "url.h"

#define PG_STMT_SHOWN 240       /* bytes of a failing statement quoted in an error */

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct pg *db = h->data;

    /* An error status (libuv reports POLLERR as UV_EBADF, e.g. a refused
     * connect) is readiness too: libpq finds and names the real error. */
    (void)status;
    (void)events;
    db->ready = 1;
}

static void on_timer(uv_timer_t *t)
{
    struct pg *db = t->data;

    db->timed_out = 1;
}

static void on_closed(uv_handle_t *h)
{
    struct pg *db = h->data;

    db->closing--;
}

/* Close the poll handle and wait for its close callback: its memory (in
 * *db) is reusable only then. */
static void poll_close(struct pg *db)
{
    if (!db->poll_open)
        return;
    db->poll_open = 0;
    db->poll_fd = -1;
    db->closing++;
    uv_close((uv_handle_t *)&db->poll, on_closed);
    while (db->closing > 0)
        uv_run(db->loop, UV_RUN_NOWAIT);
}

static int stopped(const struct pg *db)
{
    return db->interrupted || (db->stop && *db->stop);
}

/* Wait until the libpq socket is ready for `events` (UV_READABLE,
 * UV_WRITABLE) or the connect timer fires, or (interruptible: while
 * connecting, where nothing is in flight to cancel) a signal arrives.  A
 * statement's wait is not interruptible: the watcher cancels the
 * statement and its error ends the wait. */
static int io_wait(struct pg *db, int events, int interruptible, struct err *e)
{
    int fd = PQsocket(db->conn);
    int rc;

    if (fd < 0)
        return err_set(e, ERR_FAIL, "connection lost: %s", PQerrorMessage(db->conn));
    if (db->poll_open && db->poll_fd != fd)
        poll_close(db);
    if (!db->poll_open) {
        rc = uv_poll_init(db->loop, &db->poll, fd);
        if (rc < 0)
            return err_set(e, ERR_FAIL, "cannot watch the database socket: %s", uv_strerror(rc));
        db->poll.data = db;
        db->poll_open = 1;
        db->poll_fd = fd;
    }
    db->ready = 0;
    rc = uv_poll_start(&db->poll, events, on_poll);
    if (rc < 0)
        return err_set(e, ERR_FAIL, "cannot watch the database socket: %s", uv_strerror(rc));
    while (!db->ready && !db->timed_out && !(interruptible && stopped(db)))
        uv_run(db->loop, UV_RUN_ONCE);
    uv_poll_stop(&db->poll);
    if (!db->ready && interruptible && stopped(db)) {
        err_set(e, ERR_FAIL, "interrupted");
        err_sqlstate(e, "57014");
        return -1;
    }
    if (!db->ready)
        return err_set(e, ERR_FAIL, "timeout expired");
    return 0;
}

static void on_notice(void *arg, const char *msg)
{
    struct pg *db = arg;

    if (db->show_notices)
        fprintf(stderr, "runner: %s", msg);
}

PGconn *pg_conn(struct pg *db)
{
    return db ? db->conn : NULL;
}

void pg_describe(struct pg *db, char *buf, size_t size)
{
    const char *host, *port, *dbname;

    if (!db || !db->conn) {
        snprintf(buf, size, "(not connected)");
        return;
    }
    host = PQhost(db->conn);
    port = PQport(db->conn);
    dbname = PQdb(db->conn);
    snprintf(buf, size, "%s '%s' port %s database '%s'",
             host && (host[0] == '/' || host[0] == '@') ? "socket" : "host",
             host && *host ? host : "localhost", port && *port ? port : "5432",
             dbname ? dbname : "");
}

/* connect_timeout of the connection in seconds, 0 when unset. */
static long connect_timeout(PGconn *conn)
{
    PQconninfoOption *opts = PQconninfo(conn);
    long secs = 0;

    if (!opts)
        return 0;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "connect_timeout") == 0 && o->val)
            secs = strtol(o->val, NULL, 10);
    PQconninfoFree(opts);
    return secs > 0 ? secs : 0;
}

/* libpq's connection errors name host, port, user and database, never
 * the password (url_normalize() has refused a url whose dbname is itself
 * a connection string, the one way a secret could reach those names), so
 * the message is passed on as it is: no text is searched for secrets. */
static int connect_fail(struct pg *db, const char *why, struct err *e)
{
    char where[512];

    pg_describe(db, where, sizeof(where));
    return err_set(e, ERR_FAIL, "cannot connect to %s: %s", where, why);
}

int pg_open(struct pg *db, uv_loop_t *loop, const char *url, struct err *e)
{
    const char *keys[] = { "application_name", "dbname", NULL };
    const char *vals[] = { "runner", NULL, NULL };
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    char *norm = NULL;
    long timeout;
    int ret = -1;
    int rc;

    db->loop = loop;
    db->conn = NULL;
    db->poll_fd = -1;
    db->poll_open = db->timer_open = db->closing = 0;
    db->ready = db->timed_out = 0;
    db->backstop_fired = 0;         /* not interrupted: a signal may already have come */
    pg_lead_drop(db);
    db->trail = NULL;
    db->trail_state = PG_TRAIL_NONE;
    db->n_reused = 0;               /* a new session has none */
    db->disturbed = 0;
    norm = url_normalize(url, e);
    if (!norm)
        goto out;
    vals[1] = *norm ? norm : NULL;
    /* application_name before dbname: a url that sets its own wins */
    db->conn = PQconnectStartParams(keys, vals, 1);
    if (!db->conn) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    if (PQstatus(db->conn) == CONNECTION_BAD) {
        connect_fail(db, PQerrorMessage(db->conn), e);
        goto out;
    }
    rc = uv_timer_init(loop, &db->timer);
    if (rc < 0) {
        err_set(e, ERR_FAIL, "cannot start a timer: %s", uv_strerror(rc));
        goto out;
    }
    db->timer.data = db;
    db->timer_open = 1;
    /* libpq ignores connect_timeout under PQconnectPoll: the loop enforces it */
    timeout = connect_timeout(db->conn);
    if (timeout > 0)
        uv_timer_start(&db->timer, on_timer, (uint64_t)timeout * 1000, 0);
    while (st != PGRES_POLLING_OK) {
        if (st == PGRES_POLLING_FAILED) {
            connect_fail(db, PQerrorMessage(db->conn), e);
            goto out;
        }
        if (io_wait(db, st == PGRES_POLLING_READING ? UV_READABLE : UV_WRITABLE, 1, e) < 0) {
            char why[ERR_MSG_SIZE];

            if (stopped(db))
                goto out;       /* *e: "interrupted", 57014 */
            snprintf(why, sizeof(why), "%s", db->timed_out ? "timeout expired" : e->msg);
            connect_fail(db, why, e);
            goto out;
        }
        st = PQconnectPoll(db->conn);
    }
    uv_timer_stop(&db->timer);
    PQsetNoticeProcessor(db->conn, on_notice, db);
    if (PQsetnonblocking(db->conn, 1) != 0) {
        connect_fail(db, PQerrorMessage(db->conn), e);
        goto out;
    }
    ret = 0;
out:
    free(norm);
    return ret;
}

void pg_close(struct pg *db)
{
    if (!db)
        return;
    /* handles first: libuv must stop watching the fd before libpq closes it */
    poll_close(db);
    if (db->timer_open) {
        db->timer_open = 0;
        db->closing++;
        uv_close((uv_handle_t *)&db->timer, on_closed);
        while (db->closing > 0)
            uv_run(db->loop, UV_RUN_NOWAIT);
    }
    if (db->conn)
        PQfinish(db->conn);
    db->conn = NULL;
}

/* ---- failing statement of a script ---- */

/* Find the statement of the script that holds byte offset `at` (when
 * at >= 0; past the last one: the last) or else the index-th non-empty
 * statement, as sql_split.h cuts them.  Sets [*start, *end). */
static int stmt_find(const char *s, long at, size_t index, size_t *start, size_t *end)
{
    struct sql_span *spans;
    size_t n, hit = SIZE_MAX;

    if (sql_split_spans(s, &spans, &n) < 0)
        return -1;
    for (size_t i = 0; i < n && hit == SIZE_MAX; i++)
        if (at >= 0 ? (size_t)at <= spans[i].end : i == index)
            hit = i;
    if (hit == SIZE_MAX && at >= 0 && n > 0)
        hit = n - 1;
    if (hit != SIZE_MAX) {
        *start = spans[hit].start;
        *end = spans[hit].end;
    }
    free(spans);
    return hit == SIZE_MAX ? -1 : 0;
}

/* PostgreSQL's position counts characters; the client encoding is
 * assumed UTF-8 (ASCII scripts are exact either way). */
static long char_to_byte(const char *s, long pos)
{
    long chars = 0;
    long i;

    for (i = 0; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (chars == pos)
                return i;
            chars++;
        }
    }
    return i;
}

/* Copy s[start,end) to buf with whitespace runs folded to one space,
 * trimmed and cut at PG_STMT_SHOWN bytes on a character boundary.
 * Returns the 1-based character position in buf of byte `at` of s (0 when
 * at is outside or cut off). */
static long stmt_show(const char *s, size_t start, size_t end, long at, char *buf,
                      size_t size)
{
    size_t n = 0;
    long chars = 0, shown_at = 0;
    int space = 0;

    for (size_t i = start; i < end && n + 4 < size; i++) {
        if (isspace((unsigned char)s[i])) {
            space = n > 0;
            continue;
        }
        if (n >= PG_STMT_SHOWN && ((unsigned char)s[i] & 0xC0) != 0x80) {
            memcpy(buf + n, "...", 3);
            n += 3;
            break;
        }
        if (space) {
            buf[n++] = ' ';
            chars++;
        }
        space = 0;
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            chars++;
        if ((long)i == at)
            shown_at = chars;
        buf[n++] = s[i];
    }
    buf[n] = '\0';
    return shown_at;
}

/* Fill *e from an error result of `sql`, whose statement number
 * `ok_before` (successful results before it) failed.  `offset`: the
 * characters sent in front of `sql` in the same message (a lead), which
 * the server's position counts and `sql` does not hold. */
static int result_error(struct pg *db, const PGresult *res, const char *sql,
                        size_t ok_before, long offset, struct err *e)
{
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *pos_field = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
    long pos = pos_field ? strtol(pos_field, NULL, 10) - offset : 0;
    char shown[PG_STMT_SHOWN + 8];
    size_t start = 0, end = 0;
    long at = -1;

    if (!msg)
        msg = PQresultErrorMessage(res);
    if (!msg || !*msg)
        msg = PQerrorMessage(db->conn);
    if (pos > 0)
        at = char_to_byte(sql, pos - 1);
    if (!sql || stmt_find(sql, at, ok_before, &start, &end) < 0) {
        err_set(e, ERR_FAIL, "%s (SQLSTATE %s)", msg, state ? state : "none");
    } else {
        long shown_at = stmt_show(sql, start, end, at, shown, sizeof(shown));

        if (shown_at > 0)
            err_set(e, ERR_FAIL, "%s (SQLSTATE %s) at character %ld of statement \"%s\"", msg,
                    state ? state : "none", shown_at, shown);
        else
            err_set(e, ERR_FAIL, "%s (SQLSTATE %s) in statement \"%s\"", msg,
                    state ? state : "none", shown);
    }
    err_sqlstate(e, state);
    err_server_fields(e, PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL),
                      PQresultErrorField(res, PG_DIAG_MESSAGE_HINT),
                      PQresultErrorField(res, PG_DIAG_CONTEXT), pos > 0 ? (int)pos : 0);
    return -1;
}

/* ---- running statements ---- */

static int conn_lost(struct pg *db, struct err *e)
{
    err_set(e, ERR_FAIL, "connection lost: %s", PQerrorMessage(db->conn));
    err_sqlstate(e, "08006");
    return -1;
}

/* PQsendQuery* refused: the connection is gone, or a plugin left a
 * query of its own unfinished on op_pgconn(). */
static int send_failed(struct pg *db, struct err *e)
{
    if (PQstatus(db->conn) == CONNECTION_BAD)
        return conn_lost(db, e);
    return err_set(e, ERR_FAIL, "cannot send the statement: %s", PQerrorMessage(db->conn));
}

/* Push the query out: in non-blocking mode PQflush may need the socket
 * writable (and input read meanwhile, or the server may stall). */
static int flush(struct pg *db, struct err *e)
{
    int r;

    while ((r = PQflush(db->conn)) > 0) {
        if (io_wait(db, UV_READABLE | UV_WRITABLE, 0, e) < 0)
            return -1;
        if (!PQconsumeInput(db->conn))
            return conn_lost(db, e);
    }
    return r < 0 ? conn_lost(db, e) : 0;
}

static int rows_copy(const PGresult *res, struct pg_rows *out)
{
    size_t rows = (size_t)PQntuples(res);
    size_t cols = (size_t)PQnfields(res);

    pg_rows_release(out);
    if (rows * cols == 0) {
        out->n_cols = cols;
        return 0;
    }
    out->cells = calloc(rows * cols, sizeof(*out->cells));
    if (!out->cells)
        return -1;
    out->n_rows = rows;
    out->n_cols = cols;
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++) {
            if (PQgetisnull(res, (int)r, (int)c))
                continue;
            out->cells[r * cols + c] = strdup(PQgetvalue(res, (int)r, (int)c));
            if (!out->cells[r * cols + c])
                return -1;
        }
    }
    return 0;
}

/* What one query put on the wire holds: `sql`, with a lead's `n_lead`
 * statements (`lead`, `offset` characters and a ';') in front of it in
 * the same message (pg_exec), or nothing in front. */
struct sent {
    const char *sql;
    const char *lead;           /* NULL: no lead in this message */
    size_t n_lead;
    long offset;
};

/* Read every result of one query; the first error wins.  In pipeline
 * mode a query that was not run because an earlier one failed reports
 * PGRES_PIPELINE_ABORTED: a failure, whose cause *e already holds.  With
 * `each`, statement i's rows go to each[i] (i < n_each) instead of the
 * last statement's to `out`, and *n_ok counts the statements that
 * succeeded (pg_exec_results()). */
static int collect_into(struct pg *db, const struct sent *q, struct pg_rows *out,
                        long *n_affected, struct pg_rows *each, size_t n_each, size_t *n_ok,
                        struct err *e)
{
    size_t ok = 0, lead_ok = 0;
    int failed = 0;
    PGresult *res;

    for (;;) {
        while (PQisBusy(db->conn)) {
            if (io_wait(db, UV_READABLE, 0, e) < 0) {
                failed = -1;
                goto out;
            }
            if (!PQconsumeInput(db->conn)) {
                failed = failed ? -1 : conn_lost(db, e);
                goto out;
            }
        }
        res = PQgetResult(db->conn);
        if (!res)
            break;
        switch (PQresultStatus(res)) {
        case PGRES_COMMAND_OK:
        case PGRES_TUPLES_OK:
        case PGRES_SINGLE_TUPLE:
            if (lead_ok < q->n_lead) {
                lead_ok++;          /* the lead's own: not a statement of sql */
                break;
            }
            if (!failed) {
                struct pg_rows *dst = each ? (ok < n_each ? &each[ok] : NULL) : out;

                if (dst && rows_copy(res, dst) < 0)
                    failed = err_set(e, ERR_FAIL, "out of memory");
                else
                    ok++;
                if (n_affected)
                    *n_affected = strtol(PQcmdTuples(res), NULL, 10);
            }
            break;
        case PGRES_EMPTY_QUERY:
            break;
        case PGRES_PIPELINE_ABORTED:
            failed = -1;
            break;
        case PGRES_COPY_IN:
            PQputCopyEnd(db->conn, "COPY FROM STDIN is not supported by runner");
            break;
        case PGRES_COPY_OUT: {
            char *buf;

            while (PQgetCopyData(db->conn, &buf, 0) > 0)
                PQfreemem(buf);
            break;
        }
        default:
            if (!failed && lead_ok < q->n_lead)
                result_error(db, res, q->lead, lead_ok, 0, e);
            else if (!failed)
                result_error(db, res, q->sql, ok, q->offset, e);
            failed = -1;
            break;
        }
        PQclear(res);
        if (PQstatus(db->conn) == CONNECTION_BAD) {
            failed = failed ? -1 : conn_lost(db, e);
            goto out;
        }
    }
out:
    if (n_ok)
        *n_ok = ok;
    return failed ? -1 : 0;
}

static int collect(struct pg *db, const struct sent *q, struct pg_rows *out, long *n_affected,
                   struct err *e)
{
    return collect_into(db, q, out, n_affected, NULL, 0, NULL, e);
}

int pg_cancel(struct pg *db, struct err *e)
{
    char buf[256];
    PGcancel *c;
    int ok;

    if (!db || !db->conn)
        return 0;
    c = PQgetCancel(db->conn);
    if (!c)
        return err_set(e, ERR_FAIL, "cannot cancel: no connection");
    ok = PQcancel(c, buf, sizeof(buf));
    PQfreeCancel(c);
    if (!ok)
        return err_set(e, ERR_FAIL, "cannot cancel the statement: %s", buf);
    return 0;
}

int pg_poll_interrupt(struct pg *db)
{
    if (!db || !db->loop)
        return 0;
    uv_run(db->loop, UV_RUN_NOWAIT);
    return stopped(db);
}

static void on_backstop(uv_timer_t *t)
{
    struct pg *db = t->data;
    struct err ignored = ERR_INIT;

    db->backstop_fired = 1;
    pg_cancel(db, &ignored);
}

/* Before sending: refuse when interrupted; arm the backstop timer. */
static int stmt_begin(struct pg *db, struct err *e)
{
    if (!db || !db->conn)
        return err_set(e, ERR_FAIL, "not connected");
    if (pg_poll_interrupt(db)) {
        err_set(e, ERR_FAIL, "interrupted");
        err_sqlstate(e, "57014");
        return -1;
    }
    db->backstop_fired = 0;
    if (db->backstop_ms > 0 && db->timer_open) {
        db->timer.data = db;
        uv_timer_start(&db->timer, on_backstop, db->backstop_ms, 0);
    }
    return 0;
}

static int stmt_end(struct pg *db, int rc, struct err *e)
{
    if (db->backstop_ms > 0 && db->timer_open)
        uv_timer_stop(&db->timer);
    if (rc < 0 && db->backstop_fired)
        err_prefix(e, "statement timeout (cancelled by runner after %.1f s)",
                   (double)db->backstop_ms / 1000.0);
    return rc;
}

int pg_lead(struct pg *db, const char *sql, struct err *e)
{
    size_t have = strlen(db->lead), add = strlen(sql);

    if (have + add + 2 > sizeof(db->lead))
        return err_set(e, ERR_FAIL, "too many statements queued in front of the next one");
    if (have)
        db->lead[have++] = ';';
    memcpy(db->lead + have, sql, add + 1);
    db->n_lead++;
    return 0;
}

int pg_lead_pending(const struct pg *db)
{
    return db && db->lead[0] != '\0';
}

void pg_lead_drop(struct pg *db)
{
    db->lead[0] = '\0';
    db->n_lead = 0;
}

int pg_lead_flush(struct pg *db, struct err *e)
{
    char lead[PG_LEAD_SIZE];

    if (!pg_lead_pending(db))
        return 0;
    memcpy(lead, db->lead, sizeof(lead));
    pg_lead_drop(db);
    return pg_exec(db, lead, e);
}

void pg_trail(struct pg *db, const char *sql)
{
    db->trail = sql;
    db->trail_state = PG_TRAIL_NONE;
}

int pg_exec(struct pg *db, const char *sql, struct err *e)
{
    struct sent q = { sql, NULL, 0, 0 };
    char lead[PG_LEAD_SIZE];
    char *joined = NULL;
    int rc;

    if (stmt_begin(db, e) < 0)
        return -1;
    db->trail = NULL;
    if (pg_lead_pending(db)) {
        /* one message: the server's positions count the lead and the ';' */
        memcpy(lead, db->lead, sizeof(lead));
        q.lead = lead;
        q.n_lead = db->n_lead;
        q.offset = (long)strlen(lead) + 1;      /* ASCII: characters are bytes */
        pg_lead_drop(db);
        if (asprintf(&joined, "%s;%s", lead, sql) < 0)
            return stmt_end(db, err_set(e, ERR_FAIL, "out of memory"), e);
    }
    if (!PQsendQuery(db->conn, joined ? joined : sql)) {
        free(joined);
        return stmt_end(db, send_failed(db, e), e);
    }
    free(joined);
    if (flush(db, e) < 0)
        return stmt_end(db, -1, e);
    rc = collect(db, &q, NULL, NULL, e);
    return stmt_end(db, rc, e);
}

/* Read and drop results up to the pipeline's sync.  -1: the connection
 * failed first. */
static int drain_to_sync(struct pg *db, struct err *scratch)
{
    for (int nulls = 0; nulls < 2;) {
        PGresult *res;
        int sync;

        while (PQisBusy(db->conn))
            if (io_wait(db, UV_READABLE, 0, scratch) < 0 || !PQconsumeInput(db->conn))
                return -1;
        res = PQgetResult(db->conn);
        if (!res) {
            nulls++;
            continue;
        }
        nulls = 0;
        sync = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
        PQclear(res);
        if (sync)
            return 0;
        if (PQstatus(db->conn) == CONNECTION_BAD)
            return -1;
    }
    return 0;
}

/* The results of the pipeline's next query, `sql`: its failure goes to
 * *e if it is the first (*failed still 0), else to *later.  Returns that
 * query's 0 / -1; *gone: the connection is lost (the caller stops). */
static int pipe_collect(struct pg *db, const char *sql, struct pg_rows *out, long *n_affected,
                        int *failed, int *gone, struct err *e, struct err *later)
{
    struct sent q = { sql, NULL, 0, 0 };
    int rc = collect(db, &q, out, n_affected, *failed ? later : e);

    if (rc < 0)
        *failed = 1;
    *gone = PQstatus(db->conn) == CONNECTION_BAD;
    return rc;
}

/* One round trip through libpq's pipeline mode: the lead's statements,
 * the statement (prepared `name`, or `sql` with parameters), the trail,
 * one sync.  After the first failure the server skips the rest up to the
 * sync (libpq reports them aborted): a failed lead leaves the statement
 * unrun, a failed statement the trail. */
static int pipeline(struct pg *db, const char *name, int prepare, const char *sql,
                    int n_params, const char *const *params, struct pg_rows *out,
                    long *n_affected, struct err *e)
{
    char lead[PG_LEAD_SIZE];
    const char *stmts[PG_LEAD_SIZE / 2];
    size_t n_stmts = 0;
    const char *trail = db->trail;
    struct err later = ERR_INIT;    /* what the queries after a failure report */
    char *save = NULL;
    int failed = 0, gone = 0, rc;

    memcpy(lead, db->lead, sizeof(lead));
    pg_lead_drop(db);
    db->trail = NULL;
    for (char *t = strtok_r(lead, ";", &save); t; t = strtok_r(NULL, ";", &save))
        stmts[n_stmts++] = t;
    if (!PQenterPipelineMode(db->conn))
        return send_failed(db, e);
    for (size_t i = 0; i < n_stmts; i++)
        if (!PQsendQueryParams(db->conn, stmts[i], 0, NULL, NULL, NULL, NULL, 0))
            goto send_fail;
    if (prepare && !PQsendPrepare(db->conn, name, sql, n_params, NULL))
        goto send_fail;
    if (name ? !PQsendQueryPrepared(db->conn, name, n_params, params, NULL, NULL, 0)
             : !PQsendQueryParams(db->conn, sql, n_params, NULL, params, NULL, NULL, 0))
        goto send_fail;
    if (trail && !PQsendQueryParams(db->conn, trail, 0, NULL, NULL, NULL, NULL, 0))
        goto send_fail;
    if (!PQpipelineSync(db->conn))
        goto send_fail;
    if (flush(db, e) < 0)
        return -1;
    for (size_t i = 0; i < n_stmts && !gone; i++)
        pipe_collect(db, stmts[i], NULL, NULL, &failed, &gone, e, &later);
    if (prepare && !gone && pipe_collect(db, sql, NULL, NULL, &failed, &gone, e, &later) == 0)
        db->reused[db->n_reused++] = hash_fnv1a64(sql);
    if (!gone)
        pipe_collect(db, sql, out, n_affected, &failed, &gone, e, &later);
    if (trail && !gone) {
        int before = failed;

        rc = pipe_collect(db, trail, NULL, NULL, &failed, &gone, e, &later);
        db->trail_state = before ? PG_TRAIL_SKIPPED : rc < 0 ? PG_TRAIL_FAILED : PG_TRAIL_DONE;
    }
    if (gone)
        return -1;
    /* the sync's own result, then out of pipeline mode */
    if (drain_to_sync(db, &later) < 0)
        return failed ? -1 : conn_lost(db, e);
    if (!PQexitPipelineMode(db->conn) && !failed)
        return err_set(e, ERR_FAIL, "cannot leave pipeline mode: %s", PQerrorMessage(db->conn));
    return failed ? -1 : 0;
send_fail:
    send_failed(db, e);
    if (PQstatus(db->conn) != CONNECTION_BAD) {
        /* nothing was flushed: drop what was queued */
        PQpipelineSync(db->conn);
        flush(db, &later);
        drain_to_sync(db, &later);
        PQexitPipelineMode(db->conn);
    }
    return -1;
}

/* The extended protocol's one statement; with a lead or a trail queued,
 * they share its round trip. */
static int extended(struct pg *db, const char *name, const char *sql, int n_params,
                    const char *const *params, struct pg_rows *out, long *n_affected,
                    struct err *e)
{
    struct sent q = { sql, NULL, 0, 0 };
    int ok;

    if (stmt_begin(db, e) < 0)
        return -1;
    if (pg_lead_pending(db) || db->trail)
        return stmt_end(db, pipeline(db, name, 0, sql, n_params, params, out, n_affected, e),
                        e);
    ok = name ? PQsendQueryPrepared(db->conn, name, n_params, params, NULL, NULL, 0)
              : PQsendQueryParams(db->conn, sql, n_params, NULL, params, NULL, NULL, 0);
    if (!ok)
        return stmt_end(db, send_failed(db, e), e);
    if (flush(db, e) < 0)
        return stmt_end(db, -1, e);
    return stmt_end(db, collect(db, &q, out, n_affected, e), e);
}

int pg_query(struct pg *db, const char *sql, int n_params, const char *const *params,
             struct pg_rows *out, long *n_affected, struct err *e)
{
    return extended(db, NULL, sql, n_params, params, out, n_affected, e);
}

int pg_query_reused(struct pg *db, const char *sql, int n_params, const char *const *params,
                    struct pg_rows *out, long *n_affected, struct err *e)
{
    uint64_t h = hash_fnv1a64(sql);
    char name[48];

    if (!db->reuse_plans)
        return pg_query(db, sql, n_params, params, out, n_affected, e);
    snprintf(name, sizeof(name), "runner_r%016" PRIx64 "_%u", h, db->reuse_gen);
    for (size_t i = 0; i < db->n_reused; i++)
        if (db->reused[i] == h) {
            int ret = extended(db, name, sql, n_params, params, out, n_affected, e);

            if (ret < 0 && strcmp(e->sqlstate, "26000") == 0)
                pg_forget_reused(db);   /* dropped unseen: the next run prepares anew */
            return ret;
        }
    if (db->n_reused == PG_REUSED_MAX)
        return pg_query(db, sql, n_params, params, out, n_affected, e);
    /* first use: Parse (named) and the execution in one round trip */
    if (stmt_begin(db, e) < 0)
        return -1;
    return stmt_end(db, pipeline(db, name, 1, sql, n_params, params, out, n_affected, e), e);
}

void pg_session_disturbed(struct pg *db)
{
    pg_forget_reused(db);
    db->disturbed = 1;
}

void pg_forget_reused(struct pg *db)
{
    if (db->n_reused == 0)
        return;
    db->n_reused = 0;
    db->reuse_gen++;
}

int pg_query_named(struct pg *db, const char *name, const char *sql, int n_params,
                   const char *const *params, struct pg_rows *out, struct err *e)
{
    return extended(db, name, sql, n_params, params, out, NULL, e);
}

int pg_exec_params(struct pg *db, const char *sql, int n_params, const char *const *params,
                   struct err *e)
{
    return pg_query(db, sql, n_params, params, NULL, NULL, e);
}

const char *pg_rows_get(const struct pg_rows *r, size_t row, size_t col)
{
    if (!r || row >= r->n_rows || col >= r->n_cols)
        return NULL;
    return r->cells[row * r->n_cols + col];
}

void pg_rows_release(struct pg_rows *r)
{
    if (!r)
        return;
    if (r->cells)
        for (size_t i = 0; i < r->n_rows * r->n_cols; i++)
            free(r->cells[i]);
    free(r->cells);
    r->cells = NULL;
    r->n_rows = r->n_cols = 0;
}

/* ---- a script's results, one per statement (versions_load.c) ---- */

int pg_exec_results(struct pg *db, const char *sql, struct pg_rows *outs, size_t n,
                    size_t *n_ok, struct err *e)
{
    struct sent q = { sql, NULL, 0, 0 };

    *n_ok = 0;
    /* the results are counted for `sql` alone: a queued lead goes first */
    if (pg_lead_flush(db, e) < 0)
        return -1;
    if (stmt_begin(db, e) < 0)
        return -1;
    if (!PQsendQuery(db->conn, sql))
        return stmt_end(db, send_failed(db, e), e);
    if (flush(db, e) < 0)
        return stmt_end(db, -1, e);
    return stmt_end(db, collect_into(db, &q, NULL, NULL, outs, n, n_ok, e), e);
}
