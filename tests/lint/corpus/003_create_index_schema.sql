-- expect: dangerous
CREATE INDEX ix_orders_created ON shop.orders (created_at);
