/* rt.c -- the one source of every revision of the runtime scenarios
 * (signals, timeouts, migration lock, fan-out, faults).  CMakeLists.txt
 * builds it once per revision with:
 *   RT_REV     the revision id
 *   RT_DOWN    its down revision (absent: a base)
 *   RT_TABLE   the table it creates (or works on)
 *   RT_MODE    what upgrade() does, below
 *   RT_FLAGS   metadata flags (RUNNER_NO_TRANSACTION)
 * Sleeps are read from the environment when the revision runs, so one
 * build serves a slow run and the fast rerun. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <runner/plugin.h>

#define MODE_TRACE 0    /* one row in rt_trace per execution, then pg_sleep($RT_TRACE_SLEEP) */
#define MODE_SLEEP 1    /* CREATE TABLE RT_TABLE, then SELECT pg_sleep($RT_SLEEP) */
#define MODE_CSLEEP 2   /* CREATE TABLE, sleep $RT_CSLEEP s in C, then INSERT */
#define MODE_ALTER 3    /* ALTER TABLE RT_TABLE ADD COLUMN: needs an ACCESS EXCLUSIVE lock */
#define MODE_CIC 4      /* pg_sleep($RT_SLEEP), then CREATE INDEX CONCURRENTLY on RT_TABLE */
#define MODE_TABLE 5    /* CREATE TABLE RT_TABLE */
#define MODE_NO_TIMEOUT 6 /* SET LOCAL statement_timeout = 0, then pg_sleep($RT_SLEEP) */

#if defined(RT_DOWN)
RUNNER_REVISION(.revision = RT_REV, .down_revision = RUNNER_REVS(RT_DOWN),
                .message = "Runtime " RT_REV, .flags = RT_FLAGS);
#else
RUNNER_REVISION(.revision = RT_REV, .message = "Runtime " RT_REV, .flags = RT_FLAGS);
#endif

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);

    return v && *v ? v : dflt;
}

static int sleep_sql(runner_op *op, const char *var)
{
    char sql[128];

    snprintf(sql, sizeof(sql), "SELECT pg_sleep(%g)", atof(env_or(var, "0")));
    return op_execute(op, sql);
}

int upgrade(runner_op *op)
{
    char sql[256];

    switch (RT_MODE) {
    case MODE_TRACE:
        if (op_execute(op, "CREATE TABLE IF NOT EXISTS rt_trace (rev text NOT NULL,"
                           " pid integer NOT NULL DEFAULT pg_backend_pid())") != 0 ||
            op_execute(op, "INSERT INTO rt_trace (rev) VALUES ('" RT_REV "')") != 0)
            return -1;
        return sleep_sql(op, "RT_TRACE_SLEEP");
    case MODE_SLEEP:
        if (op_execute(op, "CREATE TABLE " RT_TABLE " (id integer)") != 0)
            return -1;
        return sleep_sql(op, "RT_SLEEP");
    case MODE_CSLEEP: {
        double secs = atof(env_or("RT_CSLEEP", "0"));
        struct timespec ts = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };

        if (op_execute(op, "CREATE TABLE " RT_TABLE " (id integer)") != 0)
            return -1;
        while (nanosleep(&ts, &ts) != 0)
            ;
        return op_execute(op, "INSERT INTO " RT_TABLE " VALUES (1)");
    }
    case MODE_ALTER:
        return op_execute(op, "ALTER TABLE " RT_TABLE " ADD COLUMN c_" RT_REV " integer");
    case MODE_CIC:
        if (sleep_sql(op, "RT_SLEEP") != 0)
            return -1;
        return op_execute(op, "CREATE INDEX CONCURRENTLY rt_cic_" RT_REV " ON " RT_TABLE " (id)");
    case MODE_TABLE:
        snprintf(sql, sizeof(sql), "CREATE TABLE %s (id integer)", RT_TABLE);
        return op_execute(op, sql);
    case MODE_NO_TIMEOUT:
        /* only runner's own timer can stop what follows */
        if (op_execute(op, "SET LOCAL statement_timeout = 0") != 0)
            return -1;
        return sleep_sql(op, "RT_SLEEP");
    default:
        return 0;
    }
}

int downgrade(runner_op *op)
{
    switch (RT_MODE) {
    case MODE_TRACE:
        return op_execute(op, "DELETE FROM rt_trace WHERE rev = '" RT_REV "'");
    case MODE_SLEEP:
    case MODE_CSLEEP:
    case MODE_TABLE:
        return op_execute(op, "DROP TABLE " RT_TABLE);
    case MODE_ALTER:
        return op_execute(op, "ALTER TABLE " RT_TABLE " DROP COLUMN c_" RT_REV);
    case MODE_CIC:
        return op_execute(op, "DROP INDEX CONCURRENTLY rt_cic_" RT_REV);
    default:
        return 0;
    }
}
