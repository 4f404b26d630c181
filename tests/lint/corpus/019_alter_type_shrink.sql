-- expect: dangerous
ALTER TABLE users ALTER COLUMN name TYPE varchar(50);
