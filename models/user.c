/* user.c -- the guide's User model:
 *
 *     class User(Base):
 *         __tablename__ = "users"
 *         id = Column(Integer, primary_key=True, index=True)
 *         email = Column(String, unique=True, index=True)
 *         name = Column(String)
 *         created_at = Column(DateTime, server_default=func.now())
 */
#include <runner/model.h>

RUNNER_MODEL(user,
    .table = "users",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1, .index = 1 },
        { .name = "email", .type = RUNNER_T_STRING, .unique = 1, .index = 1 },
        { .name = "name", .type = RUNNER_T_STRING },
        { .name = "created_at", .type = RUNNER_T_DATETIME, .server_default = "now()" }));
