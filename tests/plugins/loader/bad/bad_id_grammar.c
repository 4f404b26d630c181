/* A revision id outside the --rev-id grammar (letters, digits, '_', '.'):
 * a slash would also make a path of the generated file name. */
#include <runner/plugin.h>

RUNNER_REVISION(.revision = "bad0000/0010");

int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
