/* graph.c -- the revision DAG: adding revisions, linking and validating
 * them, indexes, heads/bases/branch points and the traversal every other
 * question is built on.
 *
 * Alembic 1.8's script/revision.py (RevisionMap._revision_map and friends)
 * is the reference.  Target strings are parsed in graph_resolve.c; upgrade,
 * downgrade and stamp plans are made in graph_plan.c.  Pure code: no file
 * I/O, no database, no dlopen.  Nothing recurses: a 10 000-revision chain
 * is walked with explicit stacks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "graph_int.h"
#include "hash.h"

const struct rev graph_base_marker;

/* Revisions (each followed by its path) live in blocks of one huge page.
 * 10 000 of them are 15 MB that graph_add() writes once and graph_build()
 * walks several times: in 4 kB pages that is about 4 000 more page faults
 * and 10-18 % more time for the whole of `runner heads`, the one graph
 * optimisation that passed issue 16.5's bar (numbers in its commit). */
#define GRAPH_BLOCK_SIZE (2 * 1024 * 1024)

/* ------------------------------------------------------------------ */
/* Small helpers shared by the three graph files. */

int rlist_push(struct rlist *l, const struct rev *r, struct err *e)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        const struct rev **v = realloc(l->v, cap * sizeof(*v));

        if (!v)
            return err_set(e, ERR_FAIL, "out of memory");
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = r;
    return 0;
}

int rlist_has(const struct rlist *l, const struct rev *r)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] == r)
            return 1;
    return 0;
}

void rlist_release(struct rlist *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* " (file 'x')" naming the file for a message; "" for a revision made in
 * a test, which has none. */
static const char *file_suffix(const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    if (path && path[0])
        snprintf(buf, size, " (file '%s')", path);
    return buf;
}

static int has_rev(struct rev *const *v, size_t n, const struct rev *r)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == r)
            return 1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Lifecycle and the id index. */

struct graph *graph_new(void)
{
    return calloc(1, sizeof(struct graph));
}

static void free_built(struct graph *g)
{
    for (size_t i = 0; i < g->n; i++) {
        struct rev *r = g->revs[i];

        free(r->labels);
        r->down = r->deps = r->next = NULL;
        r->labels = NULL;
        r->n_down = r->n_deps = r->n_next = r->n_labels = r->n_all_next = 0;
    }
    free(g->nodes);
    free(g->edges);
    free(g->label_slots);
    free(g->label_names);
    free(g->label_revs);
    free(g->keys);
    free(g->heads);
    free(g->real_heads);
    free(g->bases);
    g->nodes = NULL;
    g->edges = NULL;
    g->label_slots = NULL;
    g->label_names = NULL;
    g->label_revs = NULL;
    g->keys = NULL;
    g->heads = g->real_heads = g->bases = NULL;
    g->n_labels = g->cap_labels = g->n_keys = 0;
    g->n_heads = g->n_real_heads = g->n_bases = 0;
    g->label_mask = 0;
    g->built = 0;
}

void graph_free(struct graph *g)
{
    if (!g)
        return;
    free_built(g);
    while (g->blocks) {
        struct gblock *b = g->blocks;

        g->blocks = b->next;
        free(b);
    }
    free(g->revs);
    free(g->id_slots);
    free(g);
}

struct rev *graph_find_id(const struct graph *g, const char *id)
{
    if (!g->id_slots)
        return NULL;
    for (size_t i = hash_fnv1a64(id) & g->id_mask;; i = (i + 1) & g->id_mask) {
        size_t s = g->id_slots[i];

        if (!s)
            return NULL;
        if (strcmp(g->revs[s - 1]->id, id) == 0)
            return g->revs[s - 1];
    }
}

struct rev *graph_find_label(const struct graph *g, const char *label)
{
    if (!g->label_slots)
        return NULL;
    for (size_t i = hash_fnv1a64(label) & g->label_mask;; i = (i + 1) & g->label_mask) {
        size_t s = g->label_slots[i];

        if (!s)
            return NULL;
        if (strcmp(g->label_names[s - 1], label) == 0)
            return g->label_revs[s - 1];
    }
}

