/* Revises good_base; carries a no-transaction flag and a dependency. */
#include <runner/plugin.h>

RUNNER_REVISION(
    .revision = "bbbb00000002",
    .down_revision = RUNNER_REVS("aaaa00000001"),
    .depends_on = RUNNER_REVS("aaaa00000001"),
    .message = "Loader test child",
    .create_date = "2026-11-26 12:01:00",
    .flags = RUNNER_NO_TRANSACTION);

int upgrade(runner_op *op)
{
    (void)op;
    return 21;
}

int downgrade(runner_op *op)
{
    (void)op;
    return 22;
}
