/* The section is there, but its magic is not runner's. */
#include <runner/plugin.h>

RUNNER_REVISION(.revision = "bad000000004", .magic = 0xdeadbeefu);

int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
