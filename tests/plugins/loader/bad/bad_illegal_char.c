/* alembic refuses '@', '-' and '+' in a revision id. */
#include <runner/plugin.h>

RUNNER_REVISION(.revision = "bad-0000@0c");

int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
