/* One column declared twice. */
#include <runner/model.h>

RUNNER_MODEL(user, .table = "users",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER },
        { .name = "email", .type = RUNNER_T_STRING },
        { .name = "email", .type = RUNNER_T_TEXT }));

RUNNER_MODELS(RUNNER_MODEL_REF(user));