const struct node *graph_node(const struct graph *g, const struct rev *r)
{
    return &g->nodes[r->index];
}

static int id_rehash(struct graph *g, size_t want)
{
    size_t size = 16, *slots;

    while (size < want * 2)
        size *= 2;
    slots = calloc(size, sizeof(*slots));
    if (!slots)
        return -1;
    for (size_t k = 0; k < g->n; k++) {
        size_t i = hash_fnv1a64(g->revs[k]->id) & (size - 1);

        while (slots[i])
            i = (i + 1) & (size - 1);
        slots[i] = k + 1;
    }
    free(g->id_slots);
    g->id_slots = slots;
    g->id_mask = size - 1;
    return 0;
}

/* Copies a NUL-terminated field, refusing one that fills its array. */
static int field_ok(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

/* n bytes from the newest block, or NULL: owned by g until graph_free(). */
static void *graph_alloc(struct graph *g, size_t n)
{
    struct gblock *b = g->blocks;
    const size_t room = GRAPH_BLOCK_SIZE - sizeof(*b);
    void *p;

    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (n > room)
        return NULL;
    if (!b || room - b->used < n) {
        if (!(b = aligned_alloc(GRAPH_BLOCK_SIZE, GRAPH_BLOCK_SIZE)))
            return NULL;
#ifdef MADV_HUGEPAGE
        madvise(b, GRAPH_BLOCK_SIZE, MADV_HUGEPAGE);   /* a hint: failure changes nothing */
#endif
        b->next = g->blocks;
        b->used = 0;
        g->blocks = b;
    }
    p = (unsigned char *)b->data + b->used;
    b->used += n;
    return p;
}

int graph_add(struct graph *g, const struct runner_revision *meta, const char *path,
              struct err *e)
{
    struct rev *r = NULL, *old;
    char f1[300];
    const char *bad;
    size_t plen = path ? strlen(path) : 0;

    if (!field_ok(meta->revision, sizeof(meta->revision)) || !meta->revision[0])
        return err_set(e, ERR_FAIL, "empty or unterminated revision id%s",
                       file_suffix(path, f1, sizeof(f1)));
    if ((bad = strpbrk(meta->revision, "@-+")) != NULL)
        /* alembic: Revision.verify_rev_id() */
        return err_set(e, ERR_FAIL, "Character(s) '%c' not allowed in revision identifier '%s'%s",
                       *bad, meta->revision, file_suffix(path, f1, sizeof(f1)));
    for (int i = 0; i < RUNNER_MAX_REFS; i++)
        if (!field_ok(meta->down_revision[i], RUNNER_ID_SIZE) ||
            !field_ok(meta->branch_labels[i], RUNNER_ID_SIZE) ||
            !field_ok(meta->depends_on[i], RUNNER_ID_SIZE))
            return err_set(e, ERR_FAIL, "unterminated reference in revision '%s'%s",
                           meta->revision, file_suffix(path, f1, sizeof(f1)));
    if (g->built)
        free_built(g);
    if ((old = graph_find_id(g, meta->revision)) != NULL) {
        const char *p1 = old->path && old->path[0] ? old->path : "(no file)";
        const char *p2 = path && path[0] ? path : "(no file)";

        return err_set(e, ERR_FAIL, "duplicate revision id '%s' in '%s' and '%s'",
                       meta->revision, p1, p2);
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        struct rev **v = realloc(g->revs, cap * sizeof(*v));

        if (!v)
            return err_set(e, ERR_FAIL, "out of memory");
        g->revs = v;
        g->cap = cap;
    }
    if (!(r = graph_alloc(g, sizeof(*r) + plen + 1)))
        return err_set(e, ERR_FAIL, "out of memory");
    memset(r, 0, sizeof(*r));
    r->meta = *meta;
    r->id = r->meta.revision;
    r->path = memcpy(r + 1, path ? path : "", plen + 1);
    r->index = g->n;
    g->revs[g->n++] = r;
    if (!g->id_slots || g->n * 2 > g->id_mask) {
        /* keep the table at most half full; the rehash indexes r too.  On
         * failure r stays in its block, unlisted, until graph_free(). */
        if (id_rehash(g, g->n * 2) < 0) {
            g->n--;
            return err_set(e, ERR_FAIL, "out of memory");
        }
    } else {
        size_t i = hash_fnv1a64(r->id) & g->id_mask;

        while (g->id_slots[i])
            i = (i + 1) & g->id_mask;
        g->id_slots[i] = r->index + 1;
    }
    return 0;
}

void graph_set_file(struct graph *g, size_t i, uint64_t dev, uint64_t ino, int unsafe_ok)
{
    if (i < g->n) {
        g->revs[i]->file_dev = dev;
        g->revs[i]->file_ino = ino;
        g->revs[i]->file_unsafe_ok = unsafe_ok;
    }
}

size_t graph_count(const struct graph *g)
{
    return g->n;
}

const struct rev *graph_at(const struct graph *g, size_t i)
{
    return i < g->n ? g->revs[i] : NULL;
}

/* ------------------------------------------------------------------ */
/* Traversal. */

static void neighbours(const struct graph *g, const struct rev *r, enum gdir d,
                       struct rev *const **v, size_t *n)
{
    const struct node *nd = &g->nodes[r->index];

    switch (d) {
    case GD_DOWN:
        *v = r->down;
        *n = r->n_down;
        break;
    case GD_NORM_DOWN:
        *v = nd->norm_down;
        *n = nd->n_norm_down;
        break;
    case GD_ALL_DOWN:
        *v = nd->all_down;
        *n = nd->n_all_down;
        break;
    case GD_NEXT:
        *v = r->next;
        *n = r->n_next;
        break;
    case GD_ALL_NEXT:
    default:
        *v = nd->all_next;
        *n = nd->n_all_next;
        break;
    }
}

int graph_related(const struct graph *g, enum gdir d, const struct rev *const *targets,
                  size_t n_targets, unsigned char *seen, struct rlist *out, int check,
                  struct err *e)
{
    struct rlist stack = { 0 }, overlaps = { 0 };
    size_t *stamp = NULL;       /* check: target number + 1 that last popped it */
    size_t *tpos = NULL;        /* check: place in targets + 1, 0 for others */
    int ret = -1;

    if (check && (!(stamp = calloc(g->n ? g->n : 1, sizeof(*stamp))) ||
                  !(tpos = calloc(g->n ? g->n : 1, sizeof(*tpos))))) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    for (size_t t = 0; check && t < n_targets; t++)
        if (targets[t] && targets[t] != GRAPH_BASE && !tpos[targets[t]->index])
            tpos[targets[t]->index] = t + 1;
    for (size_t t = 0; t < n_targets; t++) {
        const struct rev *target = targets[t];

        if (!target || target == GRAPH_BASE)
            continue;
        overlaps.n = 0;
        if (rlist_push(&stack, target, e) < 0)
            goto out;
        while (stack.n) {
            const struct rev *r = stack.v[--stack.n];
            struct rev *const *nv;
            size_t nn;

            /* alembic notes every revision popped for this target, seen
             * before or not, and complains of the other targets among them */
            if (check && stamp[r->index] != t + 1) {
                stamp[r->index] = t + 1;
                if (tpos[r->index] && r != target && rlist_push(&overlaps, r, e) < 0)
                    goto out;
            }
            if (seen[r->index])
                continue;
            seen[r->index] = 1;
            neighbours(g, r, d, &nv, &nn);
            for (size_t i = 0; i < nn; i++)
                if (rlist_push(&stack, nv[i], e) < 0)
                    goto out;
            if (out && rlist_push(out, r, e) < 0)
                goto out;
        }
        if (overlaps.n) {
            char list[ERR_MSG_SIZE] = "";
            size_t len = 0;

            /* listed in the order they were requested */
            for (size_t i = 1; i < overlaps.n; i++)
                for (size_t k = i; k > 0 && tpos[overlaps.v[k - 1]->index] >
                                                tpos[overlaps.v[k]->index]; k--) {
                    const struct rev *x = overlaps.v[k];

                    overlaps.v[k] = overlaps.v[k - 1];
                    overlaps.v[k - 1] = x;
                }
            for (size_t i = 0; i < overlaps.n && len < sizeof(list); i++)
                len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "",
                                        overlaps.v[i]->id);
            err_set(e, ERR_FAIL,
                    "Requested revision %s overlaps with other requested revisions %s",
                    target->id, list);
            goto out;
        }
    }
    ret = 0;
out:
    rlist_release(&stack);
    rlist_release(&overlaps);
    free(stamp);
    free(tpos);
    return ret;
}

