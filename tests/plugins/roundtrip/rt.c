/* rt.c -- the one source of every revision of `runner test`'s scenarios.
 * CMakeLists.txt builds it once per revision with:
 *   RT_REV     the revision id
 *   RT_DOWN    its down revision (absent: a base), RT_DOWN2 a second (merge)
 *   RT_MODE    what upgrade() and downgrade() do, below
 *   RT_TABLE   the table of MODE_SLOW
 *   RT_DATA    defined: the revision exports test_data() and test_verify() */
#include <runner/plugin.h>

#define MODE_USERS 0            /* users table; downgrade drops it */
#define MODE_INDEX 1            /* ix_users_email; downgrade drops it */
#define MODE_INDEX_FORGOT 2     /* ix_users_email; downgrade forgets it */
#define MODE_COLUMN_FORGOT 3    /* users.nickname; downgrade forgets it */
#define MODE_TYPE_OTHER 4       /* display_name to text; downgrade to varchar(100), not 50 */
#define MODE_SEED_FORGOT 5      /* a row with a unique email; downgrade leaves it */
#define MODE_ENUM 6             /* enum mood and users.mood; downgrade drops both */
#define MODE_LABEL_FORGOT 7     /* ALTER TYPE mood ADD VALUE; downgrade leaves the label */
#define MODE_RICH 8             /* sequence, view, function, trigger, comments, a schema */
#define MODE_SLOW 9             /* pg_sleep, then RT_TABLE */
#define MODE_EMPTY 10           /* nothing (heads, merges) */
#define MODE_DATA_LOST 11       /* users.age; downgrade drops it and, wrongly, every row */
#define MODE_VIEW 12            /* view names on users.display_name; downgrade drops it */
#define MODE_RENAME_FORGOT 13   /* renames users.display_name; downgrade forgets it (the
                                 * view's text changes with it: only pg_depend says so) */
#define MODE_CASCADE_LOST 14    /* users.age; downgrade recreates users, losing the view */

#if defined(RT_DOWN2)
RUNNER_REVISION(.revision = RT_REV, .down_revision = RUNNER_REVS(RT_DOWN, RT_DOWN2),
                .message = "Merge into " RT_REV);
#elif defined(RT_DOWN)
RUNNER_REVISION(.revision = RT_REV, .down_revision = RUNNER_REVS(RT_DOWN),
                .message = "Revision " RT_REV);
#else
RUNNER_REVISION(.revision = RT_REV, .message = "Revision " RT_REV);
#endif

#ifndef RT_TABLE
#define RT_TABLE "rt_slow"
#endif

int upgrade(runner_op *op)
{
    switch (RT_MODE) {
    case MODE_USERS:
        return op_execute(op, "CREATE TABLE users (id serial PRIMARY KEY,"
                              " email varchar(50) NOT NULL UNIQUE,"
                              " display_name varchar(50) DEFAULT 'anonymous');"
                              "COMMENT ON TABLE users IS 'people who sign in'");
    case MODE_INDEX:
    case MODE_INDEX_FORGOT:
        return op_execute(op, "CREATE INDEX ix_users_email ON users (lower(email))");
    case MODE_COLUMN_FORGOT:
        return op_execute(op, "ALTER TABLE users ADD COLUMN nickname text");
    case MODE_TYPE_OTHER:
        return op_execute(op, "ALTER TABLE users ALTER COLUMN display_name TYPE text");
    case MODE_SEED_FORGOT:
        return op_execute(op, "INSERT INTO users (email) VALUES ('admin@example.com')");
    case MODE_ENUM:
        return op_execute(op, "CREATE TYPE mood AS ENUM ('sad', 'ok');"
                              "ALTER TABLE users ADD COLUMN mood mood");
    case MODE_LABEL_FORGOT:
        return op_execute(op, "ALTER TYPE mood ADD VALUE 'happy'");
    case MODE_RICH:
        return op_execute(op,
            "CREATE SEQUENCE invoice_no START 1000;"
            "CREATE VIEW active_users AS SELECT id, email FROM users;"
            "COMMENT ON VIEW active_users IS 'who is active';"
            "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql"
            " AS $$BEGIN RETURN NEW; END$$;"
            "CREATE TRIGGER users_touch BEFORE UPDATE ON users"
            " FOR EACH ROW EXECUTE FUNCTION touch();"
            "CREATE DOMAIN email_address AS text CHECK (VALUE LIKE '%@%');"
            "COMMENT ON COLUMN users.email IS 'where we write';"
            "CREATE SCHEMA audit; CREATE TABLE audit.log (id integer, what text NOT NULL)");
    case MODE_SLOW:
        return op_execute(op, "SELECT pg_sleep(0.3); CREATE TABLE " RT_TABLE " (id integer)");
    case MODE_DATA_LOST:
    case MODE_CASCADE_LOST:
        return op_execute(op, "ALTER TABLE users ADD COLUMN age integer");
    case MODE_VIEW:
        return op_execute(op, "CREATE VIEW names AS SELECT display_name FROM users");
    case MODE_RENAME_FORGOT:
        return op_execute(op, "ALTER TABLE users RENAME COLUMN display_name TO shown_name");
    default:
        return 0;
    }
}

int downgrade(runner_op *op)
{
    switch (RT_MODE) {
    case MODE_USERS:
        return op_execute(op, "DROP TABLE users");
    case MODE_INDEX:
        return op_execute(op, "DROP INDEX ix_users_email");
    case MODE_TYPE_OTHER:
        return op_execute(op, "ALTER TABLE users ALTER COLUMN display_name TYPE varchar(100)");
    case MODE_ENUM:
        return op_execute(op, "ALTER TABLE users DROP COLUMN mood; DROP TYPE mood");
    case MODE_RICH:
        return op_execute(op,
            "DROP SCHEMA audit CASCADE;"
            "COMMENT ON COLUMN users.email IS NULL;"
            "DROP DOMAIN email_address;"
            "DROP TRIGGER users_touch ON users;"
            "DROP FUNCTION touch();"
            "DROP VIEW active_users;"
            "DROP SEQUENCE invoice_no");
    case MODE_SLOW:
        return op_execute(op, "DROP TABLE " RT_TABLE);
    case MODE_DATA_LOST:
        return op_execute(op, "ALTER TABLE users DROP COLUMN age; DELETE FROM users");
    case MODE_VIEW:
        return op_execute(op, "DROP VIEW names");
    case MODE_CASCADE_LOST:
        /* the same table again (a new oid), but the view went with the old one */
        return op_execute(op, "DROP TABLE users CASCADE;"
                              "CREATE TABLE users (id serial PRIMARY KEY,"
                              " email varchar(50) NOT NULL UNIQUE,"
                              " display_name varchar(50) DEFAULT 'anonymous');"
                              "COMMENT ON TABLE users IS 'people who sign in'");
    default:
        return 0;        /* the forgetful ones */
    }
}

#ifdef RT_DATA
/* A row before the upgrade; it must survive upgrade, downgrade, upgrade. */
int test_data(runner_op *op)
{
    return op_execute(op, "INSERT INTO users (email) VALUES ('data@example.com')");
}

int test_verify(runner_op *op)
{
    return op_execute(op, "DO $$BEGIN IF (SELECT count(*) FROM users"
                          " WHERE email = 'data@example.com') <> 1 THEN"
                          " RAISE EXCEPTION 'row data@example.com lost'; END IF; END$$");
}
#endif
