/* backoff.h -- the one jittered exponential backoff and its PRNG, for
 * every loop that waits between attempts: polling the migration lock
 * (mlock.c), waiting for the server (wait.c), retrying a revision that
 * failed on lock_timeout (migrate).  Pure arithmetic: the waiting itself
 * (a uv timer) is the caller's. */
#ifndef RUNNER_BACKOFF_H
#define RUNNER_BACKOFF_H

#include <stdint.h>

/* Caller-allocated; backoff_init() fills it.  No resources: nothing to
 * release. */
struct backoff {
    double first_ms;            /* delay before attempt 2 */
    double max_ms;              /* the doubling stops here */
    double jitter;              /* each delay scaled by 1 +- this (0.25: +-25 %) */
    int hard_cap;               /* the jittered delay is capped at max_ms again */
    uint64_t state;             /* xorshift64* state, never 0 */
};

/* seed 0: one from the clock, the pid and the struct's address (replicas
 * starting together must not poll in step). */
void backoff_init(struct backoff *b, double first_ms, double max_ms, double jitter,
                  int hard_cap, uint64_t seed);

/* Delay in ms before attempt + 1 (attempt >= 1) given u in [0, 1):
 * first_ms * 2^(attempt-1) capped at max_ms, scaled by
 * 1 + jitter * (2u - 1), capped again when hard_cap, rounded to the
 * nearest ms and at least 1.  u = 0.5 is the delay without jitter. */
uint64_t backoff_delay_ms(const struct backoff *b, unsigned attempt, double u);

/* backoff_delay_ms() with u drawn from b's PRNG. */
uint64_t backoff_next_ms(struct backoff *b, unsigned attempt);

/* xorshift64*: uniform in [0, 1), advancing *state (jitter only: not for
 * anything that needs unpredictability). */
double backoff_uniform(uint64_t *state);

#endif
