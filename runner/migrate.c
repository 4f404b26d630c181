/* migrate.c -- the executor; see migrate.h. */
#include "migrate.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "cli.h"
#include "loader.h"
#include "ops.h"
#include "pg.h"
#include "validate.h"
#include "versions.h"

static double now_epoch(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "a, b" from a metadata id list (alembic's format_as_comma). */
static void join_refs(char *buf, size_t size, const char (*ids)[RUNNER_ID_SIZE])
{
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < RUNNER_MAX_REFS && ids[i][0]; i++) {
        int w = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", ids[i]);

        if (w < 0 || (size_t)w >= size - len)
            return;
        len += (size_t)w;
    }
}

/* The words of alembic's MigrationStep.__str__: name, from, to, doc. */
struct step_words {
    const char *name;           /* "upgrade", "downgrade", "stamp_revision" */
    char from[RUNNER_MAX_REFS * (RUNNER_ID_SIZE + 2)];
    char to[RUNNER_MAX_REFS * (RUNNER_ID_SIZE + 2)];
    const char *doc;            /* borrowed from the graph; "" for stamps */
};

static void step_describe(const struct step *s, int stamp, struct step_words *w)
{
    char rev_refs[sizeof(w->from)];

    w->doc = "";
    if (stamp || !s->rev) {
        w->name = "stamp_revision";
        snprintf(w->from, sizeof(w->from), "%s", s->from ? s->from : "");
        snprintf(w->to, sizeof(w->to), "%s", s->to ? s->to : "");
        return;
    }
    join_refs(rev_refs, sizeof(rev_refs), s->rev->meta.down_revision);
    w->doc = s->rev->meta.message;
    if (s->upgrade) {
        w->name = "upgrade";
        snprintf(w->from, sizeof(w->from), "%s", rev_refs);
        snprintf(w->to, sizeof(w->to), "%s", s->rev->id);
    } else {
        w->name = "downgrade";
        snprintf(w->from, sizeof(w->from), "%s", s->rev->id);
        snprintf(w->to, sizeof(w->to), "%s", rev_refs);
    }
}

/* "Running upgrade ae10 -> 27c6, Add users table (12 ms)" */
static void log_step(const struct migrate_opts *o, const struct step_words *w, long long ms)
{
    if (!o->log)
        return;
    fprintf(o->log, "Running %s %s -> %s%s%s", w->name, w->from, w->to, *w->doc ? ", " : "",
            w->doc);
    if (ms >= 0)
        fprintf(o->log, " (%lld ms)", ms);
    fputc('\n', o->log);
    fflush(o->log);
}

static const char *rev_file(const struct rev *r)
{
    return r->path && *r->path ? r->path : "(no file)";
}

/* Append " (<note>)" to a message, staying within its buffer. */
static void err_note(struct err *e, const char *note)
{
    size_t n = strlen(e->msg);

    snprintf(e->msg + n, sizeof(e->msg) - n, " (%s)", note);
}

/* After a failure: roll back, then record the failed attempt in its own
 * transaction (best effort: the connection may be gone). */
static void after_failure(struct pg *db, const struct versions *v, int rollback,
                          int record, const struct history_row *h)
{
    struct err ignored = ERR_INIT;

    if (rollback && pg_exec(db, "ROLLBACK", &ignored) < 0)
        return;
    if (record)
        versions_record(v, db, h, &ignored);
}

/* One upgrade/downgrade step.  in_tx: an outer transaction is open
 * (--single-transaction), so neither BEGIN nor COMMIT here. */
static int run_step(struct pg *db, const struct versions *v, const struct step *s,
                    const struct migrate_opts *o, int in_tx, struct err *e)
{
    const struct rev *r = s->rev;
    int autocommit = (r->meta.flags & RUNNER_NO_TRANSACTION) != 0;
    int open_tx = 0;                /* we began a transaction that is still open */
    struct plugin pl = { 0 };
    struct op_state st;
    struct step_words w;
    struct history_row h = { r->id, s->upgrade ? "upgrade" : "downgrade",
                             r->meta.source_sha256, now_epoch(), 0, 0 };
    uint64_t t0 = uv_hrtime();
    int rc;

    step_describe(s, 0, &w);
    if (!in_tx && !autocommit) {
        if (pg_exec(db, "BEGIN", e) < 0)
            goto fail;
        open_tx = 1;
    }
    if (plugin_open(&pl, r->path, r->id, e) < 0)
        goto fail;
    ops_init(&st, db, r->id, rev_file(r));
    rc = s->upgrade ? pl.upgrade(&st.head) : pl.downgrade(&st.head);
    plugin_close(&pl);
    if (st.err.code != ERR_OK) {
        *e = st.err;                /* already "revision <id> (<file>): op_x: ..." */
        goto fail;
    }
    if (rc != 0) {
        err_set(e, ERR_FAIL, "revision %s (%s): %s returned %d", r->id, rev_file(r), w.name,
                rc);
        goto fail;
    }
    /* a non-transactional revision: its version update commits right after it */
    if (!in_tx && autocommit) {
        if (pg_exec(db, "BEGIN", e) < 0)
            goto fail;
        open_tx = 1;
    }
    h.duration_ms = (long long)((uv_hrtime() - t0) / 1000000);
    h.success = 1;
    if (versions_step_done(v, db, s, &h, e) < 0) {
        err_prefix(e, "revision %s (%s)", r->id, rev_file(r));
        goto fail;
    }
    if (open_tx) {
        if (pg_exec(db, "COMMIT", e) < 0) {
            err_prefix(e, "revision %s (%s): commit", r->id, rev_file(r));
            open_tx = 0;            /* a failed COMMIT ends the transaction */
            goto fail;
        }
        open_tx = 0;
    }
    log_step(o, &w, (long long)((uv_hrtime() - t0) / 1000000));
    return 0;
fail:
    h.duration_ms = (long long)((uv_hrtime() - t0) / 1000000);
    h.success = 0;
    if (autocommit && !in_tx)
        err_note(e, "the revision runs outside a transaction: statements before the failure "
                    "stay applied, the version table is unchanged");
    after_failure(db, v, open_tx, !in_tx, &h);
    return -1;
}

int migrate_steps(struct pg *db, const struct versions *v, const struct plan *p,
                  const struct migrate_opts *o, struct err *e)
{
    for (size_t i = 0; i < p->n_steps; i++)
        if (run_step(db, v, &p->steps[i], o, o->single_transaction, e) < 0)
            return -1;
    return 0;
}

/* Stamp: version-table changes only, one transaction (or the outer one). */
static int stamp_steps(struct pg *db, const struct versions *v, const struct plan *p,
                       const struct migrate_opts *o, int in_tx, struct err *e)
{
    struct err ignored = ERR_INIT;

    if (!in_tx && pg_exec(db, "BEGIN", e) < 0)
        return -1;
    if (o->purge && versions_purge(v, db, e) < 0)
        goto fail;
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct step *s = &p->steps[i];
        struct step_words w;
        struct history_row h = { s->to ? s->to : s->from, "stamp", NULL, now_epoch(), 0, 1 };

        step_describe(s, 1, &w);
        if (versions_apply(v, db, s, e) < 0)
            goto fail;
        if (h.revision && versions_record(v, db, &h, e) < 0)
            goto fail;
        log_step(o, &w, -1);
    }
    if (!in_tx && pg_exec(db, "COMMIT", e) < 0)
        return -1;
    return 0;
fail:
    if (!in_tx)
        pg_exec(db, "ROLLBACK", &ignored);
    return -1;
}

