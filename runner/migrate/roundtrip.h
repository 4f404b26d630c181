/* roundtrip.h -- `runner test`: every revision upgrades, downgrades back to
 * exactly the schema it found, and upgrades again.
 *
 * On a database the caller made disposable (tempdb.h), roundtrip_run()
 * checks, in order, each as one case of the report:
 *
 *   graph      one head (or exactly the declared heads), every plugin loads;
 *   <rev>      for each revision from base (or o->from) to the heads, one at
 *              a time in the order `upgrade` would run them: snapshot the
 *              schema (snapshot.h; after the first, incremental: only what
 *              the steps touched is read again), run the revision's
 *              test_data() hook,
 *              upgrade, test_verify(), downgrade that one revision, compare
 *              with the snapshot, upgrade again, test_verify();
 *   models     at head, o->check_at_head (the models plugin), when given;
 *   downgrade  `downgrade base` (or to o->from), compared with the schema
 *              the walk started from.
 *
 * Steps run through migrate_steps() one at a time, each in its own
 * transaction with its version-table and history rows.  After a failed
 * upgrade the walk stops (later revisions are skipped); after a bad
 * downgrade it goes on when the revision upgrades again.  Connecting,
 * the disposable database and printing are the caller's. */
#ifndef RUNNER_ROUNDTRIP_H
#define RUNNER_ROUNDTRIP_H

#include <stddef.h>

#include "err.h"
#include "graph.h"
#include "strbuf.h"

struct ops_observer;
struct pg;
struct versions;

/* Optional hooks around the first upgrade of each revision (runner test
 * --locks, lockwatch.h): before() runs before its BEGIN (a failure fails
 * the revision's case), observer watches that upgrade's statements, and
 * after() runs once it has committed (ok) or rolled back (!ok). */
struct roundtrip_watch {
    int (*before)(void *arg, const struct rev *rev, struct err *e);
    void (*after)(void *arg, const struct rev *rev, int ok);
    const struct ops_observer *observer;
    void *arg;                          /* for before and after */
};

enum roundtrip_status {
    ROUNDTRIP_OK = 0,
    ROUNDTRIP_FAIL,
    ROUNDTRIP_SKIP,
};

struct roundtrip_case {
    const char *kind;           /* "graph", "revision", "models", "downgrade" (static) */
    char name[80];              /* "graph", the revision id, "models", "downgrade base" */
    const struct rev *rev;      /* kind "revision": the graph's; else NULL */
    enum roundtrip_status status;
    char *message;              /* owned: what failed, why skipped, or a note; may be NULL */
    double seconds;
};

/* What a run found.  Owned; roundtrip_report_release() frees it. */
struct roundtrip_report {
    struct roundtrip_case *cases;
    size_t n_cases;
    size_t n_failed;
    size_t n_skipped;
    size_t n_revisions;         /* revision cases */
    size_t n_snapshots;
    size_t n_full_snapshots;    /* of those, how many read everything */
    double snapshot_seconds;    /* time spent taking snapshots */
    double seconds;             /* the whole run */
};

#define ROUNDTRIP_REPORT_INIT { NULL, 0, 0, 0, 0, 0, 0, 0, 0 }

struct roundtrip_opts {
    const struct graph *graph;          /* built and validated */
    const struct versions *versions;    /* names of the version and history tables */
    const char *const *exclude;         /* table names the snapshots leave out */
    size_t n_exclude;
    const char *from;                   /* -r from:to; NULL: base */
    const char *to;                     /* NULL: "heads" */
    const char *const *heads;           /* declared heads; none: exactly one head */
    size_t n_heads;
    /* At head: 0 when the models match (a note may go to *msg), 1 when
     * they differ (what differs into *msg), -1 with *e on an error.  NULL:
     * the models case is skipped. */
    int (*check_at_head)(void *arg, struct strbuf *msg, struct err *e);
    void *arg;                          /* for check_at_head and on_case */
    void (*on_case)(void *arg, const struct roundtrip_case *c);  /* as each ends; may be NULL */
    const struct roundtrip_watch *watch;    /* may be NULL */
};

/* Run the checks on db.  Returns 0 when every check ran (the report says
 * which failed), -1 with *e when the run could not go on: a database
 * error outside a revision, or an interruption (db->interrupted, set by
 * the caller's signal watcher: "interrupted").  The report is filled in
 * both cases; the caller releases it. */
int roundtrip_run(struct pg *db, const struct roundtrip_opts *o, struct roundtrip_report *r,
                  struct err *e);
void roundtrip_report_release(struct roundtrip_report *r);

#endif
