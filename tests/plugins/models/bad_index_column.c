/* A composite index over a column the model does not have. */
#include <runner/model.h>

RUNNER_MODEL(user, .table = "users",
    .columns = RUNNER_MODEL_COLUMNS({ .name = "id", .type = RUNNER_T_INTEGER }),
    .indexes = RUNNER_MODEL_INDEXES({ .name = "ix_users_x", .columns = RUNNER_NAMES("id", "x") }));

RUNNER_MODELS(RUNNER_MODEL_REF(user));
