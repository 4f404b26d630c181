/* A plugin with a constructor that leaves a marker file (path from
 * $RUNNER_TEST_MARKER): it must appear on plugin_open(), never while the
 * loader only lists plugins. */
#include <runner/plugin.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((constructor)) static void leave_marker(void)
{
    const char *path = getenv("RUNNER_TEST_MARKER");
    FILE *f;

    if (!path || !*path)
        return;
    f = fopen(path, "w");
    if (f)
        fclose(f);
}

RUNNER_REVISION(
    .revision = "cccc00000003",
    .down_revision = RUNNER_REVS("bbbb00000002"),
    .message = "Loader test with a constructor",
    .create_date = "2026-11-26 12:02:00");

int upgrade(runner_op *op)
{
    (void)op;
    return 31;
}

int downgrade(runner_op *op)
{
    (void)op;
    return 32;
}
