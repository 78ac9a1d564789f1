DROP INDEX sales_order_submitted_idx;
ALTER TABLE currency DROP COLUMN minor_units;
ALTER TABLE sales_order DROP COLUMN delivery_country_code, DROP COLUMN next_line_number;
