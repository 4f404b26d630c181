/* roundtrip.c -- the walk of `runner test` (see roundtrip.h). */
#include "roundtrip.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "loader.h"
#include "migrate.h"
#include "ops.h"
#include "pg.h"
#include "snapshot.h"
#include "versions.h"

#define MAX_DIFFS 8     /* differences named per check; then "and N more" */

/* One run's state, passed along instead of living in globals. */
struct walk {
    struct pg *db;
    const struct roundtrip_opts *o;
    struct roundtrip_report *r;
    struct snapshot_opts so;
};

static double seconds_since(uint64_t t0)
{
    return (double)(uv_hrtime() - t0) / 1e9;
}

/* ---- the one adapter to the migration machinery ----
 *
 * Everything that plans or executes goes through plan_to() and
 * run_step(), so that a change in migrate.h or graph.h touches two
 * functions. */

static int plan_to(struct walk *w, int upgrade, const char *target, struct plan *p,
                   struct err *e)
{
    char **heads = NULL;
    size_t n = 0;
    int ret;

    if (versions_read(w->o->versions, w->db, &heads, &n, e) < 0)
        return -1;
    ret = upgrade ? graph_plan_upgrade(w->o->graph, (const char *const *)heads, n, target, p, e)
                  : graph_plan_downgrade(w->o->graph, (const char *const *)heads, n, target, p,
                                         e);
    versions_ids_free(heads, n);
    return ret;
}

/* Run one step (its own transaction, version row and history row). */
static int run_step_observed(struct walk *w, const struct step *s,
                             const struct ops_observer *observer, struct err *e)
{
    struct plan one = { (struct step *)s, 1, NULL };
    struct migrate_opts mo = { .kind = s->upgrade ? MIGRATE_UPGRADE : MIGRATE_DOWNGRADE,
                               .observer = observer };

    return migrate_steps(w->db, w->o->versions, &one, &mo, e);
}

static int run_step(struct walk *w, const struct step *s, struct err *e)
{
    return run_step_observed(w, s, NULL, e);
}

/* The first upgrade of a revision, with the caller's watch around it. */
static int run_first_upgrade(struct walk *w, const struct step *s, struct err *e)
{
    const struct roundtrip_watch *wa = w->o->watch;
    int rc;

    if (!wa)
        return run_step(w, s, e);
    if (wa->before && wa->before(wa->arg, s->rev, e) < 0)
        return -1;
    rc = run_step_observed(w, s, wa->observer, e);
    if (wa->after)
        wa->after(wa->arg, s->rev, rc == 0);
    return rc;
}

static int run_plan(struct walk *w, const struct plan *p, struct err *e)
{
    for (size_t i = 0; i < p->n_steps; i++)
        if (run_step(w, &p->steps[i], e) < 0)
            return -1;
    return 0;
}

/* The step that undoes upgrade step s: the same revision's downgrade with
 * the inverse version-table effect (alembic's update_to_step backwards). */
static void inverse_step(const struct step *s, struct step *out)
{
    *out = *s;
    out->upgrade = 0;
    out->from = s->to;
    out->to = s->from;
    switch (s->vt) {
    case VT_UPDATE:
        break;
    case VT_INSERT:
        out->vt = VT_DELETE;
        out->from = s->to;
        out->to = NULL;
        break;
    case VT_DELETE:
        out->vt = VT_INSERT;
        out->to = s->from;
        out->from = NULL;
        break;
    case VT_MERGE:
        out->vt = VT_UNMERGE;
        out->ins = s->del;
        out->n_ins = s->n_del;
        out->del = NULL;
        out->n_del = 0;
        break;
    case VT_UNMERGE:
        out->vt = VT_MERGE;
        out->del = s->ins;
        out->n_del = s->n_ins;
        out->ins = NULL;
        out->n_ins = 0;
        break;
    }
}

/* ---- report ---- */

