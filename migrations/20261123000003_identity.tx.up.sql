-- Invitations, sessions, sign-in throttling, the audit log, and the outbox
-- that the ERP sync (dual-write) will drain.

-- An invitation carries a single-use code; only its SHA-256 is stored. The
-- code has 256 bits of entropy, so a fast hash is enough: nobody can guess
-- a preimage, and a slow hash would only slow down redemption.
CREATE TABLE invitation (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    contact_id  uuid NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    code_hash   bytea NOT NULL UNIQUE CHECK (length(code_hash) = 32),
    expires_at  timestamptz NOT NULL,
    redeemed_at timestamptz,
    revoked_at  timestamptz,
    invited_by  uuid REFERENCES contact (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (redeemed_at IS NULL OR revoked_at IS NULL)
);
CREATE INDEX invitation_contact_idx ON invitation (contact_id);
CREATE INDEX invitation_page_idx ON invitation (created_at DESC, id DESC);

-- The roles an invitation grants when redeemed.
CREATE TABLE invitation_role (
    invitation_id uuid NOT NULL REFERENCES invitation (id) ON DELETE CASCADE,
    web_role_id   uuid NOT NULL REFERENCES web_role (id) ON DELETE CASCADE,
    PRIMARY KEY (invitation_id, web_role_id)
);

-- Sessions: only the SHA-256 of the random token is stored, so a copy of
-- the database cannot be used to sign in.
CREATE TABLE session (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    contact_id   uuid NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    client_ip    text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT ''
);
CREATE INDEX session_contact_idx ON session (contact_id);
CREATE INDEX session_expires_idx ON session (expires_at);

-- Failed sign-ins, by "email:<address>" and "ip:<address>", for rate
-- limiting that holds across every instance.
CREATE TABLE sign_in_failure (
    id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key text NOT NULL,
    at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failure_key_idx ON sign_in_failure (key, at);
CREATE INDEX sign_in_failure_at_idx ON sign_in_failure (at);

-- Who did what, when, from where.
CREATE TABLE audit_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    actor_id      uuid REFERENCES contact (id) ON DELETE SET NULL,
    action        text NOT NULL,
    subject_type  text NOT NULL,
    subject_id    text NOT NULL,
    client_ip     text NOT NULL DEFAULT '',
    detail        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_page_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_subject_idx ON audit_log (subject_type, subject_id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id);

-- The transactional outbox (DESIGN §7): a row is written in the same
-- transaction as the change it announces (a contact saved, an order
-- submitted), and a worker (the ERP sync issue) delivers it with retries.
-- payload is the event's data; the worker wraps it in the envelope
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
CREATE INDEX outbox_event_due_idx ON outbox_event (next_attempt_at) WHERE delivered_at IS NULL AND NOT dead;
CREATE INDEX outbox_event_aggregate_idx ON outbox_event (aggregate_id, created_at);
