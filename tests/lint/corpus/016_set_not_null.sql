-- expect: dangerous
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
