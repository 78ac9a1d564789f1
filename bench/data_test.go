package bench

import (
	"context"
	"testing"

	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/identity"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestLoad loads a small data set and checks its shape: what run.sh and
// pgbench rely on (bench users with the bench password and their roles,
// three priced lines per submitted order, totals matching the lines).
func TestLoad(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	s := ScaleFor(600, 5)
	if err := Load(ctx, d, s, func(string, ...any) {}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, query string
		want        int
	}{
		{"orders", "SELECT count(*) FROM sales_order WHERE status = 'SUBMITTED'", 600},
		{"lines", "SELECT count(*) FROM sales_order_line", 1800},
		{"contacts", "SELECT count(*) FROM contact WHERE email <> 'erp-sync@portal.invalid'", s.Contacts}, // the ERP principal comes with the migrations
		{"products with a price", "SELECT count(DISTINCT product_id) FROM price", 1000},
		{"bench users with a role", "SELECT count(*) FROM bench_user u JOIN contact_web_role r ON r.contact_id = u.contact_id", 10},
		{"authorized users with 20+ orders", `SELECT count(*) FROM bench_user u WHERE role = 'authorized_user'
			AND (SELECT count(*) FROM sales_order o WHERE o.contact_id = u.contact_id) >= 20`, 5},
		{"totals that differ from their lines", `SELECT count(*) FROM sales_order o
			WHERE total_amount <> (SELECT sum(amount) FROM sales_order_line l WHERE l.sales_order_id = o.id)`, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var n int
			if err := d.NewRaw(c.query).Scan(ctx, &n); err != nil {
				t.Fatal(err)
			}
			if n != c.want {
				t.Errorf("%d, want %d", n, c.want)
			}
		})
	}
	t.Run("bench password", func(t *testing.T) {
		var hash string
		if err := d.NewRaw("SELECT password_hash FROM contact c JOIN bench_user u ON u.contact_id = c.id WHERE u.n = 6").Scan(ctx, &hash); err != nil {
			t.Fatal(err)
		}
		if !identity.PasswordMatches(Password, hash) {
			t.Error("a bench representative's hash does not match the bench password")
		}
	})
}
