/* A base revision: listed by the loader tests, opened and run by them. */
#include <runner/plugin.h>

RUNNER_REVISION(
    .revision = "aaaa00000001",
    .branch_labels = RUNNER_REVS("loadertest"),
    .message = "Loader test base",
    .create_date = "2026-11-26 12:00:00");

/* The tests call these with op == NULL and check the return values. */
int upgrade(runner_op *op)
{
    (void)op;
    return 11;
}

int downgrade(runner_op *op)
{
    (void)op;
    return 12;
}
