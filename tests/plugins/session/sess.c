/* sess.c -- the one source of the session suite's revisions
 * (CMakeLists.txt builds it per revision with SESS_REV, SESS_MODE and
 * SESS_FLAGS).  Sleeps come from the environment when the revision runs. */
#define _POSIX_C_SOURCE 200809L
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <runner/plugin.h>

#define MODE_ONCE 1         /* INSERT INTO public.sess_log, then pg_sleep($SESS_SLEEP) */
#define MODE_KEEPALIVE 2    /* CREATE TABLE sess_settings AS the session's tcp_* settings */
#define MODE_REENTRANT 3    /* wait up to 10 s for a second thread inside upgrade() */

RUNNER_REVISION(.revision = SESS_REV, .message = "Session " SESS_REV, .flags = SESS_FLAGS);

/* Mode 3 only: how many threads are inside upgrade() right now.  This is
 * the kind of static state a plugin must not keep for its own work: here
 * it only observes that fan-out enters one plugin from two threads. */
static atomic_int inside;

int upgrade(runner_op *op)
{
    char sql[256];

    switch (SESS_MODE) {
    case MODE_ONCE: {
        const char *s = getenv("SESS_SLEEP");

        if (op_execute(op, "INSERT INTO public.sess_log (pid) VALUES (pg_backend_pid())") != 0)
            return -1;
        snprintf(sql, sizeof(sql), "SELECT pg_sleep(%g)", s ? atof(s) : 0.0);
        return op_execute(op, sql);
    }
    case MODE_KEEPALIVE:
        return op_execute(op, "CREATE TABLE sess_settings AS SELECT name, setting, source"
                              " FROM pg_settings WHERE name IN ('tcp_keepalives_idle',"
                              " 'tcp_keepalives_interval', 'tcp_keepalives_count',"
                              " 'tcp_user_timeout')");
    case MODE_REENTRANT: {
        struct timespec pause = { 0, 10 * 1000 * 1000 };
        int seen = atomic_fetch_add(&inside, 1) + 1;

        for (int i = 0; i < 1000 && seen < 2; i++) {
            nanosleep(&pause, NULL);
            seen = atomic_load(&inside);
        }
        snprintf(sql, sizeof(sql), "CREATE TABLE sess_seen AS SELECT %d AS threads", seen);
        /* stay inside until the other thread has seen us too */
        for (int i = 0; i < 20; i++)
            nanosleep(&pause, NULL);
        atomic_fetch_sub(&inside, 1);
        return op_execute(op, sql);
    }
    }
    return -1;
}

int downgrade(runner_op *op)
{
    (void)op;
    return 0;
}
