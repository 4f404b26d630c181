/* tempdb.h -- disposable databases for `runner test`: a throwaway
 * database on an existing server, or a private cluster of its own.
 *
 *   tempdb_create()   CREATE DATABASE runner_test_<random> on the server of
 *                     `server_url`; tempdb_drop() drops it again (WITH
 *                     (FORCE): a session left behind does not keep it);
 *   tempdb_cluster_start()  initdb + pg_ctl start from the installed server
 *                     binaries ($PG_BINDIR, else the newest
 *                     /usr/lib/postgresql/N/bin, else pg_ctl on PATH), in a
 *                     fresh temporary directory, listening on a Unix socket
 *                     there only (listen_addresses = ''), fsync off; as root
 *                     the server runs as user "postgres" (PostgreSQL refuses
 *                     root); tempdb_cluster_stop() stops it (immediate) and
 *                     removes the directory.
 *
 * The caller makes sure the drop or stop runs on every path, signals
 * included; both are safe to call on a struct that was never started.
 * Child processes are waited for here; a signal arriving meanwhile stays
 * pending for the caller's watcher. */
#ifndef RUNNER_TEMPDB_H
#define RUNNER_TEMPDB_H

#include <stddef.h>
#include <uv.h>

#include "err.h"

struct tempdb {
    char name[64];              /* runner_test_<hex>, "" until created */
    char *server_url;           /* owned copy; NULL: libpq's PG* environment */
    char *url;                  /* owned: the new database's conninfo */
};

#define TEMPDB_INIT { "", NULL, NULL }

int tempdb_create(struct tempdb *t, uv_loop_t *loop, const char *server_url, struct err *e);
/* Drop the database when it was created; frees the strings. */
int tempdb_drop(struct tempdb *t, uv_loop_t *loop, struct err *e);

/* The same drop, blocking (plain libpq, no loop), for a signal watcher's
 * exit hook (signals.h); keeps the strings, which tempdb_drop() frees.
 * Failures are ignored: the process is about to exit. */
void tempdb_drop_now(struct tempdb *t);

struct tempdb_cluster {
    char dir[256];              /* the temporary directory, "" until made */
    char bindir[256];           /* initdb and pg_ctl live here */
    char *url;                  /* owned: conninfo of database "postgres" there */
    int started;                /* pg_ctl start succeeded */
};

#define TEMPDB_CLUSTER_INIT { "", "", NULL, 0 }

int tempdb_cluster_start(struct tempdb_cluster *c, struct err *e);
void tempdb_cluster_stop(struct tempdb_cluster *c);

/* `url` (URI or conninfo, NULL: the environment) with dbname replaced by
 * `dbname`, as a conninfo string.  Caller frees; NULL with *e on error. */
char *tempdb_url_with_dbname(const char *url, const char *dbname, struct err *e);

#endif
