-- expect: dangerous
ALTER TABLE users RENAME TO accounts;
