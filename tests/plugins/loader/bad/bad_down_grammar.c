/* A down revision outside the --rev-id grammar. */
#include <runner/plugin.h>

RUNNER_REVISION(
    .revision = "bad000000012",
    .down_revision = RUNNER_REVS("aaaa00000001", "bb bb"));

int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
