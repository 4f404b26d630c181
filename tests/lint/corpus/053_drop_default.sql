-- expect: safe
ALTER TABLE users ALTER COLUMN active DROP DEFAULT;
