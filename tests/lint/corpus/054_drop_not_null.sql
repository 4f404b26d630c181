-- expect: safe
ALTER TABLE users ALTER COLUMN phone DROP NOT NULL;
