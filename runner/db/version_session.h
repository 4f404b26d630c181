/* version_session.h -- a short session on the version and history tables
 * for the commands that only read them (current, history, show, validate,
 * repair): an event loop, a connection, and the tables' names resolved
 * once for that connection (versions_resolve(); reading the heads does
 * it in the same round trip as the read, versions_load()).
 *
 * Reading the tables is versions.c's and history.c's; printing is the
 * commands'; the migration lock, when a command needs it, is mlock.c's. */
#ifndef RUNNER_VERSION_SESSION_H
#define RUNNER_VERSION_SESSION_H

#include <stddef.h>
#include <uv.h>

#include "err.h"
#include "graph.h"
#include "history.h"
#include "pg.h"
#include "versions.h"

/* Caller-allocated and must not move while open (db borrows loop). */
struct version_session {
    uv_loop_t loop;
    int loop_open;              /* loop initialised: version_session_close() closes it */
    struct pg db;
    struct versions v;          /* resolved for db */
};

/* Connect to url (NULL: libpq's PG* environment) and resolve the names
 * (schema NULL: found through the search_path; table names NULL: the
 * defaults).  On failure *s is closed already; either way
 * version_session_close() is safe. */
int version_session_open(struct version_session *s, const char *url, const char *schema,
                         const char *table, const char *history_table, struct err *e);
void version_session_close(struct version_session *s);

/* Open, read the heads (the version table's rows; a missing table means
 * none), check each is a revision of g when g is not NULL, close.  Caller
 * frees with versions_ids_free(). */
int version_session_read_heads(const char *url, const char *schema, const char *table,
                               const char *history_table, const struct graph *g, char ***ids,
                               size_t *n, struct err *e);

/* Open, read the history table oldest first (out->missing when there is
 * none), close.  Caller releases with history_log_release(). */
int version_session_read_history(const char *url, const char *schema, const char *table,
                                 const char *history_table, struct history_log *out,
                                 struct err *e);

#endif
