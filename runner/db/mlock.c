/* mlock.c -- the migration lock's one interface: the polling, the
 * progress lines and --lock-wait shared by every mode; see mlock.h.  The
 * modes are mlock_advisory.c's and mlock_lease.c's. */
#include "mlock.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "backoff.h"
#include "hash.h"
#include "mlock_int.h"
#include "pg.h"
#include "versions.h"

int64_t mlock_key(const char *name)
{
    return (int64_t)hash_fnv1a64(name);
}

static void lock_backoff(struct backoff *b, uint64_t seed)
{
    backoff_init(b, MLOCK_FIRST_MS, MLOCK_MAX_MS, MLOCK_JITTER, 0, seed);
}

uint64_t mlock_backoff_ms(unsigned attempt, double u)
{
    struct backoff b;

    lock_backoff(&b, 1);
    return backoff_delay_ms(&b, attempt, u);
}

static void on_wake(uv_timer_t *t)
{
    int *done = t->data;

    *done = 1;
}

static void on_close(uv_handle_t *h)
{
    int *closed = h->data;

    *closed = 1;
}

int mlock_sleep(struct pg *db, uint64_t ms)
{
    uv_timer_t t;
    int done = 0;

    if (uv_timer_init(db->loop, &t) < 0)
        return -1;
    t.data = &done;
    uv_timer_start(&t, on_wake, ms, 0);
    while (!done && !db->interrupted)
        uv_run(db->loop, UV_RUN_ONCE);
    uv_timer_stop(&t);
    done = 0;
    uv_close((uv_handle_t *)&t, on_close);
    while (!done)
        uv_run(db->loop, UV_RUN_NOWAIT);
    return db->interrupted ? -1 : 0;
}

/* Poll be->try_take() until it is ours, --lock-wait runs out or a signal
 * arrives. */
static int poll_lock(struct mlock *l, const struct mlock_opts *o, struct err *e)
{
    double wait_s = o->wait_s > 0 ? o->wait_s : MLOCK_WAIT_DEFAULT;
    uint64_t t0 = uv_hrtime();
    struct backoff bo;
    double next_report = MLOCK_REPORT_S;
    char holder[512];
    char note[512];
    const char *prefix = o->prefix ? o->prefix : "";

    lock_backoff(&bo, 0);
    for (unsigned attempt = 1;; attempt++) {
        int got = 0;
        double waited;
        uint64_t delay;

        note[0] = '\0';
        if (l->be->try_take(l, &got, note, sizeof(note), e) < 0)
            return err_prefix(e, "migration lock on %s", l->name);
        if (got) {
            if (o->log && note[0])
                fprintf(o->log, "%s%s\n", prefix, note);
            if (o->log && attempt > 1)
                fprintf(o->log, "%smigration lock on %s taken after %.1f s\n", prefix, l->name,
                        (double)(uv_hrtime() - t0) / 1e9);
            if (o->log)
                fflush(o->log);
            return 0;
        }
        waited = (double)(uv_hrtime() - t0) / 1e9;
        if (waited >= wait_s) {
            l->be->describe(l, holder, sizeof(holder));
            return err_set(e, ERR_FAIL,
                           "migration lock on %s still held by %s after %.0f s (--lock-wait)",
                           l->name, holder, waited);
        }
        if (attempt == 1 || waited >= next_report) {
            l->be->describe(l, holder, sizeof(holder));
            if (o->log) {
                fprintf(o->log, "%swaiting for the migration lock on %s: held by %s, "
                        "waited %.0f s of %.0f\n", prefix, l->name, holder, waited, wait_s);
                fflush(o->log);
            }
            if (attempt > 1)
                next_report += MLOCK_REPORT_S;
        }
        delay = backoff_next_ms(&bo, attempt);
        if (waited + (double)delay / 1000.0 > wait_s)
            delay = (uint64_t)((wait_s - waited) * 1000.0) + 1;
        if (mlock_sleep(l->db, delay) < 0) {
            err_set(e, ERR_FAIL, "interrupted while waiting for the migration lock on %s",
                    l->name);
            err_sqlstate(e, "57014");
            return -1;
        }
    }
}

int mlock_take(struct mlock *l, struct pg *db, const struct versions *v,
               const struct mlock_opts *o, struct err *e)
{
    const char *name = versions_lock_name(v);

    if (!name)
        return err_set(e, ERR_FAIL, "migration lock: the version table's name is not resolved");
    if (strlen(name) >= sizeof(l->name))
        return err_set(e, ERR_FAIL, "migration lock: version table name '%s' is too long", name);
    snprintf(l->name, sizeof(l->name), "%s", name);
    l->db = db;
    l->be = o->mode == MLOCK_TABLE ? &mlock__lease : &mlock__advisory;
    if (l->be->prepare(l, v, o, e) < 0 || poll_lock(l, o, e) < 0)
        return -1;
    l->held = 1;
    if (l->be->hold && l->be->hold(l, o, e) < 0)
        return -1;      /* the caller's mlock_release() gives it back */
    return 0;
}

int mlock_fence(struct mlock *l, struct err *e)
{
    if (!l || !l->held || !l->be || !l->be->fence)
        return 0;
    return l->be->fence(l, e);
}

int mlock_verify(struct mlock *l, struct err *e)
{
    int held = 1;

    if (!l || !l->held || !l->be || !l->be->verify)
        return 0;
    if (l->be->verify(l, &held, e) < 0)
        return -1;
    if (held)
        return 0;
    l->held = 0;                    /* nothing left to release */
    return err_set(e, ERR_FAIL, "it released the migration lock on %s (pg_advisory_unlock_all() "
                   "or DISCARD ALL), so another runner may have started", l->name);
}

void mlock_release(struct mlock *l)
{
    if (!l->be)
        return;
    if (l->held)
        l->be->release(l);
    l->held = 0;
    if (l->be->clear)
        l->be->clear(l);
    l->be = NULL;
}
