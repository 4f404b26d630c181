/* A slow revision for tests/integration/test_entrypoint.sh: it sleeps in
 * the server for $EP_SLEEP seconds (default 0), so that the test can stop
 * the container while the migration runs. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include <runner/plugin.h>

RUNNER_REVISION(
    .revision = "e0e0e0e00003",
    .down_revision = RUNNER_REVS("e0e0e0e00001"),
    .message = "Entrypoint test slow revision",
    .create_date = "2026-11-26 13:00:02");

int upgrade(runner_op *op)
{
    const char *secs = getenv("EP_SLEEP");
    char sql[64];

    if (op_execute(op, "CREATE TABLE entrypoint_slow (id int)") != 0)
        return -1;
    snprintf(sql, sizeof(sql), "SELECT pg_sleep(%g)", secs ? atof(secs) : 0.0);
    return op_execute(op, sql);
}

int downgrade(runner_op *op)
{
    return op_execute(op, "DROP TABLE entrypoint_slow");
}
