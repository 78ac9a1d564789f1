// Package bench fills a database with the benchmark data set of issue 9 and
// signs bench users in, for bench/run.sh. It is never part of the server:
// it writes with generate_series straight into the tables (as the owner,
// bypassing the services), which is what makes a million orders load in
// minutes instead of hours. Use it only on a database made for the bench.
package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/openportal/portal/identity"
)

// Password is the password of every bench contact.
const Password = "bench-Password-2026"

// Scale is the size of the data set.
type Scale struct {
	Orders   int // submitted orders, 3 lines each
	Contacts int // contacts, spread evenly over the accounts
	Accounts int // customer accounts
	Products int // products, each with a price
	// Users is how many contacts of each bench role (authorized user,
	// customer representative) get the bench password.
	Users int
}

// ScaleFor is the data set for n orders: 1,000 accounts, 10,000 contacts
// and 1,000 products at a million, fewer below (never fewer than 2×Users
// contacts, so each bench user is a distinct contact, and at least 20
// orders each for the authorized users).
func ScaleFor(orders, users int) Scale {
	s := Scale{Orders: orders, Contacts: min(10000, max(orders/100, 2*users)), Products: 1000, Users: users}
	s.Accounts = max(1, s.Contacts/10)
	return s
}

// Load writes the data set into an empty, migrated database. The bench
// users' contacts are ordinals 1..Users (authorized users) and
// Users+1..2×Users (customer representatives); table bench_user lists them
// for pgbench and the sign-in step.
func Load(ctx context.Context, db *bun.DB, s Scale, log func(string, ...any)) error {
	hash, err := identity.HashPassword(Password) // once: argon2id is slow on purpose
	if err != nil {
		return err
	}
	steps := []struct {
		what string
		sql  string
		args []any
	}{
		{"company, price list", `
			INSERT INTO legal_entity (code, name) VALUES ('BENCH', 'Bench company');
			UPDATE order_number_sequence SET next_value = ? + 1 WHERE legal_entity_id = (SELECT id FROM legal_entity WHERE code = 'BENCH');
			INSERT INTO price_list (legal_entity_id, code, currency) SELECT id, 'BENCH-EUR', 'EUR' FROM legal_entity WHERE code = 'BENCH'`,
			[]any{s.Orders}},
		{"products", `
			CREATE TABLE bench_product (n int PRIMARY KEY, id uuid NOT NULL);
			INSERT INTO bench_product SELECT n, gen_random_uuid() FROM generate_series(1, ?) n;
			INSERT INTO product (id, legal_entity_id, number, name, default_unit)
				SELECT p.id, e.id, 'P' || lpad(p.n::text, 6, '0'), 'Bench product ' || p.n, 'pcs'
				FROM bench_product p, legal_entity e WHERE e.code = 'BENCH';
			INSERT INTO product_unit (product_id, unit, position) SELECT id, 'pcs', 1 FROM bench_product;
			INSERT INTO price (price_list_id, legal_entity_id, product_id, unit, unit_price)
				SELECT pl.id, pl.legal_entity_id, p.id, 'pcs', 1 + (p.n % 97) FROM bench_product p, price_list pl WHERE pl.code = 'BENCH-EUR'`,
			[]any{s.Products}},
		{"accounts", `
			CREATE TABLE bench_account (n int PRIMARY KEY, id uuid NOT NULL);
			INSERT INTO bench_account SELECT n, gen_random_uuid() FROM generate_series(1, ?) n;
			INSERT INTO customer_account (id, legal_entity_id, account_number, name, invoice_account_id, currency,
					price_list_id, ship_to_country, language)
				SELECT a.id, pl.legal_entity_id, 'C' || lpad(a.n::text, 6, '0'), 'Bench customer ' || a.n, a.id, 'EUR', pl.id, 'DE', 'en'
				FROM bench_account a, price_list pl WHERE pl.code = 'BENCH-EUR';
			INSERT INTO delivery_address (customer_account_id, position, description, street, city, postal_code, country_code)
				SELECT id, 1, 'Main warehouse', 'Hauptstr. ' || n, 'Berlin', '10115', 'DE' FROM bench_account`,
			[]any{s.Accounts}},
		{"contacts", `
			CREATE TABLE bench_contact (n int PRIMARY KEY, id uuid NOT NULL, account_id uuid NOT NULL);
			INSERT INTO bench_contact SELECT g.n, gen_random_uuid(), a.id
				FROM generate_series(1, ?) g(n) JOIN bench_account a ON a.n = (g.n - 1) % ? + 1;
			INSERT INTO contact (id, legal_entity_id, customer_account_id, first_name, last_name, email, password_hash)
				SELECT c.id, e.id, c.account_id, 'Bench', 'Contact ' || c.n, 'bench' || c.n || '@bench.example',
					CASE WHEN c.n <= 2 * ? THEN ? END
				FROM bench_contact c, legal_entity e WHERE e.code = 'BENCH';
			CREATE TABLE bench_user (n int PRIMARY KEY, role text NOT NULL, contact_id uuid NOT NULL,
				account_id uuid NOT NULL, email text NOT NULL);
			INSERT INTO bench_user SELECT c.n, CASE WHEN c.n <= ? THEN 'authorized_user' ELSE 'customer_representative' END,
				c.id, c.account_id, 'bench' || c.n || '@bench.example' FROM bench_contact c WHERE c.n <= 2 * ?;
			INSERT INTO contact_web_role (contact_id, web_role_id)
				SELECT u.contact_id, wr.id FROM bench_user u JOIN web_role wr ON wr.key = u.role;
			UPDATE policy_version SET version = version + 1`,
			[]any{s.Contacts, s.Accounts, s.Users, hash, s.Users, s.Users}},
		// Foreign keys are checked by triggers; replica mode skips them
		// for the bulk load (the rows are consistent by construction).
		// Line k of order n is product (3n+k) mod P, quantity k, so the
		// order's total is known without reading its lines back.
		{"orders", `
			SET session_replication_role = replica;
			CREATE UNLOGGED TABLE bench_order (n int PRIMARY KEY, id uuid NOT NULL);
			INSERT INTO bench_order SELECT n, gen_random_uuid() FROM generate_series(1, ?) n;
			INSERT INTO sales_order (id, legal_entity_id, number, status, sync_state, customer_account_id, invoice_account_id,
					contact_id, currency, price_list_id, language, ship_to_country, delivery_address_description,
					delivery_street, delivery_city, delivery_postal_code, delivery_country_code,
					requested_receipt_date, total_amount, next_line_number, created_at, updated_at, submitted_at)
				SELECT o.id, pl.legal_entity_id, 'WEB-' || o.n, 'SUBMITTED', 'PENDING', c.account_id, c.account_id,
					c.id, 'EUR', pl.id, 'en', 'DE', 'Main warehouse', 'Hauptstr. 1', 'Berlin', '10115', 'DE',
					date '2027-01-01',
					(SELECT sum(k * (1 + ((3 * o.n + k) % ? + 1) % 97)) FROM generate_series(1, 3) k),
					4, t, t, t
				FROM bench_order o
				JOIN bench_contact c ON c.n = (o.n - 1) % ? + 1
				CROSS JOIN price_list pl
				CROSS JOIN LATERAL (SELECT timestamptz '2026-11-01' - make_interval(secs => o.n * 7)) ts(t)
				WHERE pl.code = 'BENCH-EUR';
			SET session_replication_role = DEFAULT`,
			[]any{s.Orders, s.Products, s.Contacts}},
		{"order lines", `
			SET session_replication_role = replica;
			INSERT INTO sales_order_line (sales_order_id, line_number, product_id, quantity, unit, unit_price, amount,
					ship_to_country, delivery_address_description)
				SELECT o.id, k, p.id, k, 'pcs', 1 + p.n % 97, k * (1 + p.n % 97), 'DE', 'Main warehouse'
				FROM bench_order o
				CROSS JOIN generate_series(1, 3) k
				JOIN bench_product p ON p.n = (3 * o.n + k) % ? + 1;
			SET session_replication_role = DEFAULT;
			DROP TABLE bench_order`,
			[]any{s.Products}},
		{"statistics", "ANALYZE", nil},
	}
	for _, st := range steps {
		began := time.Now()
		if _, err := db.ExecContext(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("bench data, %s: %w", st.what, err)
		}
		log("loaded", "step", st.what, "took", time.Since(began).Round(time.Millisecond))
	}
	return nil
}
