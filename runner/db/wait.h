/* wait.h -- wait until a PostgreSQL server accepts connections.
 *
 * For container entrypoints where the database starts alongside the
 * service: `runner wait` and `runner upgrade --wait S`.  Each attempt is
 * pg_open() on the url and then `SELECT 1`; between attempts a uv timer
 * on the caller's loop waits an exponential backoff with jitter (100 ms
 * doubling up to interval_max, +-25%; backoff.c's arithmetic), never
 * sleep().  A server that is
 * starting up or shutting down (SQLSTATE 57P03), refuses connections, is
 * not resolvable yet or has no socket yet counts as "not yet"; a
 * rejection that retrying cannot cure (authentication 28P01/28000, unknown
 * database 3D000, a malformed url) fails at once.  Connecting itself is
 * pg.c's; this file only decides when to try again. */
#ifndef RUNNER_WAIT_H
#define RUNNER_WAIT_H

#include <stdint.h>
#include <uv.h>

#include "err.h"

#define WAIT_TIMEOUT_DEFAULT 60.0       /* seconds, `runner wait` without --timeout */
#define WAIT_INTERVAL_FIRST 0.1         /* seconds, the first backoff delay */
#define WAIT_INTERVAL_MAX_DEFAULT 2.0   /* seconds, the backoff's ceiling */
#define WAIT_JITTER 0.25                /* each delay is scaled by 1 +- this */
#define WAIT_ATTEMPT_TIMEOUT_MAX 10     /* seconds, connect_timeout of one attempt */

struct wait_opts {
    double timeout_s;           /* give up after this long; <= 0: never */
    double interval_max_s;      /* backoff ceiling, > 0 */
    int quiet;                  /* no progress lines on stderr */
    const int *interrupted;     /* borrowed, optional: set (by a signal watcher's callback
                                 * on the same loop) to stop waiting at once */
};

#define WAIT_OPTS_INIT { WAIT_TIMEOUT_DEFAULT, WAIT_INTERVAL_MAX_DEFAULT, 0, NULL }

/* Wait for the server of `url` (URI or conninfo, NULL or "": libpq's PG*
 * environment) on `loop` (borrowed; left with no handle of ours).
 * Prints one progress line per failed attempt to stderr unless quiet,
 * naming host, port and database, never the password.  Returns 0 when
 * the server answered `SELECT 1`, else -1 with *e set: on timeout
 * "database <where> not ready after N s (K attempts): <last reason>";
 * when *o->interrupted is set, "interrupted while waiting for database
 * <where>" (SQLSTATE 57014). */
int wait_db(uv_loop_t *loop, const char *url, const struct wait_opts *o, struct err *e);

/* wait_db() with the default backoff: what `upgrade --wait S` calls. */
int wait_for_db(uv_loop_t *loop, const char *url, double timeout_s, int quiet, struct err *e);

/* 1 when a failed attempt with this message (as pg_open() reports it) and
 * SQLSTATE ("" or NULL when unknown) cannot succeed by retrying. */
int wait_is_permanent(const char *msg, const char *sqlstate);

/* The reason part of a pg_open() error, shortened for a progress line
 * ("connection refused", "the database system is starting up"), into
 * buf. */
void wait_reason(const char *msg, char *buf, size_t size);

/* Delay in ms before attempt `attempt` + 1 (attempt >= 1), given a uniform
 * `u` in [0, 1): WAIT_INTERVAL_FIRST * 2^(attempt-1), capped at
 * interval_max_s, scaled by 1 + WAIT_JITTER * (2u - 1), capped again. */
uint64_t wait_backoff_ms(unsigned attempt, double interval_max_s, double u);

#endif
