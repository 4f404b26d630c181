-- expect: dangerous
ALTER TABLE users DROP COLUMN nickname;