/* ---- offline ---- */

int migrate_render(const struct versions *v, const struct plan *p, size_t n_heads,
                   const struct migrate_opts *o, struct err *e)
{
    FILE *out = o->out ? o->out : stdout;
    int stamp = o->kind == MIGRATE_STAMP;
    long heads = (long)n_heads;

    fputs("BEGIN;\n\n", out);
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct step *s = &p->steps[i];
        int autocommit = s->rev && !stamp && (s->rev->meta.flags & RUNNER_NO_TRANSACTION);
        struct step_words w;

        step_describe(s, stamp, &w);
        /* alembic: for offline mode, include a CREATE TABLE from the base */
        if (heads == 0)
            versions_render_create(v, out);
        log_step(o, &w, -1);
        fprintf(out, "-- Running %s %s -> %s\n\n", w.name, w.from, w.to);
        if (!stamp) {
            struct plugin pl = { 0 };
            struct op_state st;
            int rc;

            if (autocommit)
                fputs("COMMIT;\n\n", out);
            if (plugin_open(&pl, s->rev->path, s->rev->id, e) < 0)
                return -1;
            ops_sql_init(&st, out, s->rev->id, rev_file(s->rev));
            rc = s->upgrade ? pl.upgrade(&st.head) : pl.downgrade(&st.head);
            plugin_close(&pl);
            if (st.err.code != ERR_OK) {
                *e = st.err;
                return -1;
            }
            if (rc != 0)
                return err_set(e, ERR_FAIL, "revision %s (%s): %s returned %d", s->rev->id,
                               rev_file(s->rev), w.name, rc);
            if (autocommit)
                fputs("BEGIN;\n\n", out);
        }
        versions_render_step(v, out, s);
        switch (s->vt) {
        case VT_INSERT:
            heads++;
            break;
        case VT_DELETE:
            heads--;
            break;
        case VT_MERGE:
            heads -= (long)s->n_del;
            break;
        case VT_UNMERGE:
            heads += (long)s->n_ins;
            break;
        case VT_UPDATE:
            break;
        }
    }
    /* alembic: a run that ends at base drops the version table */
    if (heads == 0)
        versions_render_drop(v, out);
    fputs("COMMIT;\n\n", out);
    if (fflush(out) != 0)
        return err_set(e, ERR_FAIL, "cannot write the sql output");
    return 0;
}

