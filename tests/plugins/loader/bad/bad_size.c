/* Claims another struct size under the same ABI version. */
#include <runner/plugin.h>

RUNNER_REVISION(.revision = "bad000000005", .size = 100);

int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
