/* Drops a column, allowed by the metadata; through a helper, whose SQL
 * does not appear in this file. */
#include <runner/plugin.h>

RUNNER_REVISION(
    .revision = "a1000003",
    .down_revision = RUNNER_REVS("a1000002"),
    .message = "drop nickname",
    .lint_allow = "drop-column");

int upgrade(runner_op *op)
{
    if (op_execute(op, "SET lock_timeout = '2s'") < 0)
        return -1;
    return op_drop_column(op, NULL, "users", "nickname");
}

int downgrade(runner_op *op)
{
    return op_execute(op, "ALTER TABLE users ADD COLUMN nickname text");
}
