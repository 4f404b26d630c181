/* A branch label outside the --rev-id grammar: a quote would end the
 * string in generated C and SQL alike. */
#include <runner/plugin.h>

RUNNER_REVISION(
    .revision = "bad000000011",
    .branch_labels = RUNNER_REVS("acc'ounts"));

int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
