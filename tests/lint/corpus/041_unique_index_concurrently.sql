-- expect: safe
-- runner: no-transaction
CREATE UNIQUE INDEX CONCURRENTLY ux_users_email ON users (email);
