/* lint_allow holding something that is not a rule name. */
#include <runner/plugin.h>

RUNNER_REVISION(
    .revision = "c1000000ba",
    .lint_allow = "drop-table; DROP TABLE x");

int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
