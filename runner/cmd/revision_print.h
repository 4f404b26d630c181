/* revision_print.h -- how revisions are printed: alembic's one-line and log-entry
 * forms (Revision._head_only() and log_entry in alembic/script/base.py),
 * and the --json form.  Used by heads, branches, history, show, current. */
#ifndef RUNNER_REVISION_PRINT_H
#define RUNNER_REVISION_PRINT_H

#include <stdio.h>

#include "graph.h"

#define REVFMT_BRANCHES   (1u << 0)   /* " (label, ...)" */
#define REVFMT_DOC        (1u << 1)   /* ", <message>" */
#define REVFMT_PARENTS    (1u << 2)   /* "<down> -> " before the id */
#define REVFMT_TREE       (1u << 3)   /* " (branchpoint)", " (mergepoint)" */
#define REVFMT_HEADS      (1u << 4)   /* " (head)", " (effective head)", " (current)" */

/* One line, no newline. */
void revfmt_line(FILE *out, const struct rev *r, unsigned flags, int is_current);
/* alembic's verbose entry: "Rev: ...", "Parent: ...", ..., "Path: ...",
 * the indented docstring, ending with a blank line. */
void revfmt_entry(FILE *out, const struct rev *r, int is_current);
/* A JSON object, no newline. */
void revfmt_json(FILE *out, const struct rev *r, int is_current);

/* "a, b" of the down revisions, or "<base>". */
void revfmt_down(FILE *out, const struct rev *r);

/* Is r an id among current[0..n)? */
int revfmt_in(const struct rev *r, const char *const *current, size_t n);

#endif