/* Start heads of an offline range "a:b" (or none): ids owned by the graph. */
static int offline_start(const struct graph *g, const char *start, const char ***ids,
                         size_t *n, struct err *e)
{
    const struct rev **revs = NULL;
    size_t n_revs = 0;

    *ids = NULL;
    *n = 0;
    if (!start || !*start || strcmp(start, "base") == 0)
        return 0;
    if (graph_resolve(g, start, NULL, 0, &revs, &n_revs, e) < 0)
        return -1;
    if (n_revs > 0) {
        *ids = calloc(n_revs, sizeof(**ids));
        if (!*ids) {
            free(revs);
            return err_set(e, ERR_FAIL, "out of memory");
        }
        for (size_t i = 0; i < n_revs; i++)
            (*ids)[i] = revs[i]->id;
    }
    *n = n_revs;
    free(revs);
    return 0;
}

static int plan_for(const struct graph *g, const struct migrate_opts *o,
                    const char *const *heads, size_t n, const char *target, struct plan *p,
                    struct err *e)
{
    switch (o->kind) {
    case MIGRATE_UPGRADE:
        return graph_plan_upgrade(g, heads, n, target, p, e);
    case MIGRATE_DOWNGRADE:
        return graph_plan_downgrade(g, heads, n, target, p, e);
    case MIGRATE_STAMP:
        return graph_plan_stamp(g, heads, n, target, p, e);
    }
    return err_set(e, ERR_FAIL, "unknown migration kind");
}

static int run_offline(struct ctx *ctx, const struct versions *v, const struct migrate_opts *o,
                       struct err *e)
{
    const char *colon = strchr(o->target, ':');
    char *start = NULL;
    const char *target = o->target;
    const char **heads = NULL;
    size_t n = 0;
    struct plan p = { 0 };
    int ret = -1;

