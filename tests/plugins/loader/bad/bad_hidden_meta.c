/* The section is right, but the metadata symbol is not exported: listing
 * works, plugin_open refuses it. */
#include <runner/plugin.h>

__attribute__((section(RUNNER_SECTION), used, visibility("hidden"), aligned(8)))
const struct runner_revision runner_revision_meta = {
    .magic = RUNNER_MAGIC,
    .abi_version = RUNNER_ABI_VERSION,
    .size = sizeof(struct runner_revision),
    .revision = "bad00000000f",
};

int upgrade(runner_op *op) { (void)op; return 0; }
int downgrade(runner_op *op) { (void)op; return 0; }
