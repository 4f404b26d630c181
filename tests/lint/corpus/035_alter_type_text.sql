-- expect: dangerous
ALTER TABLE users ALTER COLUMN bio TYPE text;