    if (o->purge)
        return err_set(e, ERR_USAGE, "Can't use --purge with --sql mode");
    if (colon) {
        start = strndup(o->target, (size_t)(colon - o->target));
        if (!start)
            return err_set(e, ERR_FAIL, "out of memory");
        target = colon + 1;
    } else if (o->kind == MIGRATE_DOWNGRADE) {
        return err_set(e, ERR_USAGE, "downgrade with --sql requires <fromrev>:<torev>");
    }
    if (offline_start(ctx->graph, start, &heads, &n, e) < 0)
        goto out;
    if (plan_for(ctx->graph, o, heads, n, target, &p, e) < 0)
        goto out;
    ret = migrate_render(v, &p, n, o, e);
out:
    plan_free(&p);
    free(heads);
    free(start);
    return ret;
}

static int has_autocommit(const struct plan *p, const struct rev **which)
{
    for (size_t i = 0; i < p->n_steps; i++) {
        if (p->steps[i].rev && (p->steps[i].rev->meta.flags & RUNNER_NO_TRANSACTION)) {
            *which = p->steps[i].rev;
            return 1;
        }
    }
    return 0;
}

static int run_online(struct ctx *ctx, const struct versions *v, const struct migrate_opts *o,
                      struct err *e)
{
    uv_loop_t loop;
    struct pg db = PG_INIT;
    char **heads = NULL;
    size_t n = 0;
    struct plan p = { 0 };
    const struct rev *r = NULL;
    struct err ignored = ERR_INIT;
    int in_tx = 0;
    int ret = -1;
    int rc = uv_loop_init(&loop);

    if (rc < 0)
        return err_set(e, ERR_FAIL, "cannot start the event loop: %s", uv_strerror(rc));
    if (pg_open(&db, &loop, ctx->cfg.url, e) < 0)
        goto out;
    db.show_notices = ctx->verbose > 0;
    if (!(o->kind == MIGRATE_STAMP && o->purge)) {
        if (versions_read(v, &db, &heads, &n, e) < 0)
            goto out;
        if (versions_check_known(ctx->graph, heads, n, e) < 0)
            goto out;
        if (o->kind == MIGRATE_UPGRADE && !o->ignore_checksums &&
            validate_before_upgrade(&db, v, ctx->graph, heads, n, e) < 0)
            goto out;
    }
    if (plan_for(ctx->graph, o, (const char *const *)heads, n, o->target, &p, e) < 0)
        goto out;
    if (o->single_transaction && o->kind != MIGRATE_STAMP && has_autocommit(&p, &r)) {
        err_set(e, ERR_USAGE,
                "revision %s (%s) runs outside a transaction and cannot be part of "
                "--single-transaction",
                r->id, rev_file(r));
        goto out;
    }
    if (o->single_transaction) {
        if (pg_exec(&db, "BEGIN", e) < 0)
            goto out;
        in_tx = 1;
    }
    if (versions_ensure(v, &db, e) < 0)
        goto out;
    if (o->kind == MIGRATE_STAMP)
        rc = stamp_steps(&db, v, &p, o, in_tx, e);
    else
        rc = migrate_steps(&db, v, &p, o, e);
    if (rc < 0)
        goto out;
    if (in_tx) {
        in_tx = 0;
        if (pg_exec(&db, "COMMIT", e) < 0)
            goto out;
    }
    ret = 0;
out:
    if (in_tx)
        pg_exec(&db, "ROLLBACK", &ignored);
    plan_free(&p);
    versions_ids_free(heads, n);
    pg_close(&db);
    uv_loop_close(&loop);
    return ret;
}

int migrate(struct ctx *ctx, const struct migrate_opts *o, struct err *e)
{
    struct versions v = VERSIONS_INIT;
    int ret;

    if (!ctx->graph)
        return err_set(e, ERR_FAIL, "no revision graph");
    if (versions_init(&v, &ctx->cfg, e) < 0)
        return -1;
    ret = o->sql ? run_offline(ctx, &v, o, e) : run_online(ctx, &v, o, e);
    versions_release(&v);
    return ret;
}
