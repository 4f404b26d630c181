/* A new table and its index in one revision: nothing to flag. */
#include <runner/plugin.h>

RUNNER_REVISION(
    .revision = "a1000001",
    .message = "create users");

int upgrade(runner_op *op)
{
    if (op_execute(op, "CREATE TABLE users (id bigint PRIMARY KEY, email text, nickname text)") < 0)
        return -1;
    return op_execute(op, "CREATE INDEX ix_users_email ON users (email)");
}

int downgrade(runner_op *op)
{
    return op_execute(op, "DROP TABLE users");
}
