/* lk.c -- the one source of every revision of `runner test --locks`'s
 * scenarios (tests/integration/test_locks.c).  CMakeLists.txt builds it
 * once per revision with LK_REV (its id), LK_DOWN (its down revision;
 * absent: a base) and LK_MODE (what upgrade() and downgrade() do). */
#include <runner/plugin.h>

#define MODE_TABLES 0       /* users, orders (NOT NULL FK to users), items, shapes
                             * (a NOT NULL point: cannot be filled), kinds (every
                             * type a value is generated for), limits (a CHECK
                             * the generated values break) */
#define MODE_REWRITE 1      /* items.qty integer -> bigint: a rewrite */
#define MODE_INDEX 2        /* CREATE INDEX without CONCURRENTLY: SHARE on users */
#define MODE_ADD_COLUMN 3   /* ADD COLUMN ... NOT NULL DEFAULT 'new': no rewrite since 11 */
#define MODE_NOT_VALID 4    /* a CHECK added NOT VALID */
#define MODE_VALIDATE 5     /* ... validated in the next revision */
#define MODE_SCRIPT 6       /* two statements in one op_execute() */
#define MODE_CONCURRENTLY 7 /* CREATE INDEX CONCURRENTLY, outside a transaction */

#if LK_MODE == MODE_CONCURRENTLY
#define LK_FLAGS RUNNER_NO_TRANSACTION
#else
#define LK_FLAGS 0
#endif

#if defined(LK_DOWN)
RUNNER_REVISION(.revision = LK_REV, .down_revision = RUNNER_REVS(LK_DOWN),
                .message = "Revision " LK_REV, .flags = LK_FLAGS);
#else
RUNNER_REVISION(.revision = LK_REV, .message = "Revision " LK_REV);
#endif

int upgrade(runner_op *op)
{
    switch (LK_MODE) {
    case MODE_TABLES:
        return op_execute(op,
            "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL UNIQUE,"
            " born date, active boolean NOT NULL, created timestamptz NOT NULL DEFAULT now());"
            "CREATE TABLE orders (id serial PRIMARY KEY,"
            " user_id integer NOT NULL REFERENCES users (id),"
            " amount numeric(12,2) NOT NULL, note varchar(20));"
            "CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
            " qty integer NOT NULL, tag uuid, data jsonb);"
            "CREATE TABLE shapes (id integer, where_ point NOT NULL);"
            "CREATE TYPE mood AS ENUM ('sad', 'ok');"
            "CREATE DOMAIN positive AS integer CHECK (VALUE > 0);"
            "CREATE TABLE kinds (a smallint NOT NULL, b bigint NOT NULL, c real NOT NULL,"
            " d double precision NOT NULL, e char(3) NOT NULL, f mood NOT NULL,"
            " g text[] NOT NULL, h bytea NOT NULL, i interval NOT NULL, j time NOT NULL,"
            " k timestamp NOT NULL, l inet NOT NULL, m json NOT NULL, n positive NOT NULL,"
            " o timetz NOT NULL, p point);"
            "CREATE TABLE limits (v integer NOT NULL CHECK (v < 10))");
    case MODE_REWRITE:
        return op_execute(op, "ALTER TABLE items ALTER COLUMN qty TYPE bigint");
    case MODE_INDEX:
        return op_execute(op, "CREATE INDEX ix_users_born ON users (born)");
    case MODE_ADD_COLUMN:
        return op_execute(op, "ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT 'new'");
    case MODE_NOT_VALID:
        return op_execute(op, "ALTER TABLE orders ADD CONSTRAINT orders_amount_positive"
                              " CHECK (amount >= 0) NOT VALID");
    case MODE_VALIDATE:
        return op_execute(op, "ALTER TABLE orders VALIDATE CONSTRAINT orders_amount_positive");
    case MODE_SCRIPT:
        return op_execute(op, "UPDATE items SET data = '{}' WHERE id = 1;"
                              " ALTER TABLE items ADD COLUMN note text");
    case MODE_CONCURRENTLY:
        return op_execute(op, "CREATE INDEX CONCURRENTLY ix_orders_user ON orders (user_id)");
    default:
        return 0;
    }
}

int downgrade(runner_op *op)
{
    switch (LK_MODE) {
    case MODE_TABLES:
        return op_execute(op, "DROP TABLE limits, kinds, shapes, items, orders, users;"
                              "DROP DOMAIN positive; DROP TYPE mood");
    case MODE_REWRITE:
        return op_execute(op, "ALTER TABLE items ALTER COLUMN qty TYPE integer");
    case MODE_INDEX:
        return op_execute(op, "DROP INDEX ix_users_born");
    case MODE_ADD_COLUMN:
        return op_execute(op, "ALTER TABLE users DROP COLUMN status");
    case MODE_NOT_VALID:
        return op_execute(op, "ALTER TABLE orders DROP CONSTRAINT orders_amount_positive");
    case MODE_VALIDATE:
        /* a validated constraint cannot be made NOT VALID again: re-add it */
        return op_execute(op, "ALTER TABLE orders DROP CONSTRAINT orders_amount_positive;"
                              "ALTER TABLE orders ADD CONSTRAINT orders_amount_positive"
                              " CHECK (amount >= 0) NOT VALID");
    case MODE_SCRIPT:
        return op_execute(op, "ALTER TABLE items DROP COLUMN note");
    case MODE_CONCURRENTLY:
        return op_execute(op, "DROP INDEX CONCURRENTLY ix_orders_user");
    default:
        return 0;
    }
}
