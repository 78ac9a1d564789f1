-- Table permissions (Power Pages semantics, DESIGN §4): a permission grants
-- privileges on one table within a scope to the web roles linked to it.
-- policies.Enforcer loads these tables into Casbin; every change bumps
-- policy_version and sends NOTIFY portal_policy in the same transaction, so
-- every running instance reloads.
CREATE TABLE table_permission (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL CHECK (name <> ''),
    -- which tables and scopes fit together is checked in Go
    -- (policies.Tables), where the message can say what fits instead
    table_name text NOT NULL CHECK (table_name ~ '^[a-z_]+$'),
    scope      text NOT NULL CHECK (scope IN ('GLOBAL', 'ACCOUNT', 'CONTACT', 'SELF', 'PARENT')),
    privileges text[] NOT NULL CHECK (cardinality(privileges) > 0
               AND privileges <@ ARRAY['READ', 'CREATE', 'WRITE', 'DELETE', 'APPEND', 'APPEND_TO']),
    -- for PARENT scope: the permission on the parent table whose rows this
    -- one follows; a parent with children cannot be deleted
    parent_id  uuid REFERENCES table_permission (id) ON DELETE RESTRICT,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((scope = 'PARENT') = (parent_id IS NOT NULL))
);
CREATE UNIQUE INDEX table_permission_name_key ON table_permission (lower(name));
CREATE INDEX table_permission_parent_idx ON table_permission (parent_id);

CREATE TABLE table_permission_role (
    table_permission_id uuid NOT NULL REFERENCES table_permission (id) ON DELETE CASCADE,
    web_role_id         uuid NOT NULL REFERENCES web_role (id) ON DELETE CASCADE,
    PRIMARY KEY (table_permission_id, web_role_id)
);
CREATE INDEX table_permission_role_role_idx ON table_permission_role (web_role_id);

-- One row: bumped by every change to roles, memberships or permissions.
-- Instances compare it every few seconds, in case a NOTIFY was lost.
CREATE TABLE policy_version (
    id      boolean PRIMARY KEY DEFAULT true CHECK (id),
    version bigint NOT NULL DEFAULT 1
);
INSERT INTO policy_version DEFAULT VALUES;

