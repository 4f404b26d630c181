-- expect: safe
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
