-- expect: dangerous
-- runner: no-transaction
BEGIN;
CREATE INDEX CONCURRENTLY ix_users_city ON users (city);
COMMIT;
