/* graph_plan.c -- upgrade, downgrade and stamp plans: which revisions run,
 * in which order, and what each does to the version table.
 *
 * The order is alembic 1.8's ScriptDirectory._upgrade_revs() /
 * _downgrade_revs() / _stamp_revs() (graph_resolve.c does the walking); the
 * version-table effect of each step is what alembic's HeadMaintainer
 * .update_to_step() would do, worked out here against a copy of the
 * current heads so that the caller only executes it.  Executing is
 * ops.c's and cmd_upgrade.c's business, not ours. */
#include <stdlib.h>
#include <string.h>

#include "graph_int.h"

static int add_step(struct plan *p, size_t *cap, const struct step *s, struct err *e)
{
    if (p->n_steps == *cap) {
        size_t c = *cap ? *cap * 2 : 8;
        struct step *v = realloc(p->steps, c * sizeof(*v));

        if (!v)
            return err_set(e, ERR_FAIL, "out of memory");
        p->steps = v;
        *cap = c;
    }
    p->steps[p->n_steps++] = *s;
    return 0;
}

void plan_free(struct plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_steps; i++) {
        free((void *)p->steps[i].del);
        free((void *)p->steps[i].ins);
    }
    free(p->steps);
    memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------------ */
/* The version table as HeadMaintainer sees it: a set of revisions, with
 * each one's place in the list so that membership is O(1) (a root with
 * 10 000 branches has 10 000 rows). */

struct hset {
    struct rlist l;
    size_t *pos;            /* by rev->index: place in l + 1, 0 when absent */
};

static int hset_init(const struct graph *g, struct hset *h, struct err *e)
{
    memset(h, 0, sizeof(*h));
    if (!(h->pos = calloc(g->n ? g->n : 1, sizeof(*h->pos))))
        return err_set(e, ERR_FAIL, "out of memory");
    return 0;
}

static void hset_release(struct hset *h)
{
    rlist_release(&h->l);
    free(h->pos);
    h->pos = NULL;
}

static int hset_has(const struct hset *h, const struct rev *r)
{
    return r && r != GRAPH_BASE && h->pos[r->index] != 0;
}

static int hset_add(struct hset *h, const struct rev *r, struct err *e)
{
    if (rlist_push(&h->l, r, e) < 0)
        return -1;
    h->pos[r->index] = h->l.n;
    return 0;
}

static int heads_remove(struct hset *h, const struct rev *r)
{
    size_t at;

    if (!hset_has(h, r))
        return -1;
    at = h->pos[r->index] - 1;
    h->pos[r->index] = 0;
    h->l.v[at] = h->l.v[--h->l.n];
    if (at < h->l.n)
        h->pos[h->l.v[at]->index] = at + 1;
    return 0;
}

static int not_applicable(const struct rev *r, const char *why, struct err *e)
{
    return err_set(e, ERR_FAIL, "revision %s cannot be applied to the version table: %s",
                   r ? r->id : "(stamp)", why);
}

static int vt_insert(struct hset *h, const struct rev *step_rev, const struct rev *v,
                     struct err *e)
{
    if (hset_has(h, v))
        return not_applicable(step_rev, "row to insert is already present", e);
    return hset_add(h, v, e);
}

static int vt_delete(struct hset *h, const struct rev *step_rev, const struct rev *v,
                     struct err *e)
{
    if (heads_remove(h, v) < 0)
        return not_applicable(step_rev, "row to delete is not present", e);
    return 0;
}

static int vt_update(struct hset *h, const struct rev *step_rev, const struct rev *from,
                     const struct rev *to, struct err *e)
{
    if (hset_has(h, to))
        return not_applicable(step_rev, "updated row is already present", e);
    if (heads_remove(h, from) < 0)
        return not_applicable(step_rev, "row to update is not present", e);
    return hset_add(h, to, e);
}

/* norm_down minus everything the other heads already imply (alembic's
 * _unmerge_to_revisions() and merge_branch_idents()). */
static int not_implied(const struct graph *g, const struct hset *heads, const struct rev *self,
                       int exclude_norm_down, struct rlist *out, struct err *e)
{
    const struct node *nd = graph_node(g, self);
    struct rlist other = { 0 };
    unsigned char *anc = NULL;
    int ret = -1;

    for (size_t i = 0; i < heads->l.n; i++) {
        const struct rev *h = heads->l.v[i];
        int skip = h == self;

        for (size_t k = 0; exclude_norm_down && k < nd->n_norm_down && !skip; k++)
            skip = nd->norm_down[k] == h;
        if (!skip && rlist_push(&other, h, e) < 0)
            goto out;
    }
    if (other.n && !(anc = graph_closure(g, GD_NORM_DOWN, other.v, other.n, e)))
        goto out;
    for (size_t k = 0; k < nd->n_norm_down; k++)
        if ((!anc || !anc[nd->norm_down[k]->index]) && rlist_push(out, nd->norm_down[k], e) < 0)
            goto out;
    ret = 0;
out:
    free(anc);
    rlist_release(&other);
    return ret;
}

