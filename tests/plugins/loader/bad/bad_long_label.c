/* A branch label of 33 characters, no NUL. */
#include <runner/plugin.h>

RUNNER_REVISION(.revision = "bad000000009",
                .branch_labels = RUNNER_REVS("abcdefabcdefabcdefabcdefabcdefabc"));

int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
