/* Two models for one table. */
#include <runner/model.h>

RUNNER_MODEL(user, .table = "users",
    .columns = RUNNER_MODEL_COLUMNS({ .name = "id", .type = RUNNER_T_INTEGER }));
RUNNER_MODEL(account, .table = "users",
    .columns = RUNNER_MODEL_COLUMNS({ .name = "id", .type = RUNNER_T_INTEGER }));

RUNNER_MODELS(RUNNER_MODEL_REF(user), RUNNER_MODEL_REF(account));
