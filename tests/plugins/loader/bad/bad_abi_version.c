/* Built as if for a future ABI. */
#include <runner/plugin.h>

RUNNER_REVISION(.revision = "bad000000003", .abi_version = 99);

int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
