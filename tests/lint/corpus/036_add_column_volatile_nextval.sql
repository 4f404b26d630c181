-- expect: dangerous
ALTER TABLE users ADD COLUMN ticket bigint DEFAULT nextval('tickets_seq');
