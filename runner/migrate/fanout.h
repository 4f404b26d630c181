/* fanout.h -- one upgrade/downgrade across many databases from one
 * process: `--url` given more than once, or `--targets FILE`.
 *
 * At most `jobs` databases are migrated at a time, each by its own worker
 * thread running a whole migrate() (its own uv loop, connection and
 * migration lock: pg.c's synchronous API runs a loop per call, so one
 * loop per thread is the simple correct shape).  Workers share `base`
 * (and its graph) read only; each writes only its own target's slot, which the main thread
 * reads after joining.  Lines of a database are prefixed "[n/total] ";
 * the summary table (database with its password masked, status,
 * revisions applied, duration, error) goes to `out` at the end.  After
 * SIGINT/SIGTERM every running database rolls back its current revision
 * and no further database is started ("not started"). */
#ifndef RUNNER_FANOUT_H
#define RUNNER_FANOUT_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

struct migrate_opts;

/* Read a targets file: one URL per line, blank lines and '#' comments
 * skipped, surrounding whitespace trimmed.  Appends copies to *urls
 * (realloc'd; caller frees each and the array). */
int fanout_read_targets(const char *path, char ***urls, size_t *n, struct err *e);

/* Migrate every url with `base` (its url, prefix, progress and result
 * are set per database).  Several workers may run the same plugin's
 * upgrade()/downgrade() at once, each on its own database: plugins must
 * be reentrant (see plugin.h).  Returns 0 when all succeeded; else -1 with *e
 * naming the failed databases and why ("2 of 20 databases failed: ...").
 * *signum receives a signal that interrupted any of them (else 0). */
int fanout_run(const struct migrate_opts *base, char *const *urls, size_t n, int jobs,
               FILE *out, int *signum, struct err *e);

#endif
