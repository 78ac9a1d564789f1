-- Dual-write (the ERP sync, see package dualwrite): what the delivery
-- worker needs on outbox_event, the inbox of ERP events already applied,
-- and the ERP's own principal.

-- seq orders the events of one record (aggregate_id) and of the record it
-- must follow (after_id: an order's contact), in the order they were
-- written: events of one record are written under that record's row lock,
-- so seq order is commit order for them.
ALTER TABLE outbox_event
    ADD COLUMN seq             bigint GENERATED ALWAYS AS IDENTITY,
    ADD COLUMN after_id        uuid,
    -- the River job (river_job.id) that delivers the event now
    ADD COLUMN job_id          bigint,
    -- the ERP's last answer: HTTP status (null: no answer, see last_error)
    -- and the start of its body, for the administrator
    ADD COLUMN last_status     int,
    ADD COLUMN last_answer     text,
    ADD COLUMN last_attempt_at timestamptz;
CREATE UNIQUE INDEX outbox_event_seq_key ON outbox_event (seq);
-- "is an earlier event of this record still on its way?"
CREATE INDEX outbox_event_undelivered_idx ON outbox_event (aggregate_id, seq) WHERE delivered_at IS NULL;
-- the operations view lists events by state, newest first
CREATE INDEX outbox_event_page_idx ON outbox_event (created_at DESC, id DESC);

-- An event from the ERP is applied once: its id is recorded in the
-- transaction that applies it. Refused events are recorded too (outcome
-- REFUSED with the reason) so an administrator sees what the ERP tried.
CREATE TABLE inbox_event (
    id          uuid PRIMARY KEY,
    type        text NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('APPLIED', 'REFUSED')),
    error       text,
    payload     jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbox_event_page_idx ON inbox_event (received_at DESC, id DESC);

-- The ERP's principal: the sync's own writes (order statuses, master data)
-- run as this contact and are audited under it. It holds Administrators
-- (master data needs the administrators' rights) and is disabled with no
-- password, so nobody can sign in as it.
INSERT INTO contact (id, first_name, last_name, email, disabled)
VALUES ('00000000-0000-4000-8000-00000000e4b0', 'ERP', 'sync', 'erp-sync@portal.invalid', true);
INSERT INTO contact_web_role (contact_id, web_role_id)
SELECT '00000000-0000-4000-8000-00000000e4b0', id FROM web_role WHERE key = 'administrators';
