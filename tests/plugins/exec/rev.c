/* rev.c -- the one source of every revision of the executor's test
 * scenarios.  CMakeLists.txt builds it once per revision with:
 *   EXEC_REV     the revision id
 *   EXEC_DOWN    its down revision (absent: a base), EXEC_DOWN2 a second (merge)
 *   EXEC_TABLE   the table it creates (or indexes)
 *   EXEC_MODE    what upgrade() does, below
 *   EXEC_FLAGS   metadata flags (RUNNER_NO_TRANSACTION) */
#include <stdio.h>

#include <runner/plugin.h>

#define MODE_TABLE 0            /* CREATE TABLE EXEC_TABLE; downgrade drops it */
#define MODE_FAIL 1             /* create the table, then a statement that fails */
#define MODE_RETURN 2           /* return 7 without any SQL error */
#define MODE_CONCURRENTLY 3     /* two CREATE INDEX CONCURRENTLY, one op_execute each */
#define MODE_CONC_SCRIPT 4      /* the same two in one op_execute: PostgreSQL refuses */
#define MODE_EMPTY 5            /* nothing (merge points) */
#define MODE_TAMPER 6           /* empties the version table behind the runner's back */
#define MODE_FIRST_FAIL 7       /* a script whose first statement fails */
#define MODE_DEFERRED 8         /* a deferred unique constraint that fails at COMMIT */
#define MODE_LOCK 9             /* LOCK TABLE EXEC_TABLE (made by an earlier revision) */
#define MODE_PREPARED 10        /* EXEC_TABLE holds the session's runner_r% prepared statements */
#define MODE_DEALLOCATE 11      /* create the table, then DEALLOCATE ALL (the session's prepared statements) */
#define MODE_SET_PATH 12        /* SET search_path = public (session-wide, as careless code does) */
#define MODE_UNLOCK_ALL 13      /* create the table, then release the session's advisory locks */
#define MODE_DISCARD_ALL 14     /* create the table, then DISCARD ALL (outside a transaction only) */
#define MODE_RAW_UNLOCK 15      /* create the table, then release the advisory locks through
                                 * op_pgconn(), where runner does not see the SQL */

#if defined(EXEC_DOWN2)
RUNNER_REVISION(.revision = EXEC_REV, .down_revision = RUNNER_REVS(EXEC_DOWN, EXEC_DOWN2),
                .message = "Merge into " EXEC_REV, .flags = EXEC_FLAGS);
#elif defined(EXEC_DOWN)
RUNNER_REVISION(.revision = EXEC_REV, .down_revision = RUNNER_REVS(EXEC_DOWN),
                .message = "Create " EXEC_TABLE, .flags = EXEC_FLAGS);
#else
RUNNER_REVISION(.revision = EXEC_REV, .message = "Create " EXEC_TABLE, .flags = EXEC_FLAGS);
#endif

/* libpq's, resolved at load time from the runner that loads the plugin
 * (which links libpq), so that this test plugin needs no libpq headers */
void *PQexec(void *conn, const char *query);
void PQclear(void *res);

static int create(runner_op *op)
{
    char sql[256];

    snprintf(sql, sizeof(sql), "CREATE TABLE %s (id integer PRIMARY KEY, a integer)", EXEC_TABLE);
    return op_execute(op, sql);
}

int upgrade(runner_op *op)
{
    switch (EXEC_MODE) {
    case MODE_TABLE:
        return create(op);
    case MODE_FAIL:
        if (create(op) != 0)
            return -1;
        return op_execute(op, "INSERT INTO exec_missing VALUES (1)");
    case MODE_RETURN:
        return 7;
    case MODE_TAMPER:
        return op_execute(op, "DELETE FROM alembic_version");
    case MODE_FIRST_FAIL:
        return op_execute(op, "SELECT id FROM exec_first_missing; CREATE TABLE " EXEC_TABLE
                              " (id integer)");
    case MODE_PREPARED:
        return op_execute(op, "CREATE TABLE " EXEC_TABLE " AS SELECT name, statement FROM "
                              "pg_prepared_statements WHERE name LIKE 'runner\\_r%'");
    case MODE_DEALLOCATE:
        if (create(op) != 0)
            return -1;
        return op_execute(op, "DEALLOCATE ALL");
    case MODE_UNLOCK_ALL:
        if (create(op) != 0)
            return -1;
        return op_execute(op, "SELECT pg_advisory_unlock_all()");
    case MODE_DISCARD_ALL:
        if (create(op) != 0)
            return -1;
        return op_execute(op, "DISCARD ALL");
    case MODE_RAW_UNLOCK: {
        void *conn;

        if (create(op) != 0)
            return -1;
        conn = op_pgconn(op);
        if (!conn)
            return -1;
        PQclear(PQexec(conn, "SELECT pg_advisory_unlock_all()"));
        return 0;
    }
    case MODE_SET_PATH:
        return op_execute(op, "SET search_path = public");
    case MODE_LOCK:
        return op_execute(op, "LOCK TABLE " EXEC_TABLE " IN ACCESS EXCLUSIVE MODE");
    case MODE_DEFERRED:
        return op_execute(op, "CREATE TABLE " EXEC_TABLE " (id integer, CONSTRAINT " EXEC_TABLE
                              "_u UNIQUE (id) DEFERRABLE INITIALLY DEFERRED); INSERT INTO "
                              EXEC_TABLE " VALUES (1), (1)");
    case MODE_CONCURRENTLY:
        /* one statement per call: a multi-statement string is one implicit
         * transaction, where CONCURRENTLY is refused */
        if (op_execute(op, "CREATE INDEX CONCURRENTLY exec_ix_a ON " EXEC_TABLE " (a)") != 0)
            return -1;
        return op_execute(op, "CREATE INDEX CONCURRENTLY exec_ix_id_a ON " EXEC_TABLE " (id, a)");
    case MODE_CONC_SCRIPT:
        return op_execute(op, "CREATE INDEX CONCURRENTLY exec_ix_a ON " EXEC_TABLE " (a);\n"
                              "CREATE INDEX CONCURRENTLY exec_ix_id_a ON " EXEC_TABLE " (id, a)");
    default:
        return 0;
    }
}

int downgrade(runner_op *op)
{
    switch (EXEC_MODE) {
    case MODE_TABLE:
    case MODE_FAIL:
        return op_execute(op, "DROP TABLE " EXEC_TABLE);
    case MODE_CONCURRENTLY:
        if (op_execute(op, "DROP INDEX CONCURRENTLY exec_ix_id_a") != 0)
            return -1;
        return op_execute(op, "DROP INDEX CONCURRENTLY exec_ix_a");
    default:
        return 0;
    }
}
