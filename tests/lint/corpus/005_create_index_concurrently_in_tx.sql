-- expect: dangerous
CREATE INDEX CONCURRENTLY ix_users_name ON users (name);
