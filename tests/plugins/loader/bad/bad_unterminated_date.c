/* The create_date fills its whole field: no NUL. */
#include <runner/plugin.h>

RUNNER_REVISION(.revision = "bad00000000e",
                .create_date = "2026-11-26 12:00:00.000000000000");

int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
