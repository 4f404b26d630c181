-- expect: safe
CREATE SCHEMA IF NOT EXISTS billing;
