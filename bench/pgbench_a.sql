-- The floor for scenario (a): one hand-written statement returning the rows
-- Portal returns for an authorized user's first 20 orders with their lines
-- and product names. :n picks one of the bench users (bench_user).
\set n random(1, :users)
SELECT o.id, o.number, o.status, o.total_amount, o.created_at, l.line_number, l.quantity, l.unit, l.amount, p.name
FROM (SELECT o.* FROM sales_order o
      WHERE o.contact_id = (SELECT contact_id FROM bench_user WHERE n = :n)
      ORDER BY o.created_at DESC, o.id DESC LIMIT 20) o
JOIN sales_order_line l ON l.sales_order_id = o.id
JOIN product p ON p.id = l.product_id
ORDER BY o.created_at DESC, o.id DESC, l.line_number;