unsigned char *graph_closure(const struct graph *g, enum gdir d,
                             const struct rev *const *targets, size_t n_targets,
                             struct err *e)
{
    unsigned char *seen = calloc(g->n ? g->n : 1, 1);

    if (!seen) {
        err_set(e, ERR_FAIL, "out of memory");
        return NULL;
    }
    if (graph_related(g, d, targets, n_targets, seen, NULL, 0, e) < 0) {
        free(seen);
        return NULL;
    }
    return seen;
}

/* ------------------------------------------------------------------ */
/* Building. */

static int add_label(struct graph *g, const char *name, struct rev *r)
{
    if (g->n_labels == g->cap_labels) {
        size_t cap = g->cap_labels ? g->cap_labels * 2 : 16;
        const char **nn = realloc(g->label_names, cap * sizeof(*nn));
        struct rev **nr;

        if (!nn)
            return -1;
        g->label_names = nn;
        nr = realloc(g->label_revs, cap * sizeof(*nr));
        if (!nr)
            return -1;
        g->label_revs = nr;
        g->cap_labels = cap;
    }
    g->label_names[g->n_labels] = name;
    g->label_revs[g->n_labels] = r;
    g->n_labels++;
    {
        size_t i = hash_fnv1a64(name) & g->label_mask;

        while (g->label_slots[i])
            i = (i + 1) & g->label_mask;
        g->label_slots[i] = g->n_labels;
    }
    return 0;
}

