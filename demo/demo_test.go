package demo

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/app"
	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/identity"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func services(t *testing.T, d *bun.DB) (*catalog.Service, *identity.Service) {
	t.Helper()
	a, err := app.New(context.Background(), d, app.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a.Catalog, a.Identity
}

// count runs a query returning one integer.
func count(t *testing.T, d *bun.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.NewRaw(query, args...).Scan(context.Background(), &n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestLoad(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	cat, ids := services(t, d)

	empty, err := Empty(ctx, d)
	if err != nil || !empty {
		t.Fatalf("Empty before Load = %v, %v; want true", empty, err)
	}
	// A plain background context: Load must supply its own administrator.
	creds, err := Load(ctx, cat, ids)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	empty, err = Empty(ctx, d)
	if err != nil || empty {
		t.Fatalf("Empty after Load = %v, %v; want false", empty, err)
	}

	// Each query counts violations (want 0) or things there must be enough
	// of (want at least min).
	for _, c := range []struct {
		name  string
		query string
		min   int // the count must be at least min; -1 means it must be 0
	}{
		{"one company", "SELECT count(*) FROM legal_entity WHERE code = 'USMF'", 1},
		{"accounts", "SELECT count(*) FROM customer_account", 3},
		{"products", "SELECT count(*) FROM product", 50},
		{"distinct units in use", "SELECT count(DISTINCT unit) FROM product_unit", 6},
		{"products sold in fewer than 2 units",
			"SELECT count(*) FROM product p WHERE (SELECT count(*) FROM product_unit pu WHERE pu.product_id = p.id) < 2", -1},
		{"products whose default unit takes decimal quantities",
			"SELECT count(*) FROM product p JOIN unit u ON u.code = p.default_unit WHERE u.decimals > 0", 3},
		{"accounts invoiced to another account",
			"SELECT count(*) FROM customer_account WHERE invoice_account_id <> id", 1},
		{"accounts without a delivery address",
			"SELECT count(*) FROM customer_account a WHERE NOT EXISTS (SELECT 1 FROM delivery_address d WHERE d.customer_account_id = a.id)", -1},
		{"accounts without a price list", "SELECT count(*) FROM customer_account WHERE price_list_id IS NULL", -1},
		{"accounts whose price list is in another currency",
			"SELECT count(*) FROM customer_account a JOIN price_list p ON p.id = a.price_list_id WHERE p.currency <> a.currency", -1},
		{"currencies of accounts with no price list in that currency",
			"SELECT count(DISTINCT a.currency) FROM customer_account a WHERE NOT EXISTS (SELECT 1 FROM price_list p WHERE p.currency = a.currency)", -1},
		{"currencies in use by accounts", "SELECT count(DISTINCT currency) FROM customer_account", 2},
		{"product units missing a price in some price list",
			"SELECT count(*) FROM product_unit pu CROSS JOIN price_list pl WHERE NOT EXISTS (SELECT 1 FROM price pr WHERE pr.price_list_id = pl.id AND pr.product_id = pu.product_id AND pr.unit = pu.unit)", -1},
		{"prices with more than 2 decimals", "SELECT count(*) FROM price WHERE unit_price <> round(unit_price, 2)", -1},
		{"prices of zero", "SELECT count(*) FROM price WHERE unit_price = 0", -1},
	} {
		n := count(t, d, c.query)
		if c.min < 0 && n != 0 {
			t.Errorf("%s: %d, want 0", c.name, n)
		}
		if c.min >= 0 && n < c.min {
			t.Errorf("%s: %d, want at least %d", c.name, n, c.min)
		}
	}

	// Spot checks that larger units are exact multiples of the default
	// unit and that EUR prices are the USD ones at the fixed rate; these
	// figures are the ones the README quotes.
	for _, c := range []struct{ list, product, unit, want string }{
		{"RETAIL-USD", "1030", "ea", "9.90"},
		{"RETAIL-USD", "1030", "pack", "99.00"},
		{"RETAIL-USD", "1030", "box", "495.00"},
		{"RETAIL-USD", "1000", "pallet", "10296.00"},
		{"RETAIL-USD", "1041", "roll", "137.25"},
		{"RETAIL-USD", "1044", "roll", "32.00"},
		{"RETAIL-USD", "1047", "pack", "70.56"},
		{"RETAIL-EUR", "1030", "ea", "9.11"},
		{"RETAIL-EUR", "1030", "pack", "91.10"},
		{"RETAIL-EUR", "1000", "ea", "394.68"},
	} {
		var got decimal.Decimal
		err := d.NewRaw(`SELECT pr.unit_price FROM price pr JOIN price_list pl ON pl.id = pr.price_list_id
			JOIN product p ON p.id = pr.product_id WHERE pl.code = ? AND p.number = ? AND pr.unit = ?`,
			c.list, c.product, c.unit).Scan(ctx, &got)
		if err != nil {
			t.Errorf("price of %s in %s in %s: %v", c.product, c.unit, c.list, err)
			continue
		}
		if want := decimal.RequireFromString(c.want); !got.Equal(want) {
			t.Errorf("price of %s in %s in %s = %s, want %s", c.product, c.unit, c.list, got, want)
		}
	}

	// Every built-in role a person holds has a demo sign-in.
	roles := map[string]bool{}
	for _, c := range creds {
		roles[c.Role] = true
	}
	for _, r := range []string{portal.RoleAdministrators, portal.RoleCustomerRepresentative, portal.RoleAuthorizedUser} {
		if !roles[r] {
			t.Errorf("no demo sign-in with role %s", r)
		}
	}
	if len(creds) != len(contacts) {
		t.Errorf("Load returned %d credentials, want %d", len(creds), len(contacts))
	}
	for _, c := range creds {
		t.Run(c.Email, func(t *testing.T) {
			var row struct {
				ID            string
				PasswordHash  string
				AccountNumber string
			}
			err := d.NewRaw(`SELECT c.id, c.password_hash, COALESCE(a.account_number, '') AS account_number
				FROM contact c LEFT JOIN customer_account a ON a.id = c.customer_account_id
				WHERE lower(c.email) = lower(?)`, c.Email).Scan(ctx, &row)
			if err != nil {
				t.Fatalf("contact: %v", err)
			}
			if row.AccountNumber != c.Account {
				t.Errorf("account = %q, want %q", row.AccountNumber, c.Account)
			}
			var keys []string
			err = d.NewRaw(`SELECT wr.key FROM contact_web_role cwr JOIN web_role wr ON wr.id = cwr.web_role_id
				WHERE cwr.contact_id = ? ORDER BY wr.key`, row.ID).Scan(ctx, &keys)
			if err != nil {
				t.Fatalf("roles: %v", err)
			}
			if len(keys) != 1 || keys[0] != c.Role {
				t.Errorf("roles = %v, want [%s]", keys, c.Role)
			}
			if !identity.PasswordMatches(c.Password, row.PasswordHash) {
				t.Errorf("password %q does not match the stored hash", c.Password)
			}
			if err := identity.CheckPasswordPolicy("password", c.Password, c.Email); err != nil {
				t.Errorf("password policy: %v", err)
			}
		})
	}
}

// TestLoadTwice checks that loading into a database that already has the
// demo data fails with a clear conflict instead of a raw database error.
func TestLoadTwice(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	cat, ids := services(t, d)
	if _, err := Load(ctx, cat, ids); err != nil {
		t.Fatalf("first Load: %v", err)
	}
	_, err := Load(ctx, cat, ids)
	if got := portal.ErrorCode(err); got != portal.ECONFLICT {
		t.Fatalf("second Load: code %q (%v), want %q", got, err, portal.ECONFLICT)
	}
	if n := count(t, d, "SELECT count(*) FROM contact WHERE email <> 'erp-sync@portal.invalid'"); n != len(contacts) {
		t.Errorf("%d contacts after the second Load, want %d", n, len(contacts))
	}
}

// TestPricesInUnknownCurrency guards the exchange-rate switch: adding a
// price list in a new currency must come with a rate, not silently reuse
// the USD prices.
func TestPricesInUnknownCurrency(t *testing.T) {
	if _, err := pricesIn("GBP"); err == nil {
		t.Error("pricesIn(GBP) succeeded; want an error for a currency without a demo rate")
	}
}