static const char **ids_of(const struct rev *const *v, size_t n, struct err *e)
{
    const char **a;

    if (!n)
        return NULL;
    if (!(a = malloc(n * sizeof(*a)))) {
        err_set(e, ERR_FAIL, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        a[i] = v[i]->id;
    return a;
}

/* HeadMaintainer.update_to_step() for a RevisionStep: fills s->vt and
 * friends and applies it to heads. */
static int revision_step(const struct graph *g, struct hset *heads, struct step *s,
                         struct err *e)
{
    const struct rev *r = s->rev;
    const struct node *nd = graph_node(g, r);
    struct rlist to = { 0 };
    size_t in_heads = 0;
    const struct rev *down = NULL;
    int ret = -1;

    for (size_t k = 0; k < nd->n_norm_down; k++)
        if (hset_has(heads, nd->norm_down[k])) {
            in_heads++;
            down = nd->norm_down[k];
        }
    if (s->upgrade) {
        if (!nd->n_norm_down || !in_heads) {
            /* a base, or none of our down revisions present: new branch */
            s->vt = VT_INSERT;
            s->to = r->id;
            ret = vt_insert(heads, r, r, e);
            goto out;
        }
        if (nd->n_norm_down > 1 && in_heads > 1) {
            if (not_implied(g, heads, r, 1, &to, e) < 0)
                goto out;
            if (!to.n) {
                not_applicable(r, "nothing to merge", e);
                goto out;
            }
            /* a merge that deletes nothing is a plain update */
            s->vt = to.n > 1 ? VT_MERGE : VT_UPDATE;
            s->from = to.v[to.n - 1]->id;
            s->to = r->id;
            s->n_del = to.n - 1;
            if (s->n_del && !(s->del = ids_of(to.v, s->n_del, e)))
                goto out;
            for (size_t i = 0; i + 1 < to.n; i++)
                if (vt_delete(heads, r, to.v[i], e) < 0)
                    goto out;
            ret = vt_update(heads, r, to.v[to.n - 1], r, e);
            goto out;
        }
        if (nd->n_norm_down == 1)
            down = nd->norm_down[0];
        else if (in_heads != 1) {
            not_applicable(r, "down revision is ambiguous", e);
            goto out;
        }
        s->vt = VT_UPDATE;
        s->from = down->id;
        s->to = r->id;
        ret = vt_update(heads, r, down, r, e);
        goto out;
    }
    if (hset_has(heads, r)) {
        if (nd->n_norm_down && not_implied(g, heads, r, 0, &to, e) < 0)
            goto out;
        if (!nd->n_norm_down || !to.n) {
            /* a base, or what lies below is implied by the other heads */
            s->vt = VT_DELETE;
            s->from = r->id;
            ret = vt_delete(heads, r, r, e);
            goto out;
        }
        if (nd->n_norm_down > 1) {
            /* an unmerge that inserts nothing is a plain update */
            s->vt = to.n > 1 ? VT_UNMERGE : VT_UPDATE;
            s->from = r->id;
            s->to = to.v[to.n - 1]->id;
            s->n_ins = to.n - 1;
            if (s->n_ins && !(s->ins = ids_of(to.v, s->n_ins, e)))
                goto out;
            for (size_t i = 0; i + 1 < to.n; i++)
                if (vt_insert(heads, r, to.v[i], e) < 0)
                    goto out;
            ret = vt_update(heads, r, r, to.v[to.n - 1], e);
            goto out;
        }
    }
    if (nd->n_norm_down == 1)
        down = nd->norm_down[0];
    else if (in_heads != 1) {
        not_applicable(r, "down revision is ambiguous", e);
        goto out;
    }
    s->vt = VT_UPDATE;
    s->from = r->id;
    s->to = down->id;
    ret = vt_update(heads, r, r, down, e);
out:
    rlist_release(&to);
    return ret;
}

static int current_heads(const struct graph *g, const char *const *current, size_t n,
                         struct hset *heads, struct err *e)
{
    struct spec cur = { current, n, 0 };
    struct rlist l = { 0 };
    int rc;

    if ((rc = hset_init(g, heads, e)) < 0 || (rc = graph_get_revisions(g, &cur, &l, e)) < 0)
        goto out;
    /* a version table holding the same row twice counts it once */
    for (size_t i = 0; i < l.n; i++)
        if (l.v[i] && l.v[i] != GRAPH_BASE && !hset_has(heads, l.v[i]) &&
            (rc = hset_add(heads, l.v[i], e)) < 0)
            goto out;
    rc = 0;
out:
    rlist_release(&l);
    return rc;
}

static int plan_revs(const struct graph *g, int upgrade, const char *const *current, size_t n_current,
                     const char *target, struct plan *out, struct err *e)
{
    struct spec cur = { current, n_current, 0 };
    struct spec tgt = { &target, target && target[0] ? 1 : 0, 1 };
    struct rlist revs = { 0 };
    struct hset heads = { 0 };
    size_t cap = 0;
    int rc, ret = -1;

    memset(out, 0, sizeof(*out));
    if (!g->built)
        return err_set(e, ERR_FAIL, "revision graph is not built");
    if (!target || !target[0])
        return err_set(e, ERR_USAGE, "empty revision target");
    if (upgrade)
        rc = graph_iterate_spec(g, &tgt, &cur, GI_IMPLICIT_BASE, &revs, e);
    else
        rc = graph_iterate_spec(g, &cur, &tgt, GI_DOWNGRADE, &revs, e);
    if (rc == GR_ERANGE) {
        err_set(e, ERR_FAIL, "Destination %s is not a valid %s target from current head(s)",
                target, upgrade ? "upgrade" : "downgrade");
        goto out;
    }
    if (rc == GR_EMULTI) {
        err_set(e, ERR_FAIL,
                "Multiple head revisions are present for given argument '%s'; please specify a "
                "specific target revision, '<branchname>@%s' to narrow to a specific head, or "
                "'heads' for all heads",
                target, target);
        goto out;
    }
    if (rc < 0 || current_heads(g, current, n_current, &heads, e) < 0)
        goto out;
    for (size_t i = 0; i < revs.n; i++) {
        /* upgrades run in the reverse of alembic's iteration order */
        struct step s = { 0 };

        s.rev = revs.v[upgrade ? revs.n - 1 - i : i];
        s.upgrade = upgrade;
        if (revision_step(g, &heads, &s, e) < 0) {
            free((void *)s.del);
            free((void *)s.ins);
            goto out;
        }
        if (add_step(out, &cap, &s, e) < 0) {
            free((void *)s.del);
            free((void *)s.ins);
            goto out;
        }
    }
    ret = 0;
out:
    if (ret < 0)
        plan_free(out);
    rlist_release(&revs);
    hset_release(&heads);
    return ret;
}

int graph_plan_upgrade(const struct graph *g, const char *const *current, size_t n_current,
                       const char *target, struct plan *out, struct err *e)
{
    return plan_revs(g, 1, current, n_current, target, out, e);
}

int graph_plan_downgrade(const struct graph *g, const char *const *current, size_t n_current,
                         const char *target, struct plan *out, struct err *e)
{
    return plan_revs(g, 0, current, n_current, target, out, e);
}

/* ------------------------------------------------------------------ */
/* stamp */

/* A StampStep (from_ -> to_) applied as HeadMaintainer would. */
static int stamp_step(struct hset *heads, const struct rlist *from, const struct rev *to,
                      int upgrade, int branch_move, struct plan *out, size_t *cap,
                      struct err *e)
{
    struct step s = { 0 };
    int from_missing = 0;

    s.rev = to;
    s.upgrade = upgrade;
    for (size_t i = 0; i < from->n; i++)
        from_missing |= !hset_has(heads, from->v[i]);
    if (!upgrade && branch_move) {
        s.vt = VT_DELETE;
        s.from = from->v[0]->id;
        if (vt_delete(heads, NULL, from->v[0], e) < 0)
            return -1;
    } else if (upgrade && (branch_move || from_missing) && to && !hset_has(heads, to)) {
        s.vt = VT_INSERT;
        s.to = to->id;
        /* alembic logs the StampStep's from_ ("stamp_revision b2 -> d4")
         * though the row is inserted; the version table ignores it */
        if (from->n == 1)
            s.from = from->v[0]->id;
        if (vt_insert(heads, NULL, to, e) < 0)
            return -1;
    } else if (from->n > 1) {
        s.vt = VT_MERGE;
        s.from = from->v[from->n - 1]->id;
        s.to = to->id;
        s.n_del = from->n - 1;
        if (!(s.del = ids_of(from->v, s.n_del, e)))
            return -1;
        for (size_t i = 0; i + 1 < from->n; i++)
            if (vt_delete(heads, NULL, from->v[i], e) < 0)
                goto fail;
        if (vt_update(heads, NULL, from->v[from->n - 1], to, e) < 0)
            goto fail;
    } else {
        if (!from->n || !to)
            return err_set(e, ERR_FAIL, "stamp has nothing to update");
        s.vt = VT_UPDATE;
        s.from = from->v[0]->id;
        s.to = to->id;
        if (vt_update(heads, NULL, from->v[0], to, e) < 0)
            return -1;
    }
    if (add_step(out, cap, &s, e) < 0)
        goto fail;
    return 0;
fail:
    free((void *)s.del);
    return -1;
}

int graph_plan_stamp_multi(const struct graph *g, const char *const *current, size_t n_current,
                           const char *const *targets, size_t n_targets, struct plan *out,
                           struct err *e)
{
    static const char *const base[] = { "base" };
    struct rlist filtered = { 0 }, dests = { 0 }, tmp = { 0 }, one = { 0 };
    struct hset heads = { 0 };
    struct spec tg;
    size_t cap = 0;
    int rc = 0, ret = -1;

    memset(out, 0, sizeof(*out));
    if (!g->built)
        return err_set(e, ERR_FAIL, "revision graph is not built");
    if (!n_targets) {
        targets = base;
        n_targets = 1;
    }
    tg = (struct spec){ targets, n_targets, 0 };
    if ((rc = current_heads(g, current, n_current, &heads, e)) < 0)
        goto out;
    for (size_t i = 0; i < n_targets; i++) {
        if (!targets[i] || !targets[i][0])
            continue;
        tmp.n = 0;
        if ((rc = graph_filter_lineage(g, heads.l.v, heads.l.n, targets[i], 1, &tmp, e)) < 0)
            goto out;
        for (size_t k = 0; k < tmp.n; k++)
            if (!rlist_has(&filtered, tmp.v[k]) && rlist_push(&filtered, tmp.v[k], e) < 0)
                goto out;
    }
    if ((rc = graph_get_revisions(g, &tg, &dests, e)) < 0)
        goto out;
    if (!dests.n && rlist_push(&dests, NULL, e) < 0)
        goto out;
    /* the steps apply to a copy of the current heads */
    for (size_t i = 0; i < dests.n; i++) {
        const struct rev *dest = dests.v[i] == GRAPH_BASE ? NULL : dests.v[i];
        unsigned char *desc, *anc;
        int below = 0, above = 0;

        if (!dest) {
            /* base: every applicable head goes */
            for (size_t k = 0; k < filtered.n; k++) {
                one.n = 0;
                if (rlist_push(&one, filtered.v[k], e) < 0 ||
                    stamp_step(&heads, &one, NULL, 0, 1, out, &cap, e) < 0)
                    goto out;
            }
            continue;
        }
        if (rlist_has(&filtered, dest))
            continue;   /* already in the version table */
        if (!(desc = graph_closure(g, GD_ALL_NEXT, &dest, 1, e)))
            goto out;
        if (!(anc = graph_closure(g, GD_NORM_DOWN, &dest, 1, e))) {
            free(desc);
            goto out;
        }
        for (size_t k = 0; k < filtered.n; k++) {
            below |= desc[filtered.v[k]->index];
            above |= anc[filtered.v[k]->index];
        }
        free(desc);
        free(anc);
        one.n = 0;
        if (below)          /* heads above the target: one step down */
            rc = stamp_step(&heads, &filtered, dest, 0, 0, out, &cap, e);
        else if (above)     /* heads below the target: one step up */
            rc = stamp_step(&heads, &filtered, dest, 1, 0, out, &cap, e);
        else                /* a branch not in the table yet */
            rc = stamp_step(&heads, &one, dest, 1, 1, out, &cap, e);
        if (rc < 0)
            goto out;
    }
    ret = 0;
out:
    if (rc == GR_EMULTI)
        err_set(e, ERR_FAIL, "Multiple heads are present; please specify a single target revision");
    if (ret < 0)
        plan_free(out);
    hset_release(&heads);
    rlist_release(&filtered);
    rlist_release(&dests);
    rlist_release(&tmp);
    rlist_release(&one);
    return ret;
}

int graph_plan_stamp(const struct graph *g, const char *const *current, size_t n_current,
                     const char *target, struct plan *out, struct err *e)
{
    return graph_plan_stamp_multi(g, current, n_current, &target, target && target[0] ? 1 : 0,
                                  out, e);
}
