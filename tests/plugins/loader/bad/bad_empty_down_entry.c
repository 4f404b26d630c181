/* An empty down_revision entry before a real one. */
#include <runner/plugin.h>

RUNNER_REVISION(.revision = "bad00000000b",
                .down_revision = RUNNER_REVS("", "aaaa00000001"));

int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
