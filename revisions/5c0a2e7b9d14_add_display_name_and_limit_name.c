/* Add display_name and limit name to 100 characters
 *
 * Revision ID: 5c0a2e7b9d14
 * Revises: 1975ea83b712
 * Create Date: 2026-11-26 11:00:00.000000
 */
#include <runner/plugin.h>

RUNNER_REVISION(
    .revision = "5c0a2e7b9d14",
    .down_revision = RUNNER_REVS("1975ea83b712"),
    .message = "Add display_name and limit name to 100 characters",
    .create_date = "2026-11-26 11:00:00.000000");

int upgrade(runner_op *op)
{
    if (op_add_column(op, NULL, "users",
                      &(runner_column){ .name = "display_name", .type = "varchar(100)" }) != 0)
        return -1;
    return op_alter_column(op, NULL, "users", "name", &(runner_alter){
        .type = "varchar(100)", .using_expr = "left(name, 100)" });
}

int downgrade(runner_op *op)
{
    if (op_alter_column(op, NULL, "users", "name", &(runner_alter){ .type = "varchar" }) != 0)
        return -1;
    return op_drop_column(op, NULL, "users", "display_name");
}
