/* A shared object without RUNNER_MODELS. */
#include <runner/model.h>

RUNNER_MODEL(user, .table = "users",
    .columns = RUNNER_MODEL_COLUMNS({ .name = "id", .type = RUNNER_T_INTEGER }));