/* Keys are unique (a label may repeat neither an id nor another label),
 * so their strings alone order them. */
static int key_cmp(const void *a, const void *b)
{
    const struct key *x = a, *y = b;

    return strcmp(x->s, y->s);
}

/* Labels are unique in a built graph, so each has one string (in its
 * declaring revision's metadata) and pointers compare. */
static int add_label_to(struct rev *r, const char *label)
{
    const char **v;

    for (size_t i = 0; i < r->n_labels; i++)
        if (r->labels[i] == label)
            return 0;
    if ((r->n_labels & (r->n_labels - 1)) == 0) {     /* 0, 1, 2, 4, ...: grow */
        v = realloc(r->labels, (r->n_labels ? r->n_labels * 2 : 1) * sizeof(*v));
        if (!v)
            return -1;
        r->labels = v;
    }
    r->labels[r->n_labels++] = label;
    return 0;
}

/* alembic's RevisionMap._add_branches(): a label reaches every descendant
 * through down_revision, and, when those form one unbranched line, the
 * ancestors below too until a branch point or merge point. */
static int propagate_labels(struct graph *g, struct rev *r, struct err *e)
{
    const struct node *rn = &g->nodes[r->index];
    unsigned char *seen = calloc(g->n, 1);
    struct rlist desc = { 0 };
    const struct rev *tgt = r;
    struct rev *p;
    int ret = -1;

    if (!seen)
        return err_set(e, ERR_FAIL, "out of memory");
    if (graph_related(g, GD_NEXT, &tgt, 1, seen, &desc, 0, e) < 0)
        goto out;
    for (size_t i = 0; i < desc.n; i++)
        for (size_t k = 0; k < rn->n_orig_labels; k++)
            if (add_label_to((struct rev *)desc.v[i], r->labels[k]) < 0)
                goto oom;
    /* the walk starts at the last node visited, as alembic's does */
    p = (struct rev *)desc.v[desc.n - 1];
    while (p && g->nodes[p->index].n_all_next <= 1 && p->n_down <= 1) {
        for (size_t k = 0; k < rn->n_orig_labels; k++)
            if (add_label_to(p, r->labels[k]) < 0)
                goto oom;
        p = p->n_down ? p->down[0] : NULL;
    }
    ret = 0;
    goto out;
oom:
    err_set(e, ERR_FAIL, "out of memory");
out:
    rlist_release(&desc);
    free(seen);
    return ret;
}

