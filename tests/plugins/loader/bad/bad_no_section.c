/* A shared object with upgrade/downgrade but no RUNNER_REVISION. */
#include <runner/plugin.h>

int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
