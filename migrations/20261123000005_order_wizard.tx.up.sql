-- The order wizard: line numbers that are never reused, money rounded to the
-- currency's minor units, and the outbox that carries submitted orders to the
-- ERP (DESIGN §7).

-- Line numbers come from a per-order counter rather than max()+1, so a line
-- number removed from a draft is never given to another line: a number the
-- customer saw keeps meaning the same line.
ALTER TABLE sales_order ADD COLUMN next_line_number int NOT NULL DEFAULT 1 CHECK (next_line_number > 0);

-- ISO 4217 minor units: how many decimals an amount in the currency has.
-- Line amounts are rounded to these (most currencies 2; JPY 0; KWD 3).
ALTER TABLE currency ADD COLUMN minor_units smallint NOT NULL DEFAULT 2 CHECK (minor_units BETWEEN 0 AND 4);
UPDATE currency SET minor_units = 0 WHERE code IN
 ('BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF');
UPDATE currency SET minor_units = 3 WHERE code IN ('BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND');

-- Orders listed by submission date (the orders filter).
CREATE INDEX sales_order_submitted_idx ON sales_order (submitted_at) WHERE submitted_at IS NOT NULL;

-- The transactional outbox: a row is written in the same transaction as the
-- change it announces, and a worker (the ERP sync issue) delivers it with
-- retries. payload is the event's data; the worker wraps it in the envelope
-- {id, type, occurredAt, data}.
CREATE TABLE outbox_event (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    type            text NOT NULL CHECK (type <> ''),
    -- the record the event is about, so a worker can keep one record's
    -- events in order
    aggregate_id    uuid NOT NULL,
    payload         jsonb NOT NULL,
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    delivered_at    timestamptz,
    dead            boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);
-- What the worker claims next (FOR UPDATE SKIP LOCKED): undelivered, alive.
CREATE INDEX outbox_event_pending_idx ON outbox_event (next_attempt_at) WHERE delivered_at IS NULL AND NOT dead;
CREATE INDEX outbox_event_aggregate_idx ON outbox_event (aggregate_id, created_at);
