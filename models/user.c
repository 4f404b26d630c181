/* user.c -- the guide's User model, as it stands at the example's head:
 *
 *     class User(Base):
 *         __tablename__ = "users"
 *         id = Column(Integer, primary_key=True, index=True)
 *         email = Column(String, unique=True, index=True)
 *         name = Column(String(100))               # 5c0a2e7b9d14: was String
 *         created_at = Column(DateTime, server_default=func.now())
 *         display_name = Column(String(100))       # 5c0a2e7b9d14
 *
 * The first revision, 1975ea83b712, is what `runner revision --autogenerate`
 * wrote for the guide's original four columns; the next one was written by
 * hand after the model gained display_name and the limit on name.
 */
#include <runner/model.h>

RUNNER_MODEL(user,
    .table = "users",
    .columns = RUNNER_MODEL_COLUMNS(
        { .name = "id", .type = RUNNER_T_INTEGER, .primary_key = 1, .index = 1 },
        { .name = "email", .type = RUNNER_T_STRING, .unique = 1, .index = 1 },
        { .name = "name", .type = RUNNER_T_VARCHAR(100) },
        { .name = "created_at", .type = RUNNER_T_DATETIME, .server_default = "now()" },
        { .name = "display_name", .type = RUNNER_T_VARCHAR(100) }));
