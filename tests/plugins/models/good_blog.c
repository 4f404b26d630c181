/* A valid registry: users and posts, a foreign key, a composite index,
 * a check constraint, in another order than they must be created. */
#include <runner/model.h>

RUNNER_MODEL(post,
    .table = "posts",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_BIGINTEGER, .primary_key = 1 },
        { .name = "user_id", .type = RUNNER_T_INTEGER, .not_null = 1,
          .foreign_key = "users.id", .on_delete = "cascade" },
        { .name = "title", .type = RUNNER_T_VARCHAR(200), .not_null = 1 },
        { .name = "tags", .type = RUNNER_T_ARRAY(RUNNER_T_TEXT) },
        { .name = "score", .type = RUNNER_T_NUMERIC(10, 2), .server_default = "0" }),
    .indexes = RUNNER_MODEL_INDEXES(
        { .columns = RUNNER_NAMES("user_id", "title"), .unique = 1 }),
    .constraints = RUNNER_CONSTRAINTS(
        { .kind = RUNNER_CHECK, .name = "ck_posts_score", .check = "score >= 0" }));

RUNNER_MODEL(user,
    .table = "users",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1, .index = 1 },
        { .name = "email", .type = RUNNER_T_STRING, .unique = 1, .index = 1 },
        { .name = "nick", .type = RUNNER_T_VARCHAR(40), .unique = 1 },
        { .name = "created_at", .type = RUNNER_T_DATETIME_TZ, .server_default = "now()" }));

RUNNER_MODELS(RUNNER_MODEL_REF(post), RUNNER_MODEL_REF(user));
