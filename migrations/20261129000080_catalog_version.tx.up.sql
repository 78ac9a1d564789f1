-- Portal instances keep the products they have read in memory
-- (catalog.ProductCache). Every statement that changes a product or its
-- units bumps catalog_version and announces the new version on channel
-- portal_catalog: each instance drops its copy before the next request.
-- Triggers, not application code, so no path that writes these tables (the
-- API, the ERP's master data, SQL) can forget it. NOTIFY is delivered at
-- commit and not at all on rollback; instances also compare the version
-- every few seconds in case a notification was lost.
CREATE TABLE catalog_version (
    id      boolean PRIMARY KEY DEFAULT true CHECK (id),
    version bigint NOT NULL DEFAULT 1
);
INSERT INTO catalog_version DEFAULT VALUES;

CREATE FUNCTION portal_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v bigint;
BEGIN
    UPDATE catalog_version SET version = version + 1 RETURNING version INTO v;
    PERFORM pg_notify('portal_catalog', v::text);
    RETURN NULL;
END $$;

CREATE TRIGGER product_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product
    FOR EACH STATEMENT EXECUTE FUNCTION portal_catalog_changed();
CREATE TRIGGER product_unit_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_unit
    FOR EACH STATEMENT EXECUTE FUNCTION portal_catalog_changed();
