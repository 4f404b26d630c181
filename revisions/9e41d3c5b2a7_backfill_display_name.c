/* Backfill display_name
 *
 * Revision ID: 9e41d3c5b2a7
 * Revises: 5c0a2e7b9d14
 * Create Date: 2026-11-26 11:30:00.000000
 *
 * A data migration: it reads rows through the live connection
 * (op_pgconn) and writes each one back with a parameterised UPDATE, the way
 * a migration does when the new value needs C code to compute.  Offline
 * (--sql) there is no connection, so it emits one equivalent UPDATE.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include <runner/plugin.h>

RUNNER_REVISION(
    .revision = "9e41d3c5b2a7",
    .down_revision = RUNNER_REVS("5c0a2e7b9d14"),
    .message = "Backfill display_name",
    .create_date = "2026-11-26 11:30:00.000000");

/* "ada.lovelace@example.com" -> "Ada Lovelace" */
static void display_name(const char *email, char *out, size_t size)
{
    size_t n = 0;
    int start = 1;

    for (const char *p = email; *p && *p != '@' && n + 1 < size; p++) {
        char c = *p;

        if (c == '.' || c == '_' || c == '-') {
            out[n++] = ' ';
            start = 1;
            continue;
        }
        out[n++] = (char)(start && c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
        start = 0;
    }
    out[n] = '\0';
}

int upgrade(runner_op *op)
{
    PGconn *conn = op_pgconn(op);
    PGresult *rows;
    int ret = 0;

    if (op_is_offline(op) || !conn)
        return op_execute(op, "UPDATE users SET display_name = split_part(email, '@', 1) "
                              "WHERE display_name IS NULL AND email IS NOT NULL");
    rows = PQexec(conn, "SELECT id, email FROM users "
                        "WHERE display_name IS NULL AND email IS NOT NULL");
    if (PQresultStatus(rows) != PGRES_TUPLES_OK) {
        op_log(op, PQresultErrorMessage(rows));
        PQclear(rows);
        return -1;
    }
    for (int i = 0; i < PQntuples(rows) && ret == 0; i++) {
        char name[101];
        const char *params[2];

        display_name(PQgetvalue(rows, i, 1), name, sizeof(name));
        params[0] = name;
        params[1] = PQgetvalue(rows, i, 0);
        ret = op_execute_params(op, "UPDATE users SET display_name = $1 WHERE id = $2::integer",
                                2, params);
    }
    PQclear(rows);
    return ret;
}

int downgrade(runner_op *op)
{
    return op_execute(op, "UPDATE users SET display_name = NULL");
}
