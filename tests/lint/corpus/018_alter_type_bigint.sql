-- expect: dangerous
ALTER TABLE users ALTER COLUMN id TYPE bigint;