static struct roundtrip_case *add_case(struct walk *w, const char *kind, const char *name,
                                       const struct rev *rev)
{
    struct roundtrip_report *r = w->r;
    struct roundtrip_case *grown = realloc(r->cases, (r->n_cases + 1) * sizeof(*grown));
    struct roundtrip_case *c;

    if (!grown)
        return NULL;
    r->cases = grown;
    c = &r->cases[r->n_cases++];
    memset(c, 0, sizeof(*c));
    c->kind = kind;
    c->rev = rev;
    snprintf(c->name, sizeof(c->name), "%s", name);
    if (rev)
        r->n_revisions++;
    return c;
}

/* Settle a case: status, message (taken from *msg), time; tell the caller. */
static void end_case(struct walk *w, struct roundtrip_case *c, enum roundtrip_status st,
                     struct strbuf *msg, uint64_t t0)
{
    c->status = st;
    c->message = msg && msg->len ? strbuf_detach(msg) : NULL;
    if (msg)
        strbuf_release(msg);
    c->seconds = seconds_since(t0);
    if (st == ROUNDTRIP_FAIL)
        w->r->n_failed++;
    else if (st == ROUNDTRIP_SKIP)
        w->r->n_skipped++;
    if (w->o->on_case)
        w->o->on_case(w->o->arg, c);
}

static void add_note(struct strbuf *msg, const char *fmt, const char *text)
{
    if (msg->len)
        strbuf_adds(msg, "; ");
    strbuf_addf(msg, fmt, text);
}

/* A full snapshot into *s. */
static int take(struct walk *w, struct snapshot *s, struct err *e)
{
    uint64_t t0 = uv_hrtime();
    int rc;

    snapshot_release(s);
    rc = snapshot_take(w->db, &w->so, s, e);
    w->so.prepared |= rc == 0;
    w->r->snapshot_seconds += seconds_since(t0);
    w->r->n_snapshots++;
    w->r->n_full_snapshots++;
    return rc;
}

/* What changed since *base (incremental when the session is tracked and
 * the step ran in a transaction: a step outside one may have failed half
 * way, leaving what no DDL command reported as done, an invalid index). */
static int refresh(struct walk *w, const struct step *s, const struct snapshot *base,
                   struct snapshot_changes *ch, struct err *e)
{
    uint64_t t0 = uv_hrtime();
    int full = (s->rev->meta.flags & RUNNER_NO_TRANSACTION) != 0;
    int rc;

    snapshot_changes_release(ch);
    rc = snapshot_refresh(w->db, &w->so, base, full, ch, e);
    if (ch->lost)
        w->so.tracked = 0;
    w->so.prepared |= rc == 0;
    w->r->snapshot_seconds += seconds_since(t0);
    w->r->n_snapshots++;
    w->r->n_full_snapshots += ch->full;
    return rc;
}

/* *cur brought up to date after step s. */
static int update(struct walk *w, const struct step *s, struct snapshot *cur, struct err *e)
{
    struct snapshot_changes ch = SNAPSHOT_CHANGES_INIT;

    if (refresh(w, s, cur, &ch, e) < 0) {
        snapshot_changes_release(&ch);
        return -1;
    }
    return snapshot_apply(cur, &ch, e);
}

/* ---- data hooks: optional exported test_data() / test_verify() ---- */

/* Run hook `sym` of rev in its own transaction.  0 (also when the plugin
 * has no such symbol), or -1 with *e. */
