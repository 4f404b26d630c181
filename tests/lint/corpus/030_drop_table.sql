-- expect: dangerous
DROP TABLE legacy_sessions;