static int cycle_error(struct graph *g, const unsigned char *keep, const char *kind,
                       struct err *e)
{
    char ids[ERR_MSG_SIZE] = "", files[ERR_MSG_SIZE] = "";
    size_t li = 0, lf = 0;
    const struct rev **sorted = malloc(g->n * sizeof(*sorted));
    size_t n = 0;

    if (!sorted)
        return err_set(e, ERR_FAIL, "out of memory");
    for (size_t i = 0; i < g->n; i++)
        if (!keep || !keep[i])
            sorted[n++] = g->revs[i];
    /* alembic lists them sorted(); insertion sort is fine for an error */
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && strcmp(sorted[k - 1]->id, sorted[k]->id) > 0; k--) {
            const struct rev *t = sorted[k];

            sorted[k] = sorted[k - 1];
            sorted[k - 1] = t;
        }
    for (size_t i = 0; i < n; i++) {
        if (li < sizeof(ids))
            li += (size_t)snprintf(ids + li, sizeof(ids) - li, "%s%s", i ? ", " : "",
                                   sorted[i]->id);
        if (sorted[i]->path[0] && lf < sizeof(files))
            lf += (size_t)snprintf(files + lf, sizeof(files) - lf, "%s'%s'", lf ? ", " : "",
                                   sorted[i]->path);
    }
    free(sorted);
    return err_set(e, ERR_FAIL, "%s is detected in revisions (%s)%s%s", kind, ids,
                   lf ? " in " : "", files);
}

/* alembic's _detect_cycles(): every revision must lie both above a base and
 * below a head; what does not is on a cycle (or hangs from one). */
static int detect_cycles(struct graph *g, int real, struct err *e)
{
    struct rlist heads = { 0 }, bases = { 0 };
    unsigned char *up = NULL, *down = NULL;
    const char *kind = real ? "Dependency cycle" : "Cycle";
    int ret = -1;

    for (size_t i = 0; i < g->n; i++) {
        struct rev *r = g->revs[i];
        const struct node *nd = &g->nodes[i];

        if ((real ? nd->n_all_next : r->n_next) == 0 && rlist_push(&heads, r, e) < 0)
            goto out;
        if (r->n_down == 0 && (!real || r->meta.depends_on[0][0] == '\0') &&
            rlist_push(&bases, r, e) < 0)
            goto out;
    }
    if (!heads.n || !bases.n) {
        cycle_error(g, NULL, kind, e);
        goto out;
    }
    if (!(down = graph_closure(g, real ? GD_ALL_DOWN : GD_DOWN, heads.v, heads.n, e)) ||
        !(up = graph_closure(g, real ? GD_ALL_NEXT : GD_NEXT, bases.v, bases.n, e)))
        goto out;
    for (size_t i = 0; i < g->n; i++)
        down[i] = down[i] && up[i];
    for (size_t i = 0; i < g->n; i++)
        if (!down[i]) {
            cycle_error(g, down, kind, e);
            goto out;
        }
    ret = 0;
out:
    rlist_release(&heads);
    rlist_release(&bases);
    free(up);
    free(down);
    return ret;
}

/* alembic's _normalize_depends_on(): drop the dependencies an ancestor
 * (through down_revision) already declares. */