static int run_hook(struct walk *w, const struct rev *rev, const char *sym, struct err *e)
{
    struct plugin pl = { 0 };
    struct op_state st;
    int (*fn)(runner_op *);
    struct err ignored = ERR_INIT;
    int rc;

    if (plugin_open_rev(&pl, rev, e) < 0)
        return -1;
    *(void **)&fn = dlsym(pl.handle, sym);
    if (!fn) {
        plugin_close(&pl);
        return 0;
    }
    if (pg_exec(w->db, "BEGIN", e) < 0) {
        plugin_close(&pl);
        return -1;
    }
    ops_init(&st, w->db, rev->id, rev->path);
    rc = fn(&st.head);
    plugin_close(&pl);
    if (st.err.code != ERR_OK) {
        *e = st.err;
    } else if (rc != 0) {
        err_set(e, ERR_FAIL, "%s returned %d", sym, rc);
    } else if (pg_exec(w->db, "COMMIT", e) == 0) {
        return 0;
    }
    pg_exec(w->db, "ROLLBACK", &ignored);
    return -1;
}

/* ---- the checks ---- */

static int same_set(const struct rev *const *heads, size_t n, const char *const *ids,
                    size_t n_ids)
{
    if (n != n_ids)
        return 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;

        while (k < n_ids && strcmp(heads[i]->id, ids[k]) != 0)
            k++;
        if (k == n_ids)
            return 0;
    }
    return 1;
}

