-- expect: dangerous
DROP INDEX CONCURRENTLY ix_users_name;
