-- expect: safe
CREATE EXTENSION IF NOT EXISTS pg_trgm;
