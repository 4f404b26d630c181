-- expect: dangerous
ALTER TABLE users ADD COLUMN ref uuid NOT NULL DEFAULT gen_random_uuid();
