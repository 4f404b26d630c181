/* Valid metadata, no downgrade(): plugin_open refuses it. */
#include <runner/plugin.h>

RUNNER_REVISION(.revision = "bad000000002", .message = "no downgrade");

int upgrade(runner_op *op)
{
    (void)op;
    return 0;
}
