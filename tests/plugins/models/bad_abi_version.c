/* A registry built for another models ABI. */
#include <runner/model.h>

RUNNER_MODEL(user, .table = "users",
    .columns = RUNNER_MODEL_COLUMNS({ .name = "id", .type = RUNNER_T_INTEGER }));

RUNNER__EXPORT const struct runner_models runner_models = {
    .magic = RUNNER_MODELS_MAGIC,
    .abi_version = 99,
    .size = sizeof(struct runner_models),
    .models = (const runner_model *const[]){ RUNNER_MODEL_REF(user), NULL },
};
