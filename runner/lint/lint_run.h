/* lint_run.h -- `runner lint` on a range of revisions: each revision's
 * upgrade() rendered as --sql renders it (migrate_render_rev()), linted
 * with lint.h's rules, and each finding placed in the revision's source
 * file when it can be found (else the plugin).  Choosing the server
 * version, reading argv and printing are the CLI's (cmd_lint.c). */
#ifndef RUNNER_LINT_RUN_H
#define RUNNER_LINT_RUN_H

#include <stddef.h>

#include "err.h"
#include "graph.h"
#include "lint.h"

struct lint_run_opts {
    const struct graph *graph;  /* built and validated; borrowed */
    const char *range;          /* "a:b", "a:", ":b"; NULL: base to heads */
    const char *sources;        /* directory of revision sources; NULL: none */
    int pg_version;             /* server_version_num the advice is for */
    int run_lock_timeout;       /* the run sets lock_timeout itself */
};

struct lint_rev {
    const struct rev *rev;      /* borrowed from the graph */
    char *file;                 /* owned: the source when found, else the plugin */
    int in_source;              /* file is the source: lines are the source's */
    unsigned *file_lines;       /* owned: per finding, its line in file */
    struct lint_result result;  /* findings; their lines are in the rendered SQL */
};

struct lint_report {
    struct lint_rev *revs;      /* owned, in upgrade order */
    size_t n;
    size_t errors, warnings, silenced;
};

#define LINT_REPORT_INIT { NULL, 0, 0, 0, 0 }

/* Render and lint every upgrade step of the range, oldest first.  Errors
 * name the revision and its file.  Caller releases with
 * lint_report_release(), whatever the result. */
int lint_run(const struct lint_run_opts *o, struct lint_report *r, struct err *e);

void lint_report_release(struct lint_report *r);

/* The 1-based line of `sql_stmt` (a statement lint found) in the source
 * text `src`: the line holding the statement's first words as written
 * in a string literal, else the line of upgrade()'s definition, else 1. */
unsigned lint_source_line(const char *src, const char *sql_stmt);

#endif
