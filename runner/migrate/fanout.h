/* fanout.h -- one upgrade/downgrade across many databases from one
 * process: `--url` given more than once, or `--targets FILE`.
 *
 * At most `jobs` databases are migrated at a time, each by its own worker
 * thread running a whole migrate() (its own uv loop, connection and
 * migration lock: pg.c's synchronous API runs a loop per call, so one
 * loop per thread is the simple correct shape).  Workers share `base`
 * (and its graph) read only; each writes only its own target's slot, which the main thread
 * reads after joining.  Lines of a database are prefixed "[n/total] ";
 * the summary (database with its password masked, its tenant schema,
 * status, revisions applied, duration, error) goes to `out` at the end.  After
 * SIGINT/SIGTERM every running database rolls back its current revision
 * and no further database is started ("not started"). */
#ifndef RUNNER_FANOUT_H
#define RUNNER_FANOUT_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "fanout_targets.h"

struct migrate_opts;

/* Migrate every target with `base` (its url, schema, prefix, progress
 * and result are set per target; the list is fanout_targets.h's).
 * Several workers may run the same plugin's upgrade()/downgrade() at
 * once, each on its own database: plugins must be reentrant (see
 * plugin.h).  The summary goes to `out`: a table, or with `json` one
 * JSON array with one object per target ({"target", "schema", "status",
 * "applied", "duration_s", "error"}).  Returns 0 when all succeeded; else
 * -1 with *e naming the failed databases and why ("2 of 20 databases
 * failed: ...").  *signum receives a signal that interrupted any of them
 * (else 0). */
int fanout_run(const struct migrate_opts *base, const struct fanout_target *targets, size_t n,
               int jobs, int json, FILE *out, int *signum, struct err *e);

#endif
