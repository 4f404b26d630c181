/* autogen.h -- `revision --autogenerate` and `check`: the models plugin
 * against the live database.
 *
 * autogen.c ties the pieces together: models.c (the target schema),
 * introspect.c (the database's schema, over pg.c), diff.c (what differs,
 * in a valid order) and codegen.c (the op_* calls).  Writing the revision
 * file, "No changes detected" and --allow-empty stay with cmd_revision.c;
 * printing the differences and the exit status of `check` with
 * cmd_check.c. */
#ifndef RUNNER_AUTOGEN_H
#define RUNNER_AUTOGEN_H

#include <stdio.h>

#include "diff.h"
#include "err.h"
#include "graph.h"
#include "schema.h"

/* What autogenerate needs, filled by the command that runs it; all
 * borrowed.  The CLI builds it from its config; the library never reads
 * config, argv or the environment. */
/* Why a database is not at head, for `check` to list (autogen_opts.behind):
 * filled when the comparison is refused with "Target database is not up to
 * date.".  Release with autogen_behind_release(). */
struct autogen_behind {
    int refused;                    /* 1: the database is not at the graph's heads */
    const struct rev **pending;     /* what `upgrade heads` would run, in order; the
                                     * array is ours, the revisions the graph's */
    size_t n_pending;
    char **unknown;                 /* version-table rows no revision of the graph has;
                                     * owned */
    size_t n_unknown;
};

#define AUTOGEN_BEHIND_INIT { 0, NULL, 0, NULL, 0 }

void autogen_behind_release(struct autogen_behind *b);

struct autogen_opts {
    const char *url;                /* the database to compare with */
    const char *models;             /* the models plugin; NULL or "": a usage error */
    int allow_unsafe_plugins;       /* load it despite the trust check */
    const char *version_schema;     /* the version table's names, as for */
    const char *version_table;      /* versions_init() (NULL: defaults) */
    const char *history_table;
    const struct graph *graph;      /* NULL: skip the up-to-date check */
    FILE *log;                      /* the "Detected ..." lines; NULL: silent */
    struct autogen_behind *behind;  /* optional out: why the database is not at head */
};

/* Compare o->models with the database at o->url, print the "Detected
 * ..." lines to o->log (when set) and render the upgrade and
 * downgrade function bodies (C statements, indented, ending in
 * `return 0;`).  On success *upgrade_body and *downgrade_body are the
 * caller's to free (NULL when *n_changes is 0), *n_changes counts the
 * operations and *no_transaction is 1 when the revision must run outside
 * a transaction (codegen_needs_no_transaction()).  -1 with *e filled on failure (no models plugin configured,
 * a bad plugin, the database unreachable). */
int autogen_revision_body(const struct autogen_opts *o, char **upgrade_body, char **downgrade_body,
                          int *n_changes, int *no_transaction, struct err *e);

/* The comparison alone, for `check`: load the models into *model, read
 * the database into *db (both SCHEMA_INIT first) and diff them into *d
 * (DIFF_INIT first), whose ops borrow from the two schemas.  On success
 * the caller releases all three; on failure nothing is left to release. */
int autogen_compare(const struct autogen_opts *o, struct schema *model, struct schema *db,
                    struct diff *d, struct err *e);

/* Print the "Detected ..." lines of d to out; returns how many. */
int autogen_print(const struct diff *d, FILE *out);

#endif