static int check_graph(struct walk *w, struct err *e)
{
    const struct rev **heads = NULL;
    size_t n = 0, n_bad = 0;
    struct strbuf msg = STRBUF_INIT, list = STRBUF_INIT;
    struct roundtrip_case *c = add_case(w, "graph", "graph", NULL);
    uint64_t t0 = uv_hrtime();
    int fail = 0;

    if (!c)
        return err_set(e, ERR_FAIL, "out of memory");
    if (graph_real_heads(w->o->graph, &heads, &n, e) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        strbuf_addf(&list, "%s%s", i ? ", " : "", heads[i]->id);
    if (w->o->n_heads ? !same_set(heads, n, w->o->heads, w->o->n_heads) : n != 1) {
        fail = 1;
        if (n == 0)
            strbuf_adds(&msg, "no revisions");
        else if (w->o->n_heads)
            strbuf_addf(&msg, "heads are %s, declared %zu", strbuf_str(&list), w->o->n_heads);
        else
            strbuf_addf(&msg, "%zu heads (%s): merge them (runner merge) or declare them "
                        "with --head", n, strbuf_str(&list));
    }
    for (size_t i = 0; i < graph_count(w->o->graph); i++) {
        const struct rev *r = graph_at(w->o->graph, i);
        struct plugin pl = { 0 };
        struct err pe = ERR_INIT;

        if (plugin_open_rev(&pl, r, &pe) < 0) {
            fail = 1;
            if (n_bad++ < MAX_DIFFS)
                add_note(&msg, "%s", pe.msg);
            continue;
        }
        plugin_close(&pl);
    }
    if (!fail)
        strbuf_addf(&msg, "%zu revisions, head%s %s", graph_count(w->o->graph),
                    n == 1 ? "" : "s", strbuf_str(&list));
    strbuf_release(&list);
    free(heads);
    end_case(w, c, fail ? ROUNDTRIP_FAIL : ROUNDTRIP_OK, &msg, t0);
    return 0;
}

/* One revision: upgrade, downgrade, compare, upgrade again.  *stop is set
 * when the walk cannot go on (the revision is not applied). */
static int check_revision(struct walk *w, const struct step *s, struct snapshot *cur,
                          int *stop, struct err *e)
{
    struct roundtrip_case *c = add_case(w, "revision", s->rev->id, s->rev);
    struct snapshot_changes after = SNAPSHOT_CHANGES_INIT;
    struct strbuf msg = STRBUF_INIT;
    struct step back;
    struct err se = ERR_INIT;
    char what[64];
    uint64_t t0 = uv_hrtime();
    int fail = 0, ret = -1;

    if (!c)
        return err_set(e, ERR_FAIL, "out of memory");
    snprintf(what, sizeof(what), "downgrade of %s", s->rev->id);
    inverse_step(s, &back);
    if (run_hook(w, s->rev, "test_data", &se) < 0) {
        add_note(&msg, "test_data failed: %s", se.msg);
        fail = *stop = 1;
        goto done;
    }
    if (run_first_upgrade(w, s, &se) < 0) {
        add_note(&msg, "upgrade failed: %s", se.msg);
        fail = *stop = 1;
        goto done;
    }
    if (run_hook(w, s->rev, "test_verify", &se) < 0) {
        add_note(&msg, "test_verify after upgrade failed: %s", se.msg);
        fail = 1;
        err_clear(&se);
    }
    if (pg_poll_interrupt(w->db))
        goto interrupted;
    if (run_step(w, &back, &se) < 0) {
        /* still upgraded: the walk goes on from here */
        add_note(&msg, "downgrade failed: %s", se.msg);
        fail = 1;
        if (pg_poll_interrupt(w->db))
            goto interrupted;
        if (update(w, s, cur, e) < 0)
            goto out;
        goto done;
    }
    if (refresh(w, s, cur, &after, e) < 0)
        goto out;
    if (snapshot_diff_changes(cur, &after, what, MAX_DIFFS, &msg) > 0)
        fail = 1;
    /* the next comparison starts from what is there now */
    if (snapshot_apply(cur, &after, e) < 0)
        goto out;
    if (run_step(w, s, &se) < 0) {
        add_note(&msg, "upgrade after its downgrade failed: %s", se.msg);
        fail = *stop = 1;
        goto done;
    }
    if (run_hook(w, s->rev, "test_verify", &se) < 0) {
        add_note(&msg, "test_verify after downgrade and upgrade failed: %s", se.msg);
        fail = 1;
    }
    if (update(w, s, cur, e) < 0)
        goto out;
done:
    if (pg_poll_interrupt(w->db))
        goto interrupted;
    end_case(w, c, fail ? ROUNDTRIP_FAIL : ROUNDTRIP_OK, &msg, t0);
    ret = 0;
    goto out;
interrupted:
    err_set(e, ERR_FAIL, "interrupted during revision %s", s->rev->id);
    strbuf_reset(&msg);
    strbuf_adds(&msg, "interrupted");
    end_case(w, c, ROUNDTRIP_FAIL, &msg, t0);
out:
    strbuf_release(&msg);
    snapshot_changes_release(&after);
    return ret;
}

static void skip_rest(struct walk *w, const struct plan *p, size_t from)
{
    for (size_t i = from; i < p->n_steps; i++) {
        struct roundtrip_case *c = add_case(w, "revision", p->steps[i].rev->id, p->steps[i].rev);
        struct strbuf msg = STRBUF_INIT;

        if (!c)
            return;
        strbuf_adds(&msg, "not run: an earlier revision failed to upgrade");
        end_case(w, c, ROUNDTRIP_SKIP, &msg, uv_hrtime());
    }
}

static int check_models(struct walk *w, struct err *e)
{
    struct roundtrip_case *c = add_case(w, "models", "models", NULL);
    struct strbuf msg = STRBUF_INIT;
    uint64_t t0 = uv_hrtime();
    struct err me = ERR_INIT;
    int rc;

    if (!c)
        return err_set(e, ERR_FAIL, "out of memory");
    if (!w->o->check_at_head) {
        strbuf_adds(&msg, "no models plugin configured");
        end_case(w, c, ROUNDTRIP_SKIP, &msg, t0);
        return 0;
    }
    rc = w->o->check_at_head(w->o->arg, &msg, &me);
    if (rc < 0)
        add_note(&msg, "%s", me.msg);
    end_case(w, c, rc == 0 ? ROUNDTRIP_OK : ROUNDTRIP_FAIL, &msg, t0);
    return 0;
}

/* Down to where the walk started; the schema must be what it was then. */
static int check_downgrade(struct walk *w, const struct snapshot *start, struct err *e)
{
    const char *target = w->o->from ? w->o->from : "base";
    struct roundtrip_case *c;
    struct snapshot now = SNAPSHOT_INIT;
    struct strbuf msg = STRBUF_INIT;
    struct plan p = { 0 };
    struct err se = ERR_INIT;
    char name[80], what[96];
    uint64_t t0 = uv_hrtime();
    int fail = 0, ret = -1;

    snprintf(name, sizeof(name), "downgrade %s", target);
    snprintf(what, sizeof(what), "downgrade to %s", target);
    c = add_case(w, "downgrade", name, NULL);
    if (!c)
        return err_set(e, ERR_FAIL, "out of memory");
    if (plan_to(w, 0, target, &p, &se) < 0 || run_plan(w, &p, &se) < 0) {
        add_note(&msg, "%s", se.msg);
        fail = 1;
    } else {
        if (take(w, &now, e) < 0)
            goto out;
        if (snapshot_diff(start, &now, what, MAX_DIFFS, &msg) > 0)
            fail = 1;
    }
    if (pg_poll_interrupt(w->db)) {
        err_set(e, ERR_FAIL, "interrupted during %s", name);
        strbuf_reset(&msg);
        strbuf_adds(&msg, "interrupted");
        end_case(w, c, ROUNDTRIP_FAIL, &msg, t0);
        goto out;
    }
    end_case(w, c, fail ? ROUNDTRIP_FAIL : ROUNDTRIP_OK, &msg, t0);
    ret = 0;
out:
    strbuf_release(&msg);
    plan_free(&p);
    snapshot_release(&now);
    return ret;
}

int roundtrip_run(struct pg *db, const struct roundtrip_opts *o, struct roundtrip_report *r,
                  struct err *e)
{
    struct walk w = { db, o, r, { o->exclude, o->n_exclude, 0, 0 } };
    struct snapshot start = SNAPSHOT_INIT, cur = SNAPSHOT_INIT;
    struct plan p = { 0 }, pre = { 0 };
    uint64_t t0 = uv_hrtime();
    int stop = 0, ret = -1, rc;

    if (check_graph(&w, e) < 0)
        goto out;
    if (versions_ensure(o->versions, db, e) < 0)
        goto out;
    /* -r from:to: get to `from` without checks */
    if (o->from && (plan_to(&w, 1, o->from, &pre, e) < 0 || run_plan(&w, &pre, e) < 0)) {
        err_prefix(e, "cannot upgrade to the start of the range '%s'", o->from);
        goto out;
    }
    /* log schema changes, so that each step reads only what it touched */
    rc = snapshot_track(db, e);
    if (rc < 0)
        goto out;
    w.so.tracked = rc;
    if (take(&w, &start, e) < 0 || take(&w, &cur, e) < 0)
        goto out;
    if (plan_to(&w, 1, o->to ? o->to : "heads", &p, e) < 0)
        goto out;
    for (size_t i = 0; i < p.n_steps; i++) {
        if (pg_poll_interrupt(db)) {
            err_set(e, ERR_FAIL, "interrupted before revision %s", p.steps[i].rev->id);
            goto out;
        }
        if (check_revision(&w, &p.steps[i], &cur, &stop, e) < 0)
            goto out;
        if (stop) {
            skip_rest(&w, &p, i + 1);
            break;
        }
    }
    if (!stop && check_models(&w, e) < 0)
        goto out;
    if (check_downgrade(&w, &start, e) < 0)
        goto out;
    ret = 0;
out:
    r->seconds = seconds_since(t0);
    plan_free(&p);
    plan_free(&pre);
    snapshot_release(&start);
    snapshot_release(&cur);
    return ret;
}

void roundtrip_report_release(struct roundtrip_report *r)
{
    for (size_t i = 0; i < r->n_cases; i++)
        free(r->cases[i].message);
    free(r->cases);
    *r = (struct roundtrip_report)ROUNDTRIP_REPORT_INIT;
}
