/* No revision id at all. */
#include <runner/plugin.h>

RUNNER_REVISION(.message = "who am i");

int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
