-- The page engine (DESIGN §6): web templates with their history, page
-- templates, web pages, content snippets and site settings. Every change
-- bumps site_version and sends NOTIFY portal_site in the same transaction,
-- so every running instance drops its compiled templates.

CREATE TABLE web_template (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- a name, never a path: the loader refuses anything else
    name         text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z][A-Za-z0-9_]{0,63}$'),
    source       text NOT NULL,
    version      integer NOT NULL DEFAULT 1 CHECK (version > 0),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   uuid REFERENCES contact (id) ON DELETE SET NULL,
    -- SHA-256 (hex) of the shipped default this row was seeded from; an
    -- upgrade replaces the source only while it still equals that default
    default_hash text
);

-- Every saved version, the current one included, so a rollback can go to
-- any of them.
CREATE TABLE web_template_version (
    web_template_id uuid NOT NULL REFERENCES web_template (id) ON DELETE CASCADE,
    version         integer NOT NULL,
    source          text NOT NULL,
    saved_at        timestamptz NOT NULL DEFAULT now(),
    saved_by        uuid REFERENCES contact (id) ON DELETE SET NULL,
    PRIMARY KEY (web_template_id, version)
);

CREATE TABLE page_template (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name            text NOT NULL UNIQUE CHECK (name <> '' AND length(name) <= 100),
    web_template_id uuid NOT NULL REFERENCES web_template (id) ON DELETE RESTRICT
);
CREATE INDEX page_template_web_template_idx ON page_template (web_template_id);

CREATE TABLE web_page (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- a Go ServeMux pattern without method or host: /orders/{id}
    path             text NOT NULL UNIQUE CHECK (path ~ '^/' AND length(path) <= 300),
    title            text NOT NULL CHECK (length(title) <= 200),
    page_template_id uuid NOT NULL REFERENCES page_template (id) ON DELETE RESTRICT,
    public           boolean NOT NULL DEFAULT false,
    in_nav           boolean NOT NULL DEFAULT false,
    nav_order        integer NOT NULL DEFAULT 0
);
CREATE INDEX web_page_page_template_idx ON web_page (page_template_id);

-- The roles that may open a non-public page; none means any signed-in
-- viewer.
CREATE TABLE web_page_role (
    web_page_id uuid NOT NULL REFERENCES web_page (id) ON DELETE CASCADE,
    web_role_id uuid NOT NULL REFERENCES web_role (id) ON DELETE CASCADE,
    PRIMARY KEY (web_page_id, web_role_id)
);
CREATE INDEX web_page_role_role_idx ON web_page_role (web_role_id);

-- Text an administrator edits without touching a template, per language
-- ('' is the fallback for every language).
CREATE TABLE content_snippet (
    id       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name     text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,63}$'),
    language text NOT NULL DEFAULT '' CHECK (length(language) <= 35),
    value    text NOT NULL,
    UNIQUE (name, language)
);

CREATE TABLE site_setting (
    name  text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,63}$'),
    value text NOT NULL
);

-- One row: bumped by every change above; instances compare it every few
-- seconds in case a NOTIFY was lost.
CREATE TABLE site_version (
    id      boolean PRIMARY KEY DEFAULT true CHECK (id),
    version bigint NOT NULL DEFAULT 1
);
INSERT INTO site_version DEFAULT VALUES;

-- Snippets and settings are administered like the other site tables.
INSERT INTO table_permission (name, table_name, scope, privileges) VALUES
 ('Administrators: content snippets', 'content_snippet', 'GLOBAL', '{READ,CREATE,WRITE,DELETE,APPEND,APPEND_TO}'),
 ('Administrators: site settings', 'site_setting', 'GLOBAL', '{READ,CREATE,WRITE,DELETE,APPEND,APPEND_TO}');
INSERT INTO table_permission_role (table_permission_id, web_role_id)
SELECT tp.id, wr.id FROM table_permission tp, web_role wr
WHERE tp.name IN ('Administrators: content snippets', 'Administrators: site settings') AND wr.key = 'administrators';
UPDATE policy_version SET version = version + 1;
