/* versions_load.h -- the session's first read, in one round trip.
 *
 * What a run (and `runner current`) needs from the database before it
 * can decide anything, sent as ONE simple-protocol message whose
 * statements the server runs in order, each result read in turn:
 *
 *   1. the tenant's search_path (its schema alone) and whether the
 *      schema exists, when a tenant is given;
 *   2. the session's SET statements (keepalive, timeouts), when any;
 *   3. 1 and 2 inside BEGIN ... COMMIT: a script is one implicit
 *      transaction, and the later reads may fail (see below), which must
 *      not undo them (a COMMIT of the implicit block alone would draw
 *      "there is no transaction in progress");
 *   4. versions_resolve()'s resolution: the schema of the version table
 *      the search_path finds (else current_schema()), the oids of the
 *      version table, of the history table the search_path finds, and
 *      of the history table in the version table's schema;
 *   5. the version table's columns (its layout);
 *   6. its rows, with the oid of the table they came from;
 *   7. the history table's successful rows (validate.c's checksum
 *      check), with their table's oid, when asked.
 *
 * Why the unqualified reads (6, 7) read the resolved tables: they are
 * looked up through the same search_path as 4, in the same message, a
 * few microseconds later (today's two round trips had the same window,
 * only longer), and every row carries its table's oid, which must be the
 * one 4 resolved; a mismatch (a same-named table created in between in
 * an earlier schema of the path, or a history table the path finds in
 * another schema than the version table's) falls back to the qualified
 * read, an extra round trip only then.  A configured schema
 * (--version-schema) needs no resolution and 6, 7 use qualified names.
 *
 * Failures: a missing table makes its read fail and the server skips the
 * rest of the script; that is the expected end of a first run's message
 * (no version table: no heads, nothing to check) or of a database whose
 * history table is missing (every revision unrecorded).  Any other
 * failure, and a failure of a read whose table 4 found, is reported as
 * the statement's error; a layout that is not Alembic's is reported as
 * versions_read() reports it, whatever 6 did.
 *
 * Later reads of the same tables (after the migration lock) are
 * versions_read()'s; checking the checksums is validate.c's. */
#ifndef RUNNER_VERSIONS_LOAD_H
#define RUNNER_VERSIONS_LOAD_H

#include <stddef.h>

#include "err.h"
#include "pg.h"
#include "versions.h"

/* One of the session's settings: statements sent in step 2. */
struct versions_load_set {
    const char *sql;            /* ;-separated statements, none empty */
    size_t n_stmts;             /* how many statements sql holds */
    const char *what;           /* its error's prefix, e.g. "--keepalive" */
};

struct versions_load_opts {
    const char *tenant;         /* schema for the search_path; NULL: none */
    const struct versions_load_set *sets;   /* borrowed, n_sets of them */
    size_t n_sets;
    int heads;                  /* read the version table's rows */
    int history;                /* and the history rows (only when there are heads) */
};

#define VERSIONS_LOAD_OPTS_INIT { NULL, NULL, 0, 0, 0 }

/* What the message found.  versions_loaded_release() frees it. */
struct versions_loaded {
    char **heads;               /* the version table's rows (versions_ids_free()) */
    size_t n_heads;
    struct pg_rows history;     /* id, revision, checksum, direction, table oid */
    int history_read;           /* history holds the rows (asked, heads, table there) */
    int round_trips;            /* messages sent: 1, or 2 after a fallback */
};

#define VERSIONS_LOADED_INIT { NULL, 0, PG_ROWS_INIT, 0, 0 }

/* Run the message on db and resolve *v (versions_init()ed, not yet
 * resolved) from it.  Errors are versions_resolve()'s, versions_read()'s
 * and validate.c's history read's, with the same messages; a tenant
 * schema that does not exist is "schema '<s>' does not exist". */
int versions_load(struct versions *v, struct pg *db, const struct versions_load_opts *o,
                  struct versions_loaded *out, struct err *e);
void versions_loaded_release(struct versions_loaded *l);

#endif
