/* A base revision for tests/integration/test_entrypoint.sh: creates the
 * table the wrapped command reads to prove it ran after the migration. */
#include <runner/plugin.h>

RUNNER_REVISION(
    .revision = "e0e0e0e00001",
    .message = "Entrypoint test table",
    .create_date = "2026-11-26 13:00:00");

int upgrade(runner_op *op)
{
    return op_execute(op, "CREATE TABLE entrypoint_probe (id int PRIMARY KEY)");
}

int downgrade(runner_op *op)
{
    return op_execute(op, "DROP TABLE entrypoint_probe");
}