static int normalize_deps(struct graph *g, struct rev *r, const size_t *declarers,
                          unsigned char *seen, struct rlist *anc, struct err *e)
{
    struct node *nd = &g->nodes[r->index];
    const struct rev *tgt = r;
    size_t k = 0;
    int shared = 0;

    for (size_t i = 0; i < r->n_down; i++)
        nd->norm_down[k++] = r->down[i];
    /* a dependency no other revision declares cannot be implied: the usual
     * case needs no walk over the ancestors */
    for (size_t i = 0; i < r->n_deps; i++)
        shared |= declarers[r->deps[i]->index] > 1;
    if (r->n_deps && !shared) {
        for (size_t i = 0; i < r->n_deps; i++)
            if (!has_rev(nd->norm_down, k, r->deps[i])) {
                nd->norm_down[k++] = r->deps[i];
                nd->n_norm_deps++;
            }
    } else if (r->n_deps) {
        anc->n = 0;
        if (graph_related(g, GD_DOWN, &tgt, 1, seen, anc, 0, e) < 0)
            return -1;
        for (size_t i = 0; i < r->n_deps; i++) {
            int implied = 0;

            for (size_t a = 0; a < anc->n && !implied; a++)
                if (anc->v[a] != r && has_rev(anc->v[a]->deps, anc->v[a]->n_deps, r->deps[i]))
                    implied = 1;
            if (!implied && !has_rev(nd->norm_down, k, r->deps[i])) {
                nd->norm_down[k++] = r->deps[i];
                nd->n_norm_deps++;
            }
        }
        for (size_t a = 0; a < anc->n; a++)
            seen[anc->v[a]->index] = 0;
    }
    nd->n_norm_down = k;
    return 0;
}

