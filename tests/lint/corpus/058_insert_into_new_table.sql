-- expect: safe
CREATE TABLE countries (code text PRIMARY KEY, name text NOT NULL);
INSERT INTO countries VALUES ('fr', 'France'), ('de', 'Germany');
