-- expect: safe
-- runner: no-transaction
VACUUM ANALYZE users;
