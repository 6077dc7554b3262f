-- The orders an integration (the brand's own shop) sent, by its order number: an order
-- sent again (a retry, a later sync) is a purchase once.
CREATE TABLE shop_orders (
    partner_id  INTEGER NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    order_id    TEXT NOT NULL,
    contact_id  INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (partner_id, order_id)
);
