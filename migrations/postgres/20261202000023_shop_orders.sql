-- The orders an integration (the brand's own shop) sent, by its order number: an order
-- sent again (a retry, a later sync) is a purchase once.
CREATE TABLE shop_orders (
    partner_id  BIGINT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    order_id    TEXT NOT NULL,
    contact_id  BIGINT REFERENCES contacts (id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (partner_id, order_id)
);
