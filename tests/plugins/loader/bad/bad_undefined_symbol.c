/* Calls a function nobody defines: RTLD_NOW refuses it at dlopen. */
#include <runner/plugin.h>

int runner_test_no_such_function(void);

RUNNER_REVISION(.revision = "bad000000010");

int upgrade(runner_op *op) { (void)op; return runner_test_no_such_function(); }
int downgrade(runner_op *op) { (void)op; return 0; }
