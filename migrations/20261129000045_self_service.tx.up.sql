-- Self-service for signed-up contacts: password reset links and the
-- profile's phone number.

-- A password reset link carries a single-use token; only its SHA-256 is
-- stored (256 random bits: a fast hash is enough, as for invitations).
-- Requesting a new link voids the earlier open ones of the contact.
CREATE TABLE password_reset (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    contact_id uuid NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    voided_at  timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (used_at IS NULL OR voided_at IS NULL)
);
CREATE INDEX password_reset_contact_idx ON password_reset (contact_id);
CREATE INDEX password_reset_expires_idx ON password_reset (expires_at);

-- What a contact keeps up to date about itself on its Profile page. A table
-- of its own rather than columns on contact: the ERP owns contact's columns
-- (dual-write), the phone number is the portal user's own.
CREATE TABLE contact_profile (
    contact_id uuid PRIMARY KEY REFERENCES contact (id) ON DELETE CASCADE,
    phone      text NOT NULL DEFAULT '' CHECK (length(phone) <= 40),
    updated_at timestamptz NOT NULL DEFAULT now()
);
