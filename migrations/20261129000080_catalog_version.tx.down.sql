DROP TRIGGER product_unit_catalog_changed ON product_unit;
DROP TRIGGER product_catalog_changed ON product;
DROP FUNCTION portal_catalog_changed();
DROP TABLE catalog_version;
