/* graph_int.h -- private to graph.c, graph_resolve.c and graph_plan.c.
 *
 * The graph keeps, beside each public struct rev, the derived edge lists
 * alembic's Revision computes lazily (_all_down_revisions,
 * _normalized_down_revisions, _all_nextrev), the id and label indexes, and
 * the heads/bases tuples.  Everything here is built once by graph_build()
 * and read-only afterwards, so queries on a const graph need no locking and
 * keep no state between calls. */
#ifndef RUNNER_GRAPH_INT_H
#define RUNNER_GRAPH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"

/* Per-revision data that is not part of the public struct rev. */
struct node {
    struct rev **all_down;          /* down + resolved depends_on, deduplicated */
    size_t n_all_down;
    struct rev **norm_down;         /* down + deps not already implied by an ancestor */
    size_t n_norm_down;
    size_t n_norm_deps;             /* how many of norm_down come from depends_on */
    struct rev **all_next;          /* children through down_revision or depends_on */
    size_t n_all_next;
    size_t n_orig_labels;           /* rev->labels[0..n) are the revision's own */
};

/* One key of the prefix index: a revision id or a branch label. */
struct key {
    const char *s;
    struct rev *rev;
    size_t order;                   /* ids first in insertion order, then labels */
};

/* A block of GRAPH_BLOCK_SIZE bytes (graph.c) holding revisions, each
 * followed by its path, so that graph_add() needs no malloc of its own. */
struct gblock {
    struct gblock *next;            /* older blocks */
    size_t used;                    /* bytes of data[] handed out */
    max_align_t data[];
};

struct graph {
    struct rev **revs;              /* insertion order; each in a block below */
    size_t n, cap;
    struct gblock *blocks;          /* newest first; own every struct rev */
    struct node *nodes;             /* by rev->index, filled by graph_build() */
    struct rev **edges;             /* one pool behind every edge list above */
    size_t *id_slots;               /* open addressing: index + 1, 0 empty */
    size_t id_mask;
    size_t *label_slots;            /* label -> revision that declares it */
    size_t label_mask;
    const char **label_names;       /* label_slots[i] - 1 indexes these two */
    struct rev **label_revs;
    size_t n_labels, cap_labels;
    struct key *keys;               /* sorted by s, for unique-prefix lookup */
    size_t n_keys;
    struct rev **heads;             /* alembic's heads: no child through down_revision */
    size_t n_heads;
    struct rev **real_heads;        /* no child at all (depends_on counts) */
    size_t n_real_heads;
    struct rev **bases;             /* no down_revision */
    size_t n_bases;
    int built;
};

/* A growable list of borrowed revision pointers.  Entries may be NULL
 * (alembic's None: walked past the graph) or GRAPH_BASE ("base"). */
struct rlist {
    const struct rev **v;
    size_t n, cap;
};

extern const struct rev graph_base_marker;
#define GRAPH_BASE (&graph_base_marker)

/* Internal return codes beside -1, so that callers can reword the message
 * as alembic's ScriptDirectory._catch_revision_errors() does. */
#define GR_EMULTI (-2)      /* MultipleHeads: message holds the argument */
#define GR_ERANGE (-3)      /* RangeNotAncestorError */

int rlist_push(struct rlist *l, const struct rev *r, struct err *e);
int rlist_has(const struct rlist *l, const struct rev *r);
void rlist_release(struct rlist *l);

struct rev *graph_find_id(const struct graph *g, const char *id);
struct rev *graph_find_label(const struct graph *g, const char *label);
const struct node *graph_node(const struct graph *g, const struct rev *r);

/* Edge directions of alembic's traversals. */
enum gdir {
    GD_DOWN,            /* _versioned_down_revisions */
    GD_NORM_DOWN,       /* _normalized_down_revisions (include_dependencies) */
    GD_ALL_DOWN,        /* _all_down_revisions */
    GD_NEXT,            /* nextrev */
    GD_ALL_NEXT,        /* _all_nextrev */
};

/* alembic's _iterate_related_revisions(): iterative depth-first walk from
 * targets (NULL and GRAPH_BASE entries are skipped), LIFO, marking seen[]
 * (n bytes, caller-zeroed) and appending each revision as it is first
 * reached to out (may be NULL).  check: "Requested revision X overlaps
 * with other requested revisions Y". */
int graph_related(const struct graph *g, enum gdir d, const struct rev *const *targets,
                  size_t n_targets, unsigned char *seen, struct rlist *out, int check,
                  struct err *e);

/* Same as graph_related() into a fresh calloc'ed mark array (caller frees). */
unsigned char *graph_closure(const struct graph *g, enum gdir d,
                             const struct rev *const *targets, size_t n_targets,
                             struct err *e);

/* A target as alembic receives it: a single string (the relative grammar
 * applies) or a tuple of strings; n == 0 is None / (). */
struct spec {
    const char *const *v;
    size_t n;
    int is_str;
};

int graph_get_revisions(const struct graph *g, const struct spec *s, struct rlist *out,
                        struct err *e);
int graph_get_revision(const struct graph *g, const char *id, const struct rev **out,
                       struct err *e);
int graph_filter_lineage(const struct graph *g, const struct rev *const *targets, size_t n,
                         const char *check_against, int include_deps, struct rlist *out,
                         struct err *e);

/* alembic's RevisionMap.iterate_revisions(upper, lower, ...). */
#define GI_INCLUSIVE 0x1u
#define GI_IMPLICIT_BASE 0x2u
#define GI_DOWNGRADE 0x4u            /* select_for_downgrade */
#define GI_NO_ASSERT_LENGTH 0x8u     /* assert_relative_length=False */
int graph_iterate_spec(const struct graph *g, const struct spec *upper,
                       const struct spec *lower, unsigned flags, struct rlist *out,
                       struct err *e);

#endif
