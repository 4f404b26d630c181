/* An index on an existing table, built without CONCURRENTLY; the lock
 * timeout warning is silenced by a comment.
 * runner-lint: allow lock-timeout-missing */
#include <runner/plugin.h>

RUNNER_REVISION(
    .revision = "a1000002",
    .down_revision = RUNNER_REVS("a1000001"),
    .message = "index users");

int upgrade(runner_op *op)
{
    return op_execute(op,
                      "CREATE INDEX ix_users_nickname ON users (nickname)");
}

int downgrade(runner_op *op)
{
    return op_execute(op, "DROP INDEX ix_users_nickname");
}