-- The defaults of DESIGN §4. Administrators may change every one of them
-- (except what keeps them able to change permissions at all).
CREATE TEMPORARY TABLE seed_permission (
    name text, table_name text, scope text, privileges text[], parent text, roles text[]
) ON COMMIT DROP;
INSERT INTO seed_permission VALUES
 -- Administrators: everything, everywhere, including the administration
 -- tables themselves (roles, permissions, invitations, templates, pages).
 ('Administrators: sales orders', 'sales_order', 'GLOBAL', '{READ,CREATE,WRITE,DELETE,APPEND,APPEND_TO}', NULL, '{administrators}'),
 ('Administrators: order lines', 'sales_order_line', 'GLOBAL', '{READ,CREATE,WRITE,DELETE,APPEND,APPEND_TO}', NULL, '{administrators}'),
 ('Administrators: contacts', 'contact', 'GLOBAL', '{READ,CREATE,WRITE,DELETE,APPEND,APPEND_TO}', NULL, '{administrators}'),
 ('Administrators: customer accounts', 'customer_account', 'GLOBAL', '{READ,CREATE,WRITE,DELETE,APPEND,APPEND_TO}', NULL, '{administrators}'),
 ('Administrators: delivery addresses', 'delivery_address', 'GLOBAL', '{READ,CREATE,WRITE,DELETE,APPEND,APPEND_TO}', NULL, '{administrators}'),
 ('Administrators: products', 'product', 'GLOBAL', '{READ,CREATE,WRITE,DELETE,APPEND,APPEND_TO}', NULL, '{administrators}'),
 ('Administrators: price lists', 'price_list', 'GLOBAL', '{READ,CREATE,WRITE,DELETE,APPEND,APPEND_TO}', NULL, '{administrators}'),
 ('Administrators: companies', 'legal_entity', 'GLOBAL', '{READ,CREATE,WRITE,DELETE,APPEND,APPEND_TO}', NULL, '{administrators}'),
 ('Administrators: web roles', 'web_role', 'GLOBAL', '{READ,CREATE,WRITE,DELETE,APPEND,APPEND_TO}', NULL, '{administrators}'),
 ('Administrators: table permissions', 'table_permission', 'GLOBAL', '{READ,CREATE,WRITE,DELETE,APPEND,APPEND_TO}', NULL, '{administrators}'),
 ('Administrators: invitations', 'invitation', 'GLOBAL', '{READ,CREATE,WRITE,DELETE,APPEND,APPEND_TO}', NULL, '{administrators}'),
 ('Administrators: audit log', 'audit_log', 'GLOBAL', '{READ}', NULL, '{administrators}'),
 ('Administrators: web templates', 'web_template', 'GLOBAL', '{READ,CREATE,WRITE,DELETE,APPEND,APPEND_TO}', NULL, '{administrators}'),
 ('Administrators: page templates', 'page_template', 'GLOBAL', '{READ,CREATE,WRITE,DELETE,APPEND,APPEND_TO}', NULL, '{administrators}'),
 ('Administrators: web pages', 'web_page', 'GLOBAL', '{READ,CREATE,WRITE,DELETE,APPEND,APPEND_TO}', NULL, '{administrators}'),
 -- Customer representative: its account's orders, contacts and account.
 ('Customer representative: account orders', 'sales_order', 'ACCOUNT', '{READ}', NULL, '{customer_representative}'),
 ('Customer representative: lines of account orders', 'sales_order_line', 'PARENT', '{READ}', 'Customer representative: account orders', '{customer_representative}'),
 ('Customer representative: account contacts', 'contact', 'ACCOUNT', '{READ}', NULL, '{customer_representative}'),
 ('Customer representative: own account', 'customer_account', 'ACCOUNT', '{READ}', NULL, '{customer_representative}'),
 ('Customer representative: delivery addresses', 'delivery_address', 'PARENT', '{READ}', 'Customer representative: own account', '{customer_representative}'),
 ('Customer representative: products', 'product', 'GLOBAL', '{READ}', NULL, '{customer_representative}'),
 ('Customer representative: price lists', 'price_list', 'GLOBAL', '{READ}', NULL, '{customer_representative}'),
 -- Authorized user: places orders and sees its own.
 ('Authorized user: own orders', 'sales_order', 'CONTACT', '{READ,CREATE,WRITE,APPEND_TO}', NULL, '{authorized_user}'),
 ('Authorized user: lines of own orders', 'sales_order_line', 'PARENT', '{READ,CREATE,WRITE,DELETE,APPEND}', 'Authorized user: own orders', '{authorized_user}'),
 ('Authorized user: own contact', 'contact', 'SELF', '{READ}', NULL, '{authorized_user}'),
 ('Authorized user: own account', 'customer_account', 'ACCOUNT', '{READ}', NULL, '{authorized_user}'),
 ('Authorized user: delivery addresses', 'delivery_address', 'PARENT', '{READ}', 'Authorized user: own account', '{authorized_user}'),
 ('Authorized user: products', 'product', 'GLOBAL', '{READ}', NULL, '{authorized_user}'),
 ('Authorized user: price lists', 'price_list', 'GLOBAL', '{READ}', NULL, '{authorized_user}'),
 -- Beyond DESIGN's table: the company list and the product catalog are
 -- public (the home page and catalog work before sign-in, and a signed-in
 -- contact without a role sees no less than a visitor). Price lists are
 -- commercial terms and stay hidden from visitors.
 ('Everyone: companies', 'legal_entity', 'GLOBAL', '{READ}', NULL, '{anonymous_users,authenticated_users}'),
 ('Everyone: product catalog', 'product', 'GLOBAL', '{READ}', NULL, '{anonymous_users,authenticated_users}');

-- Parents first: a PARENT permission names its parent from the start.
INSERT INTO table_permission (name, table_name, scope, privileges)
SELECT name, table_name, scope, privileges FROM seed_permission WHERE parent IS NULL;
INSERT INTO table_permission (name, table_name, scope, privileges, parent_id)
SELECT s.name, s.table_name, s.scope, s.privileges, parent.id
FROM seed_permission s JOIN table_permission parent ON parent.name = s.parent;
INSERT INTO table_permission_role (table_permission_id, web_role_id)
SELECT tp.id, wr.id FROM seed_permission s
JOIN table_permission tp ON tp.name = s.name
JOIN web_role wr ON wr.key = ANY (s.roles);
