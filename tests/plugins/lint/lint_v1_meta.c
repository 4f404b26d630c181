/* A plugin built before lint_allow existed: ABI 1's first layout, 1452
 * bytes, spelled out here as such a plugin's header had it. */
#include <runner/plugin.h>

struct runner_revision_v1 {
    uint32_t magic, abi_version, size, flags;
    char revision[RUNNER_ID_SIZE];
    char down_revision[RUNNER_MAX_REFS][RUNNER_ID_SIZE];
    char branch_labels[RUNNER_MAX_REFS][RUNNER_ID_SIZE];
    char depends_on[RUNNER_MAX_REFS][RUNNER_ID_SIZE];
    char message[RUNNER_MESSAGE_SIZE];
    char create_date[RUNNER_DATE_SIZE];
    char source_sha256[RUNNER_SHA256_SIZE];
};

__attribute__((section(RUNNER_SECTION), used, visibility("default"), aligned(8)))
const struct runner_revision_v1 runner_revision_meta = {
    .magic = RUNNER_MAGIC,
    .abi_version = 1,
    .size = sizeof(struct runner_revision_v1),
    .revision = "c1000000v1",
    .message = "built before lint_allow",
};

int upgrade(runner_op *op) { return op_execute(op, "DROP TABLE t"); }
int downgrade(runner_op *op) { (void)op; return 0; }
