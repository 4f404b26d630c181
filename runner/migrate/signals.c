/* signals.c -- the signal watcher of a run; see signals.h. */
#include "signals.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pg.h"

static void watched(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
}

void sigwatch_hold(void)
{
    sigset_t set;

    watched(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void sigwatch_release(void)
{
    sigset_t set;

    watched(&set);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* A second signal: the hook, then out. */
static void exit_now(struct sigwatch *s, int status)
{
    void (*fn)(void *) = NULL;
    void *arg = NULL;

    uv_mutex_lock(&s->mu);
    fn = s->exit_hook;
    arg = s->exit_arg;
    uv_mutex_unlock(&s->mu);
    if (fn)
        fn(arg);
    _exit(status);
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct sigwatch *s = h->data;
    const char *name = signum == SIGINT ? "SIGINT" : "SIGTERM";
    int phase = atomic_load(&s->phase);
    char buf[256];
    int none = 0;

    if (phase == SIGWATCH_DONE) {
        if (!atomic_compare_exchange_strong(&s->signum_done, &none, signum)) {
            fprintf(stderr, "%srunner: second %s: exiting at once; the run had finished, "
                    "its record in the history table may stay open\n", s->prefix, name);
            exit_now(s, 0);
        }
        fprintf(stderr, "%srunner: %s: the run has finished; closing its record and the "
                "lock first (send it again to exit at once)\n", s->prefix, name);
        return;
    }
    if (!atomic_compare_exchange_strong(&s->signum, &none, signum)) {
        fprintf(stderr, "%srunner: second %s: exiting at once\n", s->prefix, name);
        exit_now(s, 128 + signum);
    }
    if (s->stopping)
        fprintf(stderr, "%srunner: %s: %s\n", s->prefix, name, s->stopping);
    else if (phase == SIGWATCH_STEPS)
        fprintf(stderr, "%srunner: %s: cancelling and rolling back the current revision "
                "(send it again to exit at once)\n", s->prefix, name);
    else
        fprintf(stderr, "%srunner: %s: stopping before any revision runs (send it again to "
                "exit at once)\n", s->prefix, name);
    /* wake first: the cancelled statement's error must find the flag */
    uv_async_send(&s->wake);
    /* no statement in flight: the server ignores it */
    uv_mutex_lock(&s->mu);
    if (s->cancel)
        PQcancel(s->cancel, buf, sizeof(buf));
    uv_mutex_unlock(&s->mu);
}

static void on_wake(uv_async_t *h)
{
    struct sigwatch *s = h->data;

    if (atomic_load(&s->phase) != SIGWATCH_DONE)
        s->db->interrupted = atomic_load(&s->signum);
}

static void on_quit(uv_async_t *h)
{
    struct sigwatch *s = h->data;

    uv_close((uv_handle_t *)&s->sigint, NULL);
    uv_close((uv_handle_t *)&s->sigterm, NULL);
    uv_close((uv_handle_t *)&s->quit, NULL);
}

static void watcher_main(void *arg)
{
    struct sigwatch *s = arg;

    uv_run(&s->loop, UV_RUN_DEFAULT);
}

int sigwatch_start(struct sigwatch *s, uv_loop_t *loop, struct pg *db, const char *prefix,
                   struct err *e)
{
    int rc;

    s->db = db;
    s->prefix = prefix ? prefix : "";
    s->cancel = NULL;
    s->exit_hook = NULL;
    s->exit_arg = NULL;
    atomic_init(&s->signum, 0);
    atomic_init(&s->signum_done, 0);
    atomic_init(&s->phase, SIGWATCH_SETUP);
    if ((rc = uv_mutex_init(&s->mu)) < 0)
        return err_set(e, ERR_FAIL, "cannot watch signals: %s", uv_strerror(rc));
    s->mu_open = 1;
    if ((rc = uv_async_init(loop, &s->wake, on_wake)) < 0)
        return err_set(e, ERR_FAIL, "cannot watch signals: %s", uv_strerror(rc));
    s->wake.data = s;
    s->wake_open = 1;
    if ((rc = uv_loop_init(&s->loop)) < 0)
        return err_set(e, ERR_FAIL, "cannot watch signals: %s", uv_strerror(rc));
    uv_signal_init(&s->loop, &s->sigint);
    uv_signal_init(&s->loop, &s->sigterm);
    uv_async_init(&s->loop, &s->quit, on_quit);
    s->sigint.data = s->sigterm.data = s->quit.data = s;
    if ((rc = uv_signal_start(&s->sigint, on_signal, SIGINT)) < 0 ||
        (rc = uv_signal_start(&s->sigterm, on_signal, SIGTERM)) < 0 ||
        (rc = uv_thread_create(&s->thread, watcher_main, s)) < 0) {
        on_quit(&s->quit);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        uv_loop_close(&s->loop);
        return err_set(e, ERR_FAIL, "cannot watch signals: %s", uv_strerror(rc));
    }
    s->started = 1;
    /* from here the watcher sees them, a pending one included */
    {
        sigset_t set;

        watched(&set);
        if (pthread_sigmask(SIG_UNBLOCK, &set, &s->saved) == 0)
            s->saved_set = 1;
    }
    return 0;
}

void sigwatch_attach(struct sigwatch *s)
{
    PGcancel *c = PQgetCancel(pg_conn(s->db));

    if (!s->mu_open) {
        PQfreeCancel(c);
        return;
    }
    uv_mutex_lock(&s->mu);
    if (s->cancel)
        PQfreeCancel(s->cancel);
    s->cancel = c;
    uv_mutex_unlock(&s->mu);
}

void sigwatch_phase(struct sigwatch *s, enum sigwatch_phase phase)
{
    atomic_store(&s->phase, (int)phase);
}

void sigwatch_on_exit(struct sigwatch *s, void (*fn)(void *arg), void *arg)
{
    if (!s->mu_open)
        return;
    uv_mutex_lock(&s->mu);
    s->exit_hook = fn;
    s->exit_arg = arg;
    uv_mutex_unlock(&s->mu);
}

void sigwatch_say(struct sigwatch *s, const char *stopping)
{
    s->stopping = stopping;
}

int sigwatch_signum(struct sigwatch *s)
{
    return atomic_load(&s->signum);
}

static void wake_closed(uv_handle_t *h)
{
    struct sigwatch *s = h->data;

    s->wake_open = 0;
}

void sigwatch_stop(struct sigwatch *s, uv_loop_t *loop)
{
    /* first: with the handler gone a signal would have its default effect */
    if (s->saved_set) {
        pthread_sigmask(SIG_SETMASK, &s->saved, NULL);
        s->saved_set = 0;
    }
    if (s->started) {
        s->started = 0;
        uv_async_send(&s->quit);
        uv_thread_join(&s->thread);
        uv_loop_close(&s->loop);
    }
    if (s->wake_open) {
        uv_close((uv_handle_t *)&s->wake, wake_closed);
        while (s->wake_open)
            uv_run(loop, UV_RUN_NOWAIT);
    }
    if (s->mu_open) {
        if (s->cancel)
            PQfreeCancel(s->cancel);
        s->cancel = NULL;
        uv_mutex_destroy(&s->mu);
        s->mu_open = 0;
    }
}
