-- expect: safe
CREATE SEQUENCE tickets_seq;
