/* A column without a type. */
#include <runner/model.h>

RUNNER_MODEL(user, .table = "users",
    .columns = RUNNER_MODEL_COLUMNS({ .name = "id", .primary_key = 1 }));

RUNNER_MODELS(RUNNER_MODEL_REF(user));
