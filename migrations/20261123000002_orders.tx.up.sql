-- Sales orders placed in the portal. Header values the customer must not
-- choose are copied from the contact and its account when the order is made,
-- so a later change to the account does not rewrite an order.

-- Per-company order numbering. The prefix keeps portal numbers apart from the
-- ERP's own number sequence (the dual-write docs warn about collisions).
CREATE TABLE order_number_sequence (
    legal_entity_id uuid PRIMARY KEY REFERENCES legal_entity (id),
    prefix          text NOT NULL DEFAULT 'WEB-',
    next_value      bigint NOT NULL DEFAULT 1 CHECK (next_value > 0)
);

CREATE TABLE sales_order (
    id                           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    legal_entity_id              uuid NOT NULL REFERENCES legal_entity (id),
    number                       text NOT NULL,
    status                       text NOT NULL DEFAULT 'DRAFT' CHECK (status IN (
        'DRAFT', 'SUBMITTED', 'CONFIRMED', 'PICKED', 'PARTIALLY_DELIVERED', 'DELIVERED',
        'PARTIALLY_INVOICED', 'INVOICED', 'CANCELLED')),
    sync_state                   text NOT NULL DEFAULT 'NOT_SENT'
                                 CHECK (sync_state IN ('NOT_SENT', 'PENDING', 'SYNCED', 'FAILED')),
    erp_order_number             text,
    customer_account_id          uuid NOT NULL,
    invoice_account_id           uuid NOT NULL,
    contact_id                   uuid NOT NULL REFERENCES contact (id),
    currency                     char(3) NOT NULL REFERENCES currency (code),
    price_list_id                uuid NOT NULL,
    language                     text NOT NULL,
    ship_to_country              char(2) NOT NULL REFERENCES country (code),
    delivery_address_description text NOT NULL,
    delivery_street              text NOT NULL DEFAULT '',
    delivery_city                text NOT NULL DEFAULT '',
    delivery_postal_code         text NOT NULL DEFAULT '',
    requested_receipt_date       date NOT NULL,
    customer_requisition         text,
    total_amount                 numeric(19, 4) NOT NULL DEFAULT 0,
    -- optimistic concurrency for the wizard's edits
    version                      int NOT NULL DEFAULT 1,
    created_at                   timestamptz NOT NULL DEFAULT now(),
    updated_at                   timestamptz NOT NULL DEFAULT now(),
    submitted_at                 timestamptz,
    UNIQUE (legal_entity_id, number),
    CHECK ((status = 'DRAFT') = (submitted_at IS NULL)),
    FOREIGN KEY (legal_entity_id, customer_account_id) REFERENCES customer_account (legal_entity_id, id),
    FOREIGN KEY (legal_entity_id, invoice_account_id) REFERENCES customer_account (legal_entity_id, id),
    FOREIGN KEY (legal_entity_id, price_list_id) REFERENCES price_list (legal_entity_id, id)
);
-- Newest-first keyset pages within the scopes the permissions produce:
-- an account's orders (ACCOUNT), a contact's (CONTACT), all (GLOBAL).
CREATE INDEX sales_order_account_idx ON sales_order (customer_account_id, created_at DESC, id DESC);
CREATE INDEX sales_order_contact_idx ON sales_order (contact_id, created_at DESC, id DESC);
CREATE INDEX sales_order_created_idx ON sales_order (created_at DESC, id DESC);

CREATE TABLE sales_order_line (
    id                           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sales_order_id               uuid NOT NULL REFERENCES sales_order (id) ON DELETE CASCADE,
    line_number                  int NOT NULL CHECK (line_number > 0),
    product_id                   uuid NOT NULL REFERENCES product (id),
    quantity                     numeric(19, 6) NOT NULL CHECK (quantity > 0),
    unit                         text NOT NULL REFERENCES unit (code),
    unit_price                   numeric(19, 4) NOT NULL CHECK (unit_price >= 0),
    amount                       numeric(19, 4) NOT NULL,
    ship_to_country              char(2) NOT NULL REFERENCES country (code),
    delivery_address_description text NOT NULL,
    UNIQUE (sales_order_id, line_number)
);
CREATE INDEX sales_order_line_product_idx ON sales_order_line (product_id);
