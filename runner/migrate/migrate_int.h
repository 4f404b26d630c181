/* migrate_int.h -- private to the migrate module (migrate.c, steps.c,
 * offline.c): the words of a step's log line and the planning shared by
 * the online and offline paths.  Nothing outside runner/migrate includes
 * it. */
#ifndef RUNNER_MIGRATE_INT_H
#define RUNNER_MIGRATE_INT_H

#include "migrate.h"

struct pg;
struct versions;

/* The words of alembic's MigrationStep.__str__: name, from, to, doc. */
struct step_words {
    const char *name;           /* "upgrade", "downgrade", "stamp_revision" */
    char from[RUNNER_MAX_REFS * (RUNNER_ID_SIZE + 2)];
    char to[RUNNER_MAX_REFS * (RUNNER_ID_SIZE + 2)];
    const char *doc;            /* borrowed from the graph; "" for stamps */
};

void migrate__describe(const struct step *s, int stamp, struct step_words *w);

/* "Running upgrade ae10 -> 27c6, Add users table (12 ms)"; ms < 0: no time */
void migrate__log_step(const struct migrate_opts *o, const struct step_words *w, long long ms);

/* The revision's plugin file for messages, "(no file)" when unknown. */
const char *migrate__rev_file(const struct rev *r);

/* Plan o->kind from heads to target with graph.c. */
int migrate__plan(const struct graph *g, const struct migrate_opts *o,
                  const char *const *heads, size_t n, const char *target, struct plan *p,
                  struct err *e);

/* Open a transaction on `db`: BEGIN queued to ride with the next
 * statement (pg_lead), with --statement-timeout and --lock-timeout as SET
 * LOCAL in table lock mode (a transaction pooler's). */
int migrate__begin(struct pg *db, const struct migrate_opts *o, struct err *e);

/* A timeout of secs (> 0) in whole milliseconds, at least 1 (0 would
 * mean none to the server). */
long migrate__timeout_ms(double secs);

/* "SET [LOCAL ]<name> = '<ms>ms'" for that timeout, into buf. */
void migrate__timeout_set(char *buf, size_t size, int local, const char *name, double secs);

/* Stamp: version-table changes only, one transaction (or the outer one
 * when in_tx). */
int migrate__stamp_steps(struct pg *db, const struct versions *v, const struct plan *p,
                         const struct migrate_opts *o, int in_tx, struct err *e);

/* The --sql path: plan the range "a:b" (or from base) and render it. */
int migrate__offline(const struct versions *v, const struct migrate_opts *o, struct err *e);

#endif
