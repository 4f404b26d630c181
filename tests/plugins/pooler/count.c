/* count.c -- every revision of the pooler suite's pl_count10 scenario
 * (CMakeLists.txt builds it once per revision with PL_REV and PL_DOWN).
 *
 * upgrade() counts each execution twice: nextval() of the sequence
 * pl_calls, which a rollback does not undo (so a revision run twice shows
 * even when one of the runs is rolled back), and a row in pl_trace, which
 * commits with the step.  The test creates both first.  A short sleep
 * keeps concurrent runners overlapping. */
#include <runner/plugin.h>

#if defined(PL_DOWN)
RUNNER_REVISION(.revision = PL_REV, .down_revision = RUNNER_REVS(PL_DOWN),
                .message = "Count " PL_REV);
#else
RUNNER_REVISION(.revision = PL_REV, .message = "Count " PL_REV);
#endif

int upgrade(runner_op *op)
{
    if (op_execute(op, "SELECT nextval('pl_calls')") != 0)
        return -1;
    if (op_execute(op, "INSERT INTO pl_trace (rev) VALUES ('" PL_REV "')") != 0)
        return -1;
    return op_execute(op, "SELECT pg_sleep(0.05)");
}

int downgrade(runner_op *op)
{
    return op_execute(op, "DELETE FROM pl_trace WHERE rev = '" PL_REV "'");
}
