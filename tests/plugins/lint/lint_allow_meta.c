/* Silences two rules by name in its metadata. */
#include <runner/plugin.h>

RUNNER_REVISION(
    .revision = "c1000000al",
    .message = "allows drop-table",
    .lint_allow = "drop-table, rename-column");

int upgrade(runner_op *op) { return op_execute(op, "DROP TABLE t"); }
int downgrade(runner_op *op) { (void)op; return 0; }
