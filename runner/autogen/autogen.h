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

#include "cli.h"
#include "diff.h"
#include "err.h"
#include "schema.h"

/* Compare ctx->cfg.models with the database at ctx->cfg.url, print the
 * "Detected ..." lines (unless ctx->quiet) and render the upgrade and
 * downgrade function bodies (C statements, indented, ending in
 * `return 0;`).  On success *upgrade_body and *downgrade_body are the
 * caller's to free (NULL when *n_changes is 0) and *n_changes counts the
 * operations.  -1 with *e filled on failure (no models plugin configured,
 * a bad plugin, the database unreachable). */
int autogen_revision_body(struct ctx *ctx, char **upgrade_body, char **downgrade_body,
                          int *n_changes, struct err *e);

/* The comparison alone, for `check`: load the models into *model, read
 * the database into *db (both SCHEMA_INIT first) and diff them into *d
 * (DIFF_INIT first), whose ops borrow from the two schemas.  On success
 * the caller releases all three; on failure nothing is left to release. */
int autogen_compare(struct ctx *ctx, struct schema *model, struct schema *db,
                    struct diff *d, struct err *e);

/* Print the "Detected ..." lines of d to out; returns how many. */
int autogen_print(const struct diff *d, FILE *out);

#endif
