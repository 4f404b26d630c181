/* A revision of tests/install/outside: built against the installed plugin
 * headers only (the test marks the installed plugin.h; the source tree's
 * copy has no mark), and with a warning that -Werror would refuse: the
 * CMake helper must not force -Werror on a user's plugin. */
#include <runner/plugin.h>

#ifndef RUNNER_TEST_INSTALLED_COPY
#error "not the installed runner/plugin.h"
#endif

RUNNER_REVISION(
    .revision = "0ff51de00001",
    .message = "Outside project",
    .create_date = "2026-12-01 12:00:00");

int upgrade(runner_op *op)
{
    int unused_but_harmless;    /* -Wunused-variable: a warning, not an error */

    return op_execute(op, "CREATE TABLE outside_probe (id int)");
}

int downgrade(runner_op *op)
{
    return op_execute(op, "DROP TABLE outside_probe");
}
