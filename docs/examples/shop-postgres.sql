-- An example shop database for PostgreSQL: customers, their addresses, orders and their items, support tickets
-- and marketing consents. Foreign keys go two levels deep (order_items -> orders -> customers).
CREATE TABLE customers (
    id           BIGINT PRIMARY KEY,
    email        VARCHAR(254) NOT NULL UNIQUE,
    phone_number VARCHAR(32),
    full_name    VARCHAR(200) NOT NULL,
    birth_date   DATE,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE TABLE addresses (
    id          BIGINT PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    line1       VARCHAR(200) NOT NULL,
    city        VARCHAR(100) NOT NULL,
    postcode    VARCHAR(20)
);
CREATE TABLE orders (
    id               BIGINT PRIMARY KEY,
    customer_id      BIGINT NOT NULL REFERENCES customers (id),
    shipping_address VARCHAR(400),
    total_cents      BIGINT NOT NULL,
    placed_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE TABLE order_items (
    id           BIGINT PRIMARY KEY,
    order_id     BIGINT NOT NULL REFERENCES orders (id),
    sku          VARCHAR(40) NOT NULL,
    quantity     INTEGER NOT NULL,
    gift_message VARCHAR(400)
);
CREATE INDEX order_items_order ON order_items (order_id);
CREATE TABLE support_tickets (
    id          BIGINT PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    subject     VARCHAR(200) NOT NULL,
    body        TEXT NOT NULL
);
CREATE TABLE marketing_consents (
    id         BIGINT PRIMARY KEY,
    email      VARCHAR(254) NOT NULL,
    channel    VARCHAR(20) NOT NULL,
    granted_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX marketing_consents_email ON marketing_consents (email);
