/* offline.c -- --sql: the steps of a range rendered as SQL, as `alembic
 * upgrade a:b --sql` writes them, without connecting.  The plugins run
 * against ops_sql.c's table; the version statements are versions.c's. */
#include "migrate_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "ops.h"
#include "versions.h"

int migrate_render_rev(const struct rev *r, int upgrade, FILE *out, struct err *e)
{
    struct plugin pl = { 0 };
    struct op_state st;
    int rc;

    if (plugin_open_rev(&pl, r, e) < 0)
        return -1;
    ops_sql_init(&st, out, r->id, migrate__rev_file(r));
    rc = upgrade ? pl.upgrade(&st.head) : pl.downgrade(&st.head);
    plugin_close(&pl);
    if (st.err.code != ERR_OK) {
        *e = st.err;
        return -1;
    }
    if (rc != 0)
        return err_set(e, ERR_FAIL, "revision %s (%s): %s returned %d", r->id,
                       migrate__rev_file(r), upgrade ? "upgrade" : "downgrade", rc);
    return 0;
}

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

        migrate__describe(s, stamp, &w);
        /* alembic: for offline mode, include a CREATE TABLE from the base */
        if (heads == 0)
            versions_render_create(v, out);
        migrate__log_step(o, &w, -1);
        fprintf(out, "-- Running %s %s -> %s\n\n", w.name, w.from, w.to);
        if (!stamp) {
            if (autocommit)
                fputs("COMMIT;\n\n", out);
            if (migrate_render_rev(s->rev, s->upgrade, out, e) < 0)
                return -1;
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

/* alembic's command.stamp with --sql: every "start:rev" of a multi-head
 * stamp must name the same start; the revs alone go to the plan, in
 * *so->targets (an array the caller frees).  *start: strdup'ed or NULL. */
static int stamp_targets(const struct migrate_opts *o, struct migrate_opts *so, char **start,
                         struct err *e)
{
    const char **revs = calloc(o->n_targets, sizeof(*revs));

    *so = *o;
    *start = NULL;
    if (!revs)
        return err_set(e, ERR_FAIL, "out of memory");
    for (size_t i = 0; i < o->n_targets; i++) {
        const char *t = o->targets[i];
        const char *colon = strchr(t, ':');

        revs[i] = colon ? colon + 1 : t;
        if (!colon)
            continue;
        if (*start && (strlen(*start) != (size_t)(colon - t) ||
                       strncmp(*start, t, (size_t)(colon - t)) != 0)) {
            free(revs);
            free(*start);
            *start = NULL;
            return err_set(e, ERR_USAGE, "Stamp operation with --sql only supports a single "
                                         "starting revision at a time");
        }
        if (!*start && !(*start = strndup(t, (size_t)(colon - t)))) {
            free(revs);
            return err_set(e, ERR_FAIL, "out of memory");
        }
    }
    so->targets = revs;
    return 0;
}

int migrate__offline(const struct versions *v, const struct migrate_opts *o, struct err *e)
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
    if (o->kind == MIGRATE_STAMP && o->n_targets > 1) {
        struct migrate_opts so;

        if (stamp_targets(o, &so, &start, e) < 0)
            return -1;
        if (graph_resolve_ids(o->graph, start, &heads, &n, e) == 0 &&
            migrate__plan(o->graph, &so, heads, n, NULL, &p, e) == 0)
            ret = migrate_render(v, &p, n, &so, e);
        free((void *)so.targets);
        goto out;
    }
    if (colon) {
        start = strndup(o->target, (size_t)(colon - o->target));
        if (!start)
            return err_set(e, ERR_FAIL, "out of memory");
        target = colon + 1;
    } else if (o->kind == MIGRATE_DOWNGRADE) {
        return err_set(e, ERR_USAGE, "downgrade with --sql requires <fromrev>:<torev>");
    }
    if (graph_resolve_ids(o->graph, start, &heads, &n, e) < 0)
        goto out;
    if (migrate__plan(o->graph, o, heads, n, target, &p, e) < 0)
        goto out;
    ret = migrate_render(v, &p, n, o, e);
out:
    plan_free(&p);
    free(heads);
    free(start);
    return ret;
}
