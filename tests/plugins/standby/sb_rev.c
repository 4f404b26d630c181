/* sb_rev.c -- the revisions of tests/integration/test_standby.sh, one
 * source compiled three times with -DSB_N=1, 2, 3: revision sb000000000N
 * creates table sb_tN.  Revision 2 then sleeps in the server for $SB_SLEEP
 * seconds (default 0), so that the test can fail the primary over while
 * it runs. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include <runner/plugin.h>

#define STR2(x) #x
#define STR(x) STR2(x)
#define SB_ID(n) "sb000000000" STR(n)

#if SB_N == 1
RUNNER_REVISION(.revision = SB_ID(1), .message = "Create sb_t1",
                .create_date = "2026-12-01 14:00:01");
#elif SB_N == 2
RUNNER_REVISION(.revision = SB_ID(2), .down_revision = RUNNER_REVS(SB_ID(1)),
                .message = "Create sb_t2 slowly", .create_date = "2026-12-01 14:00:02");
#else
RUNNER_REVISION(.revision = SB_ID(3), .down_revision = RUNNER_REVS(SB_ID(2)),
                .message = "Create sb_t3", .create_date = "2026-12-01 14:00:03");
#endif

int upgrade(runner_op *op)
{
    const char *secs = getenv("SB_SLEEP");
    char sql[64];

    if (op_execute(op, "CREATE TABLE sb_t" STR(SB_N) " (id int)") != 0)
        return -1;
    if (SB_N != 2 || !secs)
        return 0;
    snprintf(sql, sizeof(sql), "SELECT pg_sleep(%g)", atof(secs));
    return op_execute(op, sql);
}

int downgrade(runner_op *op)
{
    return op_execute(op, "DROP TABLE sb_t" STR(SB_N));
}
