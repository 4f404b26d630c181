-- expect: dangerous
ALTER TABLE events ALTER COLUMN payload TYPE jsonb USING payload::jsonb;
