-- The floor for scenario (a'): as pgbench_a.sql for a customer
-- representative, whose scope is its customer account's orders.
\set n random(:users + 1, 2 * :users)
SELECT o.id, o.number, o.status, o.total_amount, o.created_at, l.line_number, l.quantity, l.unit, l.amount, p.name
FROM (SELECT o.* FROM sales_order o
      WHERE o.customer_account_id = (SELECT account_id FROM bench_user WHERE n = :n)
      ORDER BY o.created_at DESC, o.id DESC LIMIT 20) o
JOIN sales_order_line l ON l.sales_order_id = o.id
JOIN product p ON p.id = l.product_id
ORDER BY o.created_at DESC, o.id DESC, l.line_number;
