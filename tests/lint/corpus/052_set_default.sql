-- expect: safe
ALTER TABLE users ALTER COLUMN active SET DEFAULT false;
