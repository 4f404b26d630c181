/* The safe way: CONCURRENTLY, outside a transaction. */
#include <runner/plugin.h>

RUNNER_REVISION(
    .revision = "a1000004",
    .down_revision = RUNNER_REVS("a1000003"),
    .message = "concurrent index",
    .flags = RUNNER_NO_TRANSACTION);

int upgrade(runner_op *op)
{
    return op_execute(op, "CREATE INDEX CONCURRENTLY ix_users_id_email ON users (id, email)");
}

int downgrade(runner_op *op)
{
    return op_execute(op, "DROP INDEX CONCURRENTLY ix_users_id_email");
}
