-- expect: safe
GRANT SELECT ON users TO reporting;
