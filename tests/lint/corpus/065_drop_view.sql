-- expect: safe
DROP VIEW IF EXISTS active_users;
