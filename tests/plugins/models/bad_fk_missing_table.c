/* A foreign key to a table no model declares. */
#include <runner/model.h>

RUNNER_MODEL(post, .table = "posts",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1 },
        { .name = "author_id", .type = RUNNER_T_INTEGER, .foreign_key = "authors.id" }));

RUNNER_MODELS(RUNNER_MODEL_REF(post));
