-- expect: safe
-- runner: no-transaction
DROP INDEX CONCURRENTLY ix_users_email;
