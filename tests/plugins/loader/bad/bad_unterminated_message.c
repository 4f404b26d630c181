/* The message fills its whole field: no NUL. */
#include <runner/plugin.h>

RUNNER_REVISION(.revision = "bad00000000d",
                .message = {
#define X8 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'
#define X64 X8, X8, X8, X8, X8, X8, X8, X8
                    X64, X64, X64, X64, X64, X64, X64, X64
                });

int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
