/* A type number this runner does not know (a newer header, or garbage). */
#include <runner/model.h>

RUNNER_MODEL(user, .table = "users",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER },
        { .name = "mood", .type = { .kind = (enum runner_type_kind)77 } }));

RUNNER_MODELS(RUNNER_MODEL_REF(user));
