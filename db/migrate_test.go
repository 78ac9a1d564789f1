package db_test

import (
	"context"
	"testing"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/migrations"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestMigrateFromEmpty(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(ctx, dbtest.Empty(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	pending, err := db.Pending(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	all := len(migrations.Migrations.Sorted())
	if pending != all || all == 0 {
		t.Fatalf("pending on an empty database = %d, want all %d", pending, all)
	}

	applied, err := db.Migrate(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != all {
		t.Fatalf("applied %v, want %d migrations", applied, all)
	}
	if pending, _ := db.Pending(ctx, d); pending != 0 {
		t.Fatalf("pending after migrate = %d", pending)
	}
	// Migrating again is a no-op.
	again, err := db.Migrate(ctx, d)
	if err != nil || len(again) != 0 {
		t.Fatalf("second migrate applied %v, err %v", again, err)
	}
	status, err := db.Status(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range status {
		if !s.Applied {
			t.Errorf("%s not applied", s.Name)
		}
	}

	// The tables of the design exist, and the built-in roles are seeded.
	for _, table := range []string{"legal_entity", "customer_account", "delivery_address", "product",
		"product_unit", "price_list", "price", "contact", "web_role", "contact_web_role",
		"sales_order", "sales_order_line", "order_number_sequence", "outbox_event", "currency", "country", "unit"} {
		var n int
		if err := d.NewRaw("SELECT count(*) FROM "+table).Scan(ctx, &n); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
	var roles []string
	if err := d.NewRaw("SELECT key FROM web_role WHERE built_in ORDER BY key").Scan(ctx, &roles); err != nil {
		t.Fatal(err)
	}
	want := []string{"administrators", "anonymous_users", "authenticated_users", "authorized_user", "customer_representative"}
	if len(roles) != len(want) {
		t.Fatalf("built-in roles %v, want %v", roles, want)
	}
	for i := range want {
		if roles[i] != want[i] {
			t.Fatalf("built-in roles %v, want %v", roles, want)
		}
	}
}

// TestMigrationsConcurrently starts several migrations of one empty
// database at once, as several instances starting together would: the
// advisory lock lets exactly one apply each migration.
func TestMigrationsConcurrently(t *testing.T) {
	ctx := context.Background()
	url := dbtest.Empty(t)
	const n = 4
	results := make(chan []string, n)
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			d, err := db.Open(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			defer d.Close()
			applied, err := db.Migrate(ctx, d)
			errs <- err
			results <- applied
		}()
	}
	total := 0
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		total += len(<-results)
	}
	if total != len(migrations.Migrations.Sorted()) {
		t.Fatalf("%d migrations applied in all, want each once (%d)", total, len(migrations.Migrations.Sorted()))
	}
}

func TestDownMigrations(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	if err := db.RollbackAll(ctx, d); err != nil {
		t.Fatalf("roll back: %v", err)
	}
	var n int
	if err := d.NewRaw("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE 'schema_migration%'").Scan(ctx, &n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d tables left after rolling everything back", n)
	}
	if _, err := db.Migrate(ctx, d); err != nil {
		t.Fatalf("migrate up again: %v", err)
	}
}
