/* fanout_targets.h -- the list of databases (and tenant schemas) a
 * fan-out migrates: reading a targets file, `--schemas-from`, and
 * `--shard K/N`.  Running them is fanout.c's; connecting is pg.c's.
 *
 * A target is a connection string and, optionally, a schema: a targets
 * line "URL schema=tenant_42" names one tenant schema of that database.
 * A migration of a tenant runs with search_path set to that schema alone,
 * so the version and history tables are resolved there (versions.c) and
 * the migration lock is that schema's.
 *
 * Sharding splits the final list (after --schemas-from) by a stable hash:
 * target i belongs to shard FNV-1a 64(key) mod N, where the key is the
 * target's masked name, "user@host:port/dbname" (url_mask(): built from
 * the options libpq parses, no password, no environment defaults), with
 * " schema=NAME" appended for a tenant.  It depends on nothing but the
 * target itself: not its line number, not the other lines, not the
 * password (rotating one moves nothing), not the machine, process or
 * runner version (the hash is the lock key's, fixed).  So N pods reading
 * the same list split it into disjoint shares that together cover it, and
 * adding a line moves no other target to another shard. */
#ifndef RUNNER_FANOUT_TARGETS_H
#define RUNNER_FANOUT_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct fanout_target {
    char *url;                  /* owned; "" for libpq's PG* environment */
    char *schema;               /* owned; NULL: no tenant (the url's own search_path) */
};

/* A growing array; zero-initialise (FANOUT_TARGETS_INIT), release with
 * fanout_targets_release(). */
struct fanout_targets {
    struct fanout_target *items;
    size_t n;
};

#define FANOUT_TARGETS_INIT { NULL, 0 }

void fanout_targets_release(struct fanout_targets *ts);

/* Append copies of url (NULL: "") and schema (NULL or "": none). */
int fanout_targets_add(struct fanout_targets *ts, const char *url, const char *schema,
                       struct err *e);

/* One line of a targets file, trimmed, not blank and not a comment: the
 * url, and a last blank-separated word "schema=NAME" taken off it
 * ("schema" is no libpq keyword, so nothing else can mean it). */
int fanout_targets_add_line(struct fanout_targets *ts, const char *line, struct err *e);

/* Read a targets file: one target per line, blank lines and '#' comments
 * skipped, surrounding whitespace trimmed; appended to *ts. */
int fanout_read_targets(const char *path, struct fanout_targets *ts, struct err *e);

/* Replace every target without a schema by one target per row of
 * `query` (its first column) run on that database; targets that name a
 * schema stay.  A database whose query lists no schema contributes none.
 * Errors name the database (masked) and the server's message. */
int fanout_schemas_from(struct fanout_targets *ts, const char *query, struct err *e);

/* Parse "K/N" (0 <= K < N, N <= 100000; K is 0-based like Kubernetes'
 * JOB_COMPLETION_INDEX).  A usage error naming the text otherwise. */
int fanout_shard_parse(const char *s, unsigned *k, unsigned *n, struct err *e);

/* The hash key of a target (see the top of this file) into buf. */
void fanout_shard_key(const struct fanout_target *t, char *buf, size_t size);

/* The shard (0 .. n_shards - 1) that target t belongs to. */
unsigned fanout_shard_of(const struct fanout_target *t, unsigned n_shards);

/* Keep only the targets of shard k of n (order kept); frees the others. */
void fanout_targets_shard(struct fanout_targets *ts, unsigned k, unsigned n);

#endif
