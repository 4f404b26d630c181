/* itrust.h -- helpers of the trust suites (test_validate.c,
 * test_hostile.c): a scratch project (sources and plugin directory) per
 * test, revision sources written from the test, and the real runner run
 * with an argv of its own (arguments may hold blanks, quotes, newlines). */
#ifndef RUNNER_ITRUST_H
#define RUNNER_ITRUST_H

#include <stddef.h>

#include "itest.h"

/* A scratch project: <tmp>/trust-XXXXXX/{revisions,plugins}. */
struct it_project {
    char root[512];
    char sources[600];
    char plugins[600];
};

/* 0, or -1 (message printed). */
int it_project_new(struct it_project *p);
/* rm -rf the project. */
void it_project_remove(const struct it_project *p);

/* Write <sources>/<name> (a .c file) with `text`; 0 or -1. */
int it_project_write(const struct it_project *p, const char *name, const char *text);

/* A linear revision source: id, down revision (NULL: a base), upgrade
 * body (statements of a C function taking `op`; NULL: create table
 * trust_<id>).  Written as <id>.c; 0 or -1. */
int it_project_rev(const struct it_project *p, const char *id, const char *down,
                   const char *upgrade_body);

/* Run RUNNER_BIN --dir <plugins> --sources <sources> [--url url] argv...
 * (argv NULL-terminated).  Exit status as it_runner(): -1 when it did not
 * exit (killed by a signal). */
int it_project_run(struct it_run *r, const struct it_project *p, const char *url,
                   const char *const *argv);

#endif
