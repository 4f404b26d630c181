/* pg_prepared.h -- a read that runs often on one session, planned once.
 *
 * The catalog reads of `runner test` run twice per revision; planning
 * them costs more than running them (a 20 ms plan for a 2 ms query).
 * pg_query_prepared() runs a statement without parameters as a named
 * server-side prepared statement ("<prefix>_<hash of the text>"), PREPAREd
 * on first use in the session (found in pg_prepared_statements), so the
 * server plans it once (a generic plan, from the sixth run on, for a
 * statement with parameters).  Call it outside a transaction or in one that may
 * see the PREPARE (with `known`, a statement that turns out not to be
 * prepared yet fails with 26000 and is then prepared: outside a
 * transaction only); the statement lives until the session ends. */
#ifndef RUNNER_PG_PREPARED_H
#define RUNNER_PG_PREPARED_H

#include "err.h"
#include "pg.h"

/* known: the caller knows this session has prepared it already (a round
 * trip less: on a busy machine a round trip costs more than the read). */
int pg_query_prepared(struct pg *db, const char *prefix, const char *sql, int known,
                      struct pg_rows *out, struct err *e);

/* The same for a statement with text parameters $1..$n, whose types the
 * statement's casts give ($1::oid[]); NULL params: SQL NULL. */
int pg_query_prepared_params(struct pg *db, const char *prefix, const char *sql, int known,
                             int n_params, const char *const *params, struct pg_rows *out,
                             struct err *e);

#endif
