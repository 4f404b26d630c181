/* graph_current.c -- what the version table's rows imply: alembic's
 * RevisionMap._get_all_current(), behind `current`.  Pure code over the
 * public struct rev links (graph.h); the table is read by others. */
#include <stdlib.h>

#include "graph.h"

int graph_mark_ancestors(const struct graph *g, unsigned char *in, struct err *e)
{
    size_t total = graph_count(g), top = 0;
    const struct rev **stack = calloc(total ? total : 1, sizeof(*stack));

    if (!stack)
        return err_set(e, ERR_FAIL, "out of memory");
    for (size_t i = 0; i < total; i++)
        if (in[i])
            stack[top++] = graph_at(g, i);
    /* each revision is pushed once, so the stack never exceeds the count */
    while (top) {
        const struct rev *r = stack[--top];

        for (size_t i = 0; i < r->n_down + r->n_deps; i++) {
            const struct rev *up = i < r->n_down ? r->down[i] : r->deps[i - r->n_down];

            if (!in[up->index]) {
                in[up->index] = 1;
                stack[top++] = up;
            }
        }
    }
    free(stack);
    return 0;
}

/* alembic: the rows, every ancestor of theirs through down_revision and
 * depends_on, then _filter_into_branch_heads(): drop each revision that has
 * a descendant (down_revision children only) in the set.  The set is closed
 * under ancestors, so "a descendant in the set" is "a child in the set".
 * Order: the rows as given, then the revisions they imply in the graph's
 * order (alembic returns a set). */
int graph_all_current(const struct graph *g, const char *const *ids, size_t n_ids,
                      const struct rev ***out, size_t *n, struct err *e)
{
    size_t total = graph_count(g);
    unsigned char *in = calloc(total ? total : 1, 1);
    const struct rev **res = calloc(total ? total : 1, sizeof(*res));
    unsigned char *taken = calloc(total ? total : 1, 1);
    size_t k = 0;
    int ret = -1;

    *out = NULL;
    *n = 0;
    if (!in || !res || !taken) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_ids; i++) {
        const struct rev *r = graph_find(g, ids[i]);

        if (!r) {
            err_set(e, ERR_FAIL, "Can't locate revision identified by '%s'", ids[i]);
            goto out;
        }
        in[r->index] = 1;
    }
    if (graph_mark_ancestors(g, in, e) < 0)
        goto out;
    for (size_t pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < (pass ? total : n_ids); i++) {
            const struct rev *r = pass ? graph_at(g, i) : graph_find(g, ids[i]);
            int has_child = 0;

            if (!in[r->index] || taken[r->index])
                continue;
            for (size_t c = 0; c < r->n_next; c++)
                has_child |= in[r->next[c]->index];
            if (has_child)
                continue;
            taken[r->index] = 1;
            res[k++] = r;
        }
    }
    *out = res;
    *n = k;
    res = NULL;
    ret = 0;
out:
    free(in);
    free(res);
    free(taken);
    return ret;
}