int graph_build(struct graph *g, struct err *e)
{
    struct rev **tmp = NULL;
    size_t pool = 0, *declarers = NULL;
    unsigned char *seen = NULL;
    struct rlist anc = { 0 };
    char fb[300];
    size_t lsize = 16;
    int ret = -1;

    if (g->built)
        free_built(g);
    if (!(g->nodes = calloc(g->n ? g->n : 1, sizeof(*g->nodes))))
        goto oom;
    /* labels: alembic's _map_branch_labels(), in revision order */
    while (lsize < (size_t)g->n * 4)
        lsize *= 2;
    if (!(g->label_slots = calloc(lsize, sizeof(*g->label_slots))))
        goto oom;
    g->label_mask = lsize - 1;
    for (size_t i = 0; i < g->n; i++) {
        struct rev *r = g->revs[i];

        for (int k = 0; k < RUNNER_MAX_REFS; k++) {
            const char *l = r->meta.branch_labels[k];
            const struct rev *other;

            if (!l[0])
                continue;
            if ((other = graph_find_label(g, l)) != NULL || (other = graph_find_id(g, l)) != NULL) {
                char f2[300];

                if (other == r && strcmp(other->id, l) != 0)
                    continue;   /* the same label twice in one revision */
                err_set(e, ERR_FAIL, "Branch name '%s' in revision %s already used by revision %s%s%s",
                        l, r->id, other->id, file_suffix(r->path, fb, sizeof(fb)),
                        file_suffix(other->path, f2, sizeof(f2)));
                goto out;
            }
            if (add_label(g, l, r) < 0 || add_label_to(r, l) < 0)
                goto oom;
        }
        g->nodes[i].n_orig_labels = r->n_labels;
    }
    /* down revisions and dependencies: resolved into tmp, then laid out
     * in one pool (a malloc per edge list costs more than the rest) */
    if (!(tmp = malloc((g->n ? g->n : 1) * 2 * RUNNER_MAX_REFS * sizeof(*tmp))))
        goto oom;
    for (size_t i = 0; i < g->n; i++) {
        struct rev *r = g->revs[i];
        struct node *nd = &g->nodes[i];
        struct rev **down = tmp + i * 2 * RUNNER_MAX_REFS, **deps = down + RUNNER_MAX_REFS;

        for (int k = 0; k < RUNNER_MAX_REFS; k++) {
            const char *d = r->meta.down_revision[k];
            struct rev *t;

            if (!d[0])
                continue;
            if (strcmp(d, r->id) == 0) {
                err_set(e, ERR_FAIL, "Self-loop is detected in revisions (%s)%s", r->id,
                        file_suffix(r->path, fb, sizeof(fb)));
                goto out;
            }
            if (!(t = graph_find_id(g, d))) {
                err_set(e, ERR_FAIL, "Can't locate revision identified by '%s' (down_revision of %s%s)",
                        d, r->id, file_suffix(r->path, fb, sizeof(fb)));
                goto out;
            }
            if (!has_rev(down, r->n_down, t))
                down[r->n_down++] = t;
        }
        for (int k = 0; k < RUNNER_MAX_REFS; k++) {
            const char *d = r->meta.depends_on[k];
            struct rev *t;

            if (!d[0])
                continue;
            if (strcmp(d, r->id) == 0) {
                err_set(e, ERR_FAIL, "Dependency self-loop is detected in revisions (%s)%s",
                        r->id, file_suffix(r->path, fb, sizeof(fb)));
                goto out;
            }
            /* alembic resolves depends_on through ids and branch labels */
            if (!(t = graph_find_id(g, d)) && !(t = graph_find_label(g, d))) {
                err_set(e, ERR_FAIL, "Can't locate revision identified by '%s' (depends_on of %s%s)",
                        d, r->id, file_suffix(r->path, fb, sizeof(fb)));
                goto out;
            }
            if (!has_rev(deps, r->n_deps, t))
                deps[r->n_deps++] = t;
        }
        nd->n_all_down = r->n_down;
        for (size_t k = 0; k < r->n_deps; k++)
            nd->n_all_down += !has_rev(down, r->n_down, deps[k]);
        pool += r->n_down + r->n_deps + nd->n_all_down * 2 + r->n_down + r->n_deps;
        pool += r->n_down;      /* rev->next of the down revisions */
    }
    if (!(g->edges = malloc((pool ? pool : 1) * sizeof(*g->edges))))
        goto oom;
    {
        struct rev **p = g->edges;

        for (size_t i = 0; i < g->n; i++) {
            struct rev *r = g->revs[i];
            struct node *nd = &g->nodes[i];
            struct rev **down = tmp + i * 2 * RUNNER_MAX_REFS, **deps = down + RUNNER_MAX_REFS;
            size_t k = 0;

            r->down = p;
            memcpy(p, down, r->n_down * sizeof(*p));
            p += r->n_down;
            r->deps = p;
            memcpy(p, deps, r->n_deps * sizeof(*p));
            p += r->n_deps;
            nd->all_down = p;
            for (size_t j = 0; j < r->n_down; j++)
                p[k++] = down[j];
            for (size_t j = 0; j < r->n_deps; j++)
                if (!has_rev(down, r->n_down, deps[j]))
                    p[k++] = deps[j];
            p += nd->n_all_down;
            nd->norm_down = p;          /* filled by normalize_deps() */
            p += r->n_down + r->n_deps;
            for (size_t j = 0; j < nd->n_all_down; j++) {
                struct rev *t = nd->all_down[j];

                g->nodes[t->index].n_all_next++;
                t->n_next += has_rev(down, r->n_down, t);
            }
        }
        for (size_t i = 0; i < g->n; i++) {
            struct rev *r = g->revs[i];
            struct node *nd = &g->nodes[i];

            nd->all_next = p;
            p += nd->n_all_next;
            r->next = p;
            p += r->n_next;
            nd->n_all_next = r->n_next = 0;
        }
        for (size_t i = 0; i < g->n; i++) {
            struct rev *r = g->revs[i];
            const struct node *nd = &g->nodes[i];

            for (size_t j = 0; j < nd->n_all_down; j++) {
                struct rev *t = nd->all_down[j];
                struct node *tn = &g->nodes[t->index];

                tn->all_next[tn->n_all_next++] = r;
                if (has_rev(r->down, r->n_down, t))
                    t->next[t->n_next++] = r;
            }
        }
    }
    if (g->n && (detect_cycles(g, 0, e) < 0 || detect_cycles(g, 1, e) < 0))
        goto out;
    if (!(seen = calloc(g->n ? g->n : 1, 1)) ||
        !(declarers = calloc(g->n ? g->n : 1, sizeof(*declarers))))
        goto oom;
    for (size_t i = 0; i < g->n; i++)
        for (size_t k = 0; k < g->revs[i]->n_deps; k++)
            declarers[g->revs[i]->deps[k]->index]++;
    for (size_t i = 0; i < g->n; i++)
        if (normalize_deps(g, g->revs[i], declarers, seen, &anc, e) < 0)
            goto out;
    for (size_t i = 0; i < g->n; i++)
        if (g->nodes[i].n_orig_labels && propagate_labels(g, g->revs[i], e) < 0)
            goto out;
    for (size_t i = 0; i < g->n; i++)
        g->revs[i]->n_all_next = g->nodes[i].n_all_next;
    /* heads, real heads, bases in revision order */
    if (!(g->heads = malloc((g->n + 1) * sizeof(*g->heads))) ||
        !(g->real_heads = malloc((g->n + 1) * sizeof(*g->real_heads))) ||
        !(g->bases = malloc((g->n + 1) * sizeof(*g->bases))))
        goto oom;
    for (size_t i = 0; i < g->n; i++) {
        struct rev *r = g->revs[i];

        if (!r->n_next)
            g->heads[g->n_heads++] = r;
        if (!g->nodes[i].n_all_next)
            g->real_heads[g->n_real_heads++] = r;
        if (!r->n_down)
            g->bases[g->n_bases++] = r;
    }
    /* the prefix index: ids, then labels, as alembic's map is ordered */
    if (!(g->keys = malloc((g->n + g->n_labels + 1) * sizeof(*g->keys))))
        goto oom;
    for (size_t i = 0; i < g->n; i++)
        g->keys[g->n_keys++] = (struct key){ g->revs[i]->id, g->revs[i], i };
    for (size_t i = 0; i < g->n_labels; i++)
        g->keys[g->n_keys++] = (struct key){ g->label_names[i], g->label_revs[i], g->n + i };
    qsort(g->keys, g->n_keys, sizeof(*g->keys), key_cmp);
    g->built = 1;
    ret = 0;
    goto out;
oom:
    err_set(e, ERR_FAIL, "out of memory");
out:
    rlist_release(&anc);
    free(seen);
    free(tmp);
    free(declarers);
    if (ret < 0)
        free_built(g);
    return ret;
}

