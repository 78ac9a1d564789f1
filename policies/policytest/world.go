// Package policytest builds a small world for permission tests: one
// company, two customer accounts, a contact per built-in role with one
// order (and line) each, and delivery addresses. Orders are SQL fixtures
// until the orders package makes them; tests of any package (policies,
// graph, orders) can share it.
package policytest

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/identity"
)

// The contacts of the world, by name: where they sit and the role they hold.
var People = []struct {
	Name, Account, Role string
}{
	{"admin", "A", portal.RoleAdministrators},
	{"rep", "A", portal.RoleCustomerRepresentative},
	{"alice", "A", portal.RoleAuthorizedUser},
	{"bob", "A", portal.RoleAuthorizedUser},
	{"nobody", "A", ""}, // signed in, no role but Authenticated users
	{"carla", "B", portal.RoleAuthorizedUser},
}

// World is the fixture's ids.
type World struct {
	DB       *bun.DB
	Identity *identity.Service
	Company  string
	// Accounts and their delivery addresses by "A" (US-001) and "B" (US-002).
	Accounts  map[string]string
	Addresses map[string]string
	PriceList string
	Product   string
	// Contacts, and the order each placed with its one line, by name.
	Contacts map[string]*identity.Contact
	Orders   map[string]string
	Lines    map[string]string
}

// New fills db. ids must be an identity service over db (its enforcer
// plays no part: the world is made as the system).
func New(t testing.TB, db *bun.DB, ids *identity.Service) *World {
	t.Helper()
	ctx := context.Background()
	w := &World{DB: db, Identity: ids, Accounts: map[string]string{}, Addresses: map[string]string{},
		Contacts: map[string]*identity.Contact{}, Orders: map[string]string{}, Lines: map[string]string{}}
	w.Company, w.PriceList, w.Product = uuid.NewString(), uuid.NewString(), uuid.NewString()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("INSERT INTO legal_entity (id, code, name) VALUES (?, 'USMF', 'Contoso USA')", w.Company)
	exec("INSERT INTO price_list (id, legal_entity_id, code, currency) VALUES (?, ?, 'RETAIL', 'USD')", w.PriceList, w.Company)
	for i, k := range []string{"A", "B"} {
		id := uuid.NewString()
		w.Accounts[k] = id
		exec(`INSERT INTO customer_account (id, legal_entity_id, account_number, name, invoice_account_id, currency,
			price_list_id, ship_to_country, language) VALUES (?, ?, ?, ?, ?, 'USD', ?, 'US', 'en-US')`,
			id, w.Company, fmt.Sprintf("US-00%d", i+1), "Account "+k, id, w.PriceList)
		w.Addresses[k] = uuid.NewString()
		exec(`INSERT INTO delivery_address (id, customer_account_id, position, description, street, city, postal_code, country_code)
			VALUES (?, ?, 1, 'Main', '1 Main St', 'Seattle', '98101', 'US')`, w.Addresses[k], id)
	}
	// One statement: the default unit's deferred foreign key is checked at its end.
	exec(`WITH p AS (INSERT INTO product (id, legal_entity_id, number, name, default_unit)
		VALUES (?, ?, '1000', 'Speaker', 'ea') RETURNING id)
		INSERT INTO product_unit (product_id, unit, position) SELECT id, 'ea', 1 FROM p`, w.Product, w.Company)
	exec("INSERT INTO price (price_list_id, legal_entity_id, product_id, unit, unit_price) VALUES (?, ?, ?, 'ea', 10)", w.PriceList, w.Company, w.Product)
	for _, p := range People {
		in := identity.SeedContact{Email: p.Name + "@example.com", Password: "correct horse battery", FirstName: p.Name,
			LastName: "Test", Company: "USMF", AccountNumber: map[string]string{"A": "US-001", "B": "US-002"}[p.Account]}
		if p.Role != "" {
			in.RoleKeys = []string{p.Role}
		}
		c, err := ids.CreateSeedContact(ctx, in)
		if err != nil {
			t.Fatalf("contact %s: %v", p.Name, err)
		}
		w.Contacts[p.Name] = c
		w.Orders[p.Name], w.Lines[p.Name] = w.AddOrder(t, p.Name)
	}
	return w
}

// AddOrder inserts a DRAFT order with one line placed by the named contact
// at its account, and returns their ids. The order is as the orders
// package keeps one: numbered from the company's sequence (so the orders
// it makes next do not collide), its total the line's amount, and line 2
// the next line number.
func (w *World) AddOrder(t testing.TB, name string) (orderID, lineID string) {
	t.Helper()
	c := w.Contacts[name]
	orderID, lineID = uuid.NewString(), uuid.NewString()
	ctx := context.Background()
	_, err := w.DB.ExecContext(ctx, `WITH n AS (SELECT next_order_number(?) AS number)
		INSERT INTO sales_order (id, legal_entity_id, number, customer_account_id, invoice_account_id,
			contact_id, currency, price_list_id, language, ship_to_country, delivery_address_description, delivery_country_code,
			requested_receipt_date, total_amount, next_line_number)
		SELECT ?, ?, n.number, ?, ?, ?, 'USD', ?, 'en-US', 'US', 'Main', 'US', current_date + 7, 10, 2 FROM n`,
		w.Company, orderID, w.Company, *c.CustomerAccountID, *c.CustomerAccountID, c.ID, w.PriceList)
	if err == nil {
		_, err = w.DB.ExecContext(ctx, `INSERT INTO sales_order_line (id, sales_order_id, line_number, product_id, quantity, unit,
			unit_price, amount, ship_to_country, delivery_address_description) VALUES (?, ?, 1, ?, 1, 'ea', 10, 10, 'US', 'Main')`,
			lineID, orderID, w.Product)
	}
	if err != nil {
		t.Fatalf("order of %s: %v", name, err)
	}
	return orderID, lineID
}

// Viewer is the viewer the named contact's requests act as; "anonymous"
// is a visitor.
func (w *World) Viewer(t testing.TB, name string) *portal.Viewer {
	t.Helper()
	if name == "anonymous" {
		return &portal.Viewer{}
	}
	v, err := w.Identity.ViewerFor(context.Background(), w.Contacts[name].ID)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Ctx is a context acting as the named contact.
func (w *World) Ctx(t testing.TB, name string) context.Context {
	return portal.WithViewer(context.Background(), w.Viewer(t, name))
}
