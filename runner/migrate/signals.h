/* signals.h -- the SIGINT/SIGTERM watcher of one online run, from before
 * it connects (so --wait, connecting and the setup statements are
 * covered) until after its last cleanup statement.
 *
 * A thread with its own uv loop watches the signals, so one is seen at
 * once even while plugin code runs on the main thread.  What the first
 * signal does depends on the run's phase, which the main thread sets:
 *
 *   SIGWATCH_SETUP  connecting, --wait, session settings, reading the
 *                   version table, waiting for the lock: the wait or
 *                   statement in flight ends and the run fails with
 *                   "interrupted" (nothing ran, nothing to roll back);
 *   SIGWATCH_STEPS  revisions run: the statement in flight is cancelled
 *                   (PQcancel) and the current revision is rolled back;
 *   SIGWATCH_DONE   after the last commit (or failure): cleanup (the run
 *                   record, the lock) goes on and the run's outcome and
 *                   exit status stay what they were; the signal is only
 *                   acknowledged.
 *
 * In the first two phases the signal wakes the run's loop (uv_async),
 * whose callback sets db->interrupted on the main thread; pg.c then ends
 * its waits and refuses new statements.  A second signal exits the
 * process at once: 128 + signum, or 0 in SIGWATCH_DONE (the run had
 * finished; its record may stay open, which the next run reports),
 * after the exit hook, when one is set (sigwatch_on_exit(): what must not
 * outlive the process, like `runner test`'s temporary database).
 * Statements and rollback are the caller's (migrate.c, steps.c). */
#ifndef RUNNER_SIGNALS_H
#define RUNNER_SIGNALS_H

#include <libpq-fe.h>
#include <signal.h>
#include <stdatomic.h>
#include <uv.h>

#include "err.h"

struct pg;

enum sigwatch_phase {
    SIGWATCH_SETUP = 0,
    SIGWATCH_STEPS,
    SIGWATCH_DONE,
};

/* Caller-allocated; zero it, sigwatch_start(), sigwatch_stop().  Fields
 * are private to signals.c. */
struct sigwatch {
    uv_loop_t loop;             /* the watcher thread's own */
    uv_signal_t sigint;         /* on `loop` */
    uv_signal_t sigterm;        /* on `loop` */
    uv_async_t quit;            /* main -> watcher: close and return */
    uv_async_t wake;            /* watcher -> the run's loop: a signal arrived */
    uv_thread_t thread;
    uv_mutex_t mu;              /* guards cancel: made on main, used by the watcher */
    PGcancel *cancel;           /* owned; NULL until sigwatch_attach() */
    atomic_int signum;          /* the first signal, else 0 */
    atomic_int phase;           /* enum sigwatch_phase */
    atomic_int signum_done;     /* a signal that arrived in SIGWATCH_DONE, else 0 */
    struct pg *db;              /* borrowed; touched on the main thread only */
    const char *prefix;         /* before every line; borrowed */
    int started;                /* the watcher thread runs */
    int wake_open;              /* `wake` initialised and not yet closed */
    int mu_open;                /* `mu` initialised */
    sigset_t saved;             /* the calling thread's mask before sigwatch_start() */
    int saved_set;              /* `saved` holds it */
    void (*exit_hook)(void *arg);       /* guarded by mu; see sigwatch_on_exit() */
    void *exit_arg;
    const char *stopping;       /* the first signal's line instead of the phase's; borrowed */
};

/* Block SIGINT and SIGTERM in the calling thread (threads it creates
 * inherit the mask): a signal that arrives before a run's watcher starts
 * (reading the config, scanning plugins) stays pending instead of killing
 * the process, and sigwatch_start() then delivers it to the run as an
 * interruption.  The CLI calls it first for the commands that migrate;
 * the mask stays until exit, so that a signal after the run (printing,
 * exiting) cannot change the exit status of a run that finished. */
void sigwatch_hold(void);

/* Unblock them in the calling thread: a pending one takes its default
 * effect (the offline path, which has nothing to clean up). */
void sigwatch_release(void);

/* Watch SIGINT/SIGTERM for the run whose loop is `loop` and whose
 * connection struct is db (not yet connected: pg_open() keeps
 * db->interrupted), then unblock them in the calling thread (a pending
 * one is delivered now).  Returns 0, or -1 with *e; on failure
 * sigwatch_stop() is still safe. */
int sigwatch_start(struct sigwatch *s, uv_loop_t *loop, struct pg *db, const char *prefix,
                   struct err *e);

/* After pg_open(): make the cancel request the watcher sends. */
void sigwatch_attach(struct sigwatch *s);

void sigwatch_phase(struct sigwatch *s, enum sigwatch_phase phase);

/* After sigwatch_start(): on a second signal, call fn(arg) on the
 * watcher thread before the process exits (NULL: none).  fn runs while
 * the main thread goes on wherever it is, so it must guard what it
 * shares with it; it should block no longer than a cleanup statement. */
void sigwatch_on_exit(struct sigwatch *s, void (*fn)(void *arg), void *arg);

/* Before sigwatch_start() (on the zeroed struct): what the first
 * signal's line says the run does ("stopping; the test database is
 * removed"), instead of the phase's words.  Borrowed: must outlive the
 * watcher. */
void sigwatch_say(struct sigwatch *s, const char *stopping);

/* The first signal (SIGINT, SIGTERM) that arrived before SIGWATCH_DONE,
 * else 0. */
int sigwatch_signum(struct sigwatch *s);

/* Put the calling thread's signal mask back as sigwatch_start() found it
 * (held: a later signal stays pending; else it has its default effect
 * again), stop watching and close the handles on `loop`.  Safe twice and
 * after a failed start. */
void sigwatch_stop(struct sigwatch *s, uv_loop_t *loop);

#endif
