-- expect: dangerous
CREATE UNIQUE INDEX ix_users_login ON users (lower(login));
