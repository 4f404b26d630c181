-- expect: safe
ANALYZE users;
