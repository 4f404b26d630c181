/* graph.h -- the revision DAG with Alembic 1.8 semantics.
 *
 * Pure code: no database, no dlopen, no file I/O.  It is fed plain
 * struct runner_revision values (read by the loader, scan.c, or written by hand in the
 * unit tests), validates them, and answers the questions every command
 * asks: heads, bases, what a target string names, the ordered steps from a
 * set of current versions to a target, and how each step changes the
 * version table.  Alembic's script/revision.py is the reference; where we
 * match one of its behaviours the code says which. */
#ifndef RUNNER_GRAPH_H
#define RUNNER_GRAPH_H

#include <stddef.h>

#include <runner/plugin.h>

#include "err.h"

struct graph;   /* opaque; graph.c */

/* One revision.  Owned by the graph; pointers valid until graph_free(). */
struct rev {
    struct runner_revision meta;    /* copy of the plugin's metadata */
    const char *id;                 /* == meta.revision */
    char *path;                     /* file the metadata came from ("" in tests) */
    struct rev **down;              /* down revisions (merge: several) */
    size_t n_down;
    struct rev **deps;              /* depends_on, resolved */
    size_t n_deps;
    struct rev **next;              /* children through down_revision */
    size_t n_next;
    const char **labels;            /* own and inherited branch labels (alembic propagates them) */
    size_t n_labels;
    size_t index;                   /* insertion order, for stable output */
    size_t n_all_next;              /* children through down_revision or depends_on */
    uint64_t file_dev, file_ino;    /* the file at path the scan checked; 0: none (tests) */
    int file_unsafe_ok;             /* the scan took it with --allow-unsafe-plugins */
};

/* Direction and version-table effect of one step, as alembic's
 * HeadMaintainer.update_to_step() applies it. */
enum step_vt {
    VT_UPDATE,      /* UPDATE ... SET version_num = to WHERE version_num = from */
    VT_INSERT,      /* new branch: INSERT to */
    VT_DELETE,      /* branch gone: DELETE from */
    VT_MERGE,       /* DELETE every id in del[], then UPDATE from -> to */
    VT_UNMERGE,     /* INSERT every id in ins[], then UPDATE from -> to */
};

struct step {
    const struct rev *rev;          /* the revision whose upgrade/downgrade runs */
    int upgrade;                    /* 1: upgrade(), 0: downgrade() */
    enum step_vt vt;
    const char *from;               /* VT_UPDATE/VT_DELETE/VT_MERGE/VT_UNMERGE (a stamp's
                                     * VT_INSERT: the head alembic logs, unused) */
    const char *to;                 /* VT_UPDATE/VT_INSERT/VT_MERGE/VT_UNMERGE */
    const char **del;               /* VT_MERGE: further rows to delete */
    size_t n_del;
    const char **ins;               /* VT_UNMERGE: further rows to insert */
    size_t n_ins;
};

struct plan {
    struct step *steps;             /* in execution order */
    size_t n_steps;
    /* owned strings/arrays backing the steps live here too */
    void *priv;
};

/* Heap-allocated; caller frees with graph_free(). */
struct graph *graph_new(void);
void graph_free(struct graph *g);

/* Copy *meta (and path, which may be NULL) into the graph.  Duplicate ids
 * are reported here, naming both files. */
int graph_add(struct graph *g, const struct runner_revision *meta, const char *path,
              struct err *e);

/* Link and validate: dangling down_revision/depends_on ("Can't locate
 * revision identified by '<id>'"), self-loops and cycles ("Cycle is
 * detected in revisions (a, b)"), duplicate branch labels ("Branch name
 * 'x' in revision b already used by revision a"); each message names the
 * files.  Must succeed before any query below; graph_add() after a build
 * drops it until the next graph_build().  O(n) for a graph without
 * depends_on (under 10 ms for 10 000 revisions); nothing recurses. */
int graph_build(struct graph *g, struct err *e);

/* Record which file (st_dev, st_ino) revision i was read from, so that the
 * file opened to run it can be compared with the one the scan checked
 * (plugin_open_rev()). */
void graph_set_file(struct graph *g, size_t i, uint64_t dev, uint64_t ino, int unsafe_ok);

size_t graph_count(const struct graph *g);
const struct rev *graph_at(const struct graph *g, size_t i);   /* insertion order */

/* Exact id, then label, then unique prefix (ambiguous: error listing the
 * candidates).  Borrowed result. */
int graph_lookup(const struct graph *g, const char *id, const struct rev **out,
                 struct err *e);

/* Exactly the revision with this id (no label, no prefix), NULL when none:
 * the version table holds full ids, and alembic reads them exactly.  The
 * graph's hash index, O(1).  Borrowed result. */
const struct rev *graph_find(const struct graph *g, const char *id);

/* Arrays below are the caller's to free() (free(*out)); the revisions are
 * the graph's. */
