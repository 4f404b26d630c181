/* A .runner_rev section holding 8 bytes, not a struct runner_revision. */
#include <runner/plugin.h>

__attribute__((section(RUNNER_SECTION), used)) const uint32_t runner_revision_meta[2] = {
    RUNNER_MAGIC, RUNNER_ABI_VERSION
};

int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