/* ------------------------------------------------------------------ */
/* Simple queries. */

static int copy_out(struct rev *const *v, size_t n, const struct rev ***out, size_t *n_out,
                    struct err *e)
{
    const struct rev **a = malloc((n + 1) * sizeof(*a));

    if (!a)
        return err_set(e, ERR_FAIL, "out of memory");
    for (size_t i = 0; i < n; i++)
        a[i] = v[i];
    *out = a;
    *n_out = n;
    return 0;
}

int graph_heads(const struct graph *g, const struct rev ***out, size_t *n, struct err *e)
{
    if (!g->built)
        return err_set(e, ERR_FAIL, "revision graph is not built");
    return copy_out(g->heads, g->n_heads, out, n, e);
}

int graph_real_heads(const struct graph *g, const struct rev ***out, size_t *n, struct err *e)
{
    if (!g->built)
        return err_set(e, ERR_FAIL, "revision graph is not built");
    return copy_out(g->real_heads, g->n_real_heads, out, n, e);
}

int graph_bases(const struct graph *g, const struct rev ***out, size_t *n, struct err *e)
{
    if (!g->built)
        return err_set(e, ERR_FAIL, "revision graph is not built");
    return copy_out(g->bases, g->n_bases, out, n, e);
}

int graph_branchpoints(const struct graph *g, const struct rev ***out, size_t *n,
                       struct err *e)
{
    struct rev **v;
    size_t k = 0;
    int ret;

    if (!g->built)
        return err_set(e, ERR_FAIL, "revision graph is not built");
    if (!(v = malloc((g->n + 1) * sizeof(*v))))
        return err_set(e, ERR_FAIL, "out of memory");
    for (size_t i = 0; i < g->n; i++)
        if (g->revs[i]->n_next > 1)
            v[k++] = g->revs[i];
    ret = copy_out(v, k, out, n, e);
    free(v);
    return ret;
}

int rev_is_head(const struct rev *r)
{
    return r->n_next == 0;
}

int rev_is_real_head(const struct rev *r)
{
    return r->n_all_next == 0;
}

int rev_is_base(const struct rev *r)
{
    return r->n_down == 0;
}

int rev_is_branchpoint(const struct rev *r)
{
    return r->n_next > 1;
}

int rev_is_mergepoint(const struct rev *r)
{
    return r->n_down > 1;
}