/* alembic's heads: revisions no down_revision names (`heads`). */
int graph_heads(const struct graph *g, const struct rev ***out, size_t *n, struct err *e);
/* Revisions nothing names, depends_on included (`heads --resolve-dependencies`,
 * and what the target "heads" means). */
int graph_real_heads(const struct graph *g, const struct rev ***out, size_t *n, struct err *e);
int graph_bases(const struct graph *g, const struct rev ***out, size_t *n, struct err *e);
/* Revisions with more than one child (alembic's branchpoints). */
int graph_branchpoints(const struct graph *g, const struct rev ***out, size_t *n,
                       struct err *e);

/* Resolve a target string (head, heads, base, id, prefix, label, label@head,
 * label@base, label@rev, +N, -N, rev+N, rev-N, heads-1, label@+N,
 * label@-N, current ...) against the current versions (may be empty).  An
 * empty result means base.  Errors are alembic's command-line messages
 * ("Can't locate revision identified by 'x'", "Multiple head revisions
 * are present for given argument 'head'; ...", "Relative revision -3
 * didn't produce 3 migrations"), except that an ambiguous prefix lists
 * its candidates ("Multiple revisions start with 'ae': 'ae10', 'ae27'...").
 * The internals (iteration with alembic's flags) are in graph_int.h. */
int graph_resolve(const struct graph *g, const char *target, const char *const *current,
                  size_t n_current, const struct rev ***out, size_t *n, struct err *e);

/* The ids a range's start denotes ("a" of "a:b", as `--sql` and `lint`
 * take it): none for NULL, "" or base, else graph_resolve() with no
 * current versions.  *ids points into the graph's revisions; the caller
 * frees the array (not the strings). */
int graph_resolve_ids(const struct graph *g, const char *start, const char ***ids, size_t *n,
                      struct err *e);

/* Revisions for `history`, newest first, in alembic's order.  `range` is
 * NULL for all, or "a:b", "a:", ":b" with the target grammar above
 * (current, used for "current" and relative forms, may be empty). */
int graph_history(const struct graph *g, const char *range, const char *const *current,
                  size_t n_current, const struct rev ***out, size_t *n, struct err *e);

/* Close a set under ancestry: in[] (graph_count(g) bytes, by rev->index)
 * gains every ancestor, through down_revision and depends_on, of each
 * revision it marks.  Iterative: a 10 000-deep chain is fine. */
int graph_mark_ancestors(const struct graph *g, unsigned char *in, struct err *e);

/* `current`: the revisions the version table's rows `ids` imply, as
 * alembic's ScriptDirectory.get_all_current() computes them: the rows and
 * every ancestor through down_revision and depends_on, reduced to the
 * branch heads (a row depending on another branch's revision brings that
 * revision in).  An id not in the graph: "Can't locate revision identified
 * by ...".  *out is the caller's to free(); the revisions are the graph's. */
int graph_all_current(const struct graph *g, const char *const *ids, size_t n_ids,
                      const struct rev ***out, size_t *n, struct err *e);

/* Steps from the current versions to `target`, upgrading or downgrading,
 * in alembic's order, each with the version-table effect alembic's
 * HeadMaintainer would apply from `current`.  alembic's errors for
 * ambiguous multiple heads and for a downgrade target that is not below
 * the current heads ("Destination x is not a valid downgrade target from
 * current head(s)"); like alembic 1.8, upgrading to a revision already
 * applied is no step at all, not an error.  Caller frees with plan_free(). */
int graph_plan_upgrade(const struct graph *g, const char *const *current, size_t n_current,
                       const char *target, struct plan *out, struct err *e);
int graph_plan_downgrade(const struct graph *g, const char *const *current,
                         size_t n_current, const char *target, struct plan *out,
                         struct err *e);
/* `stamp`: version-table changes only (steps with rev possibly NULL and
 * upgrade meaning nothing); purge handled by the caller. */
int graph_plan_stamp(const struct graph *g, const char *const *current, size_t n_current,
                     const char *target, struct plan *out, struct err *e);
/* `stamp a b ...`: several targets at once (alembic 1.2+); n_targets == 0
 * is base. */
int graph_plan_stamp_multi(const struct graph *g, const char *const *current, size_t n_current,
                           const char *const *targets, size_t n_targets, struct plan *out,
                           struct err *e);
void plan_free(struct plan *p);

/* alembic's flags for output.  rev_is_head: alembic's is_head (no child
 * through down_revision);
 * rev_is_real_head: no child at all.  alembic prints "(head)" for a real
 * head and "(effective head)" for a head that is not a real one. */
int rev_is_head(const struct rev *r);
int rev_is_real_head(const struct rev *r);
int rev_is_base(const struct rev *r);
int rev_is_branchpoint(const struct rev *r);
int rev_is_mergepoint(const struct rev *r);

#endif
