/* A revision whose upgrade fails in the server: the entrypoint must exit
 * non-zero and never start the wrapped command. */
#include <runner/plugin.h>

RUNNER_REVISION(
    .revision = "e0e0e0e00002",
    .down_revision = RUNNER_REVS("e0e0e0e00001"),
    .message = "Entrypoint test failure",
    .create_date = "2026-11-26 13:00:01");

int upgrade(runner_op *op)
{
    return op_execute(op, "INSERT INTO entrypoint_no_such_table VALUES (1)");
}

int downgrade(runner_op *op)
{
    (void)op;
    return 0;
}
