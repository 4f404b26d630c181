-- expect: dangerous
ALTER TABLE users ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;
