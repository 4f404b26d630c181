/* A depends_on entry of 33 characters, no NUL. */
#include <runner/plugin.h>

RUNNER_REVISION(.revision = "bad00000000a",
                .depends_on = RUNNER_REVS("abcdefabcdefabcdefabcdefabcdefabc"));

int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
