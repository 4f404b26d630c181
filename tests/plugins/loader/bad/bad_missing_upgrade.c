/* Valid metadata, no upgrade(): plugin_open refuses it. */
#include <runner/plugin.h>

RUNNER_REVISION(.revision = "bad000000001", .message = "no upgrade");

int downgrade(runner_op *op)
{
    (void)op;
    return 0;
}
