/* The second down_revision entry has 33 characters and no NUL. */
#include <runner/plugin.h>

RUNNER_REVISION(.revision = "bad000000008",
                .down_revision = RUNNER_REVS("aaaa00000001", "abcdefabcdefabcdefabcdefabcdefabc"));

int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
