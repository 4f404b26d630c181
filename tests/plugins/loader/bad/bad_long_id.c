/* A revision id of exactly 33 characters: fills the field, no NUL. */
#include <runner/plugin.h>

RUNNER_REVISION(.revision = "abcdefabcdefabcdefabcdefabcdefabc");

int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
