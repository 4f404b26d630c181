-- expect: dangerous
-- runner: no-transaction
VACUUM FULL users;
