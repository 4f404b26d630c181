-- expect: dangerous
ALTER TABLE users ADD COLUMN shard integer DEFAULT (random() * 16)::integer;
