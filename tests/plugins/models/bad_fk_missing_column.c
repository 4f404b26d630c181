/* A foreign key to a column the referenced model lacks. */
#include <runner/model.h>

RUNNER_MODEL(user, .table = "users",
    .columns = RUNNER_MODEL_COLUMNS({ .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1 }));
RUNNER_MODEL(post, .table = "posts",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1 },
        { .name = "user_id", .type = RUNNER_T_INTEGER, .foreign_key = "users.uid" }));

RUNNER_MODELS(RUNNER_MODEL_REF(user), RUNNER_MODEL_REF(post));
