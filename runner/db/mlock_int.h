/* mlock_int.h -- private to the migration lock (mlock.c, mlock_advisory.c,
 * mlock_lease.c): the function table each lock mode fills.  mlock.c owns
 * the polling, the messages and --lock-wait; a mode only answers "did I
 * get it now?", "who holds it?" and cleans up after itself.  Nothing
 * outside runner/db/mlock*.c includes it. */
#ifndef RUNNER_MLOCK_INT_H
#define RUNNER_MLOCK_INT_H

#include <stddef.h>

#include "mlock.h"

struct mlock_backend {
    const char *mode;           /* "session", "table": for messages */
    /* Mandatory.  Once, before the first attempt: session mode's pooling
     * probe, table mode's table and lease row identity. */
    int (*prepare)(struct mlock *l, const struct versions *v, const struct mlock_opts *o,
                   struct err *e);
    /* Mandatory.  One attempt, never waiting inside a statement: *got = 1
     * when taken.  A lock taken over from a holder that is gone writes a
     * line for the log into note ("" otherwise). */
    int (*try_take)(struct mlock *l, int *got, char *note, size_t note_size, struct err *e);
    /* Mandatory.  "pid 4242 (...)": the holder, for the progress lines. */
    void (*describe)(struct mlock *l, char *buf, size_t size);
    /* Optional.  Right after taking it (table: start the heartbeat). */
    int (*hold)(struct mlock *l, const struct mlock_opts *o, struct err *e);
    /* Optional.  See mlock_fence(). */
    int (*fence)(struct mlock *l, struct err *e);
    /* Optional.  See mlock_verify(): *held = 0 when the session lost it. */
    int (*verify)(struct mlock *l, int *held, struct err *e);
    /* Mandatory.  Best effort; only called while held. */
    void (*release)(struct mlock *l);
    /* Optional.  Free what prepare()/hold() made, held or not. */
    void (*clear)(struct mlock *l);
};

extern const struct mlock_backend mlock__advisory;  /* mlock_advisory.c */
extern const struct mlock_backend mlock__lease;     /* mlock_lease.c */

#endif
