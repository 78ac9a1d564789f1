-- The order wizard: line numbers that are never reused, and money rounded to
-- the currency's minor units.

-- Line numbers come from a per-order counter rather than max()+1, so a line
-- number removed from a draft is never given to another line: a number the
-- customer saw keeps meaning the same line.
ALTER TABLE sales_order ADD COLUMN next_line_number int NOT NULL DEFAULT 1 CHECK (next_line_number > 0);

-- The country of the order's delivery address, copied with the address. It
-- must be the country the order ships to (the orders package refuses any
-- other), and the ERP gets it with the address. Orders made before this
-- column take the country of the account address they copied, matched on
-- every copied field, else their ship-to country.
ALTER TABLE sales_order ADD COLUMN delivery_country_code char(2) REFERENCES country (code);
UPDATE sales_order o SET delivery_country_code = COALESCE(
    (SELECT d.country_code FROM delivery_address d
     WHERE d.customer_account_id = o.customer_account_id AND d.description = o.delivery_address_description
       AND d.street = o.delivery_street AND d.city = o.delivery_city AND d.postal_code = o.delivery_postal_code),
    o.ship_to_country);
ALTER TABLE sales_order ALTER COLUMN delivery_country_code SET NOT NULL;

-- ISO 4217 minor units: how many decimals an amount in the currency has.
-- Line amounts are rounded to these (most currencies 2; JPY 0; KWD 3).
ALTER TABLE currency ADD COLUMN minor_units smallint NOT NULL DEFAULT 2 CHECK (minor_units BETWEEN 0 AND 4);
UPDATE currency SET minor_units = 0 WHERE code IN
 ('BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF');
UPDATE currency SET minor_units = 3 WHERE code IN ('BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND');

-- Orders listed by submission date (the orders filter).
CREATE INDEX sales_order_submitted_idx ON sales_order (submitted_at) WHERE submitted_at IS NOT NULL;

-- The outbox (outbox_event) that carries submitted orders to the ERP is
-- created with the identity migration, which records contact changes in it.
