-- Row-level security expressing Portal's default order scopes for the
-- PostGraphile comparison: bench_user sees the orders of the contact or the
-- account in its settings (portal.contact_id for an authorized user,
-- portal.account_id for a customer representative), the lines of those
-- orders, and every product. Portal connects as the tables' owner, which
-- these policies do not bind (no FORCE), so they change nothing for it.
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_user') THEN CREATE ROLE bench_user NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_anon') THEN CREATE ROLE bench_anon NOLOGIN; END IF;
END $$;
GRANT bench_user, bench_anon TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO bench_user, bench_anon;
GRANT SELECT ON sales_order, sales_order_line, product TO bench_user;
ALTER TABLE sales_order ENABLE ROW LEVEL SECURITY;
ALTER TABLE sales_order_line ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS bench_scope ON sales_order;
CREATE POLICY bench_scope ON sales_order FOR SELECT TO bench_user USING (
  contact_id = nullif(current_setting('portal.contact_id', true), '')::uuid
  OR customer_account_id = nullif(current_setting('portal.account_id', true), '')::uuid);
DROP POLICY IF EXISTS bench_scope ON sales_order_line;
CREATE POLICY bench_scope ON sales_order_line FOR SELECT TO bench_user USING (
  EXISTS (SELECT FROM sales_order o WHERE o.id = sales_order_id));
