/* revision_source.h -- writes a new revision source file from runner's template,
 * the C counterpart of alembic's script.py.mako.  No graph logic here: the
 * caller (cmd_revision.c) has already resolved the down revisions.  The
 * file is written to a temporary name and renamed, so a failure never
 * leaves a half-written revision behind. */
#ifndef RUNNER_REVISION_SOURCE_H
#define RUNNER_REVISION_SOURCE_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

struct revision_spec {
    const char *id;                 /* NULL: 12 random hex characters */
    const char *message;            /* may be NULL or empty */
    const char *const *down;        /* down revisions; none: a new base */
    size_t n_down;
    const char *const *labels;      /* branch labels */
    size_t n_labels;
    const char *const *deps;        /* depends_on */
    size_t n_deps;
    const char *upgrade_body;       /* C statements; NULL: the empty template */
    const char *downgrade_body;
    const char *dir;                /* where the file goes */
    int no_transaction;             /* .flags = RUNNER_NO_TRANSACTION */
};

/* Validate an id as alembic's Script.verify_rev_id does (and that it fits
 * the 32-character version_num). */
int revision_check_id(const char *id, struct err *e);

/* "Add users table" -> "add_users_table", alembic's slug (ASCII words,
 * truncated to 40 characters at a word boundary).  Caller frees. */
char *revision_slug(const char *message);

/* 12 random hex characters into buf[13]. */
int revision_new_id(char buf[13], struct err *e);

/* Write <dir>/<id>_<slug>.c; *path_out (caller frees) names it. */
int revision_write(const struct revision_spec *s, char **path_out, struct err *e);

#endif
