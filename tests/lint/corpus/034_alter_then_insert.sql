-- expect: dangerous
ALTER TABLE flags ADD COLUMN note text;
INSERT INTO flags (name, note) VALUES ('beta', 'seeded');
