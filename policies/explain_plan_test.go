package policies_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/policies"
)

// pgArray scans a text[] literal of index definitions.
type pgArray struct{ out *[]string }

func (a pgArray) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	}
	// {"CREATE INDEX ...","CREATE INDEX ..."}: definitions contain no
	// double quotes of their own here.
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	for _, part := range strings.Split(s, "\",\"") {
		*a.out = append(*a.out, strings.Trim(part, "\""))
	}
	return nil
}

// planNodes flattens an EXPLAIN (FORMAT JSON) plan into "Node Type:Index
// Name" strings.
func planNodes(n map[string]any, out *[]string) {
	s, _ := n["Node Type"].(string)
	if idx, ok := n["Index Name"].(string); ok {
		s += ":" + idx
	}
	if rel, ok := n["Relation Name"].(string); ok && !strings.Contains(s, ":") {
		s += ":" + rel
	}
	*out = append(*out, s)
	kids, _ := n["Plans"].([]any)
	for _, k := range kids {
		planNodes(k.(map[string]any), out)
	}
}

// TestScopedFirstPageIsAnIndexScanOverAMillionOrders fills sales_order with
// 1,000,000 orders of 200 accounts and 2,000 contacts, and checks that the
// first page of 20 orders a viewer may read (newest first, the scope from
// the enforcer turned into SQL by Scope.Where) is an index scan on the
// index that matches the scope, never a sequential scan, and fast.
func TestScopedFirstPageIsAnIndexScanOverAMillionOrders(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 1,000,000 orders")
	}
	ctx := context.Background()
	d := dbtest.New(t)
	start := time.Now()
	le, pl := uuid.NewString(), uuid.NewString()
	// One connection, so the session settings hold. Foreign keys are not
	// checked (session_replication_role) and the indexes are dropped and
	// rebuilt from their own definitions around the bulk insert: the plan
	// is made over exactly the migration's indexes, in seconds instead of
	// a minute.
	conn, err := d.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var indexDefs []string
	if err := conn.QueryRowContext(ctx, `SELECT array_agg(indexdef)::text FROM pg_indexes
		WHERE tablename = 'sales_order' AND indexname IN ('sales_order_account_idx', 'sales_order_contact_idx', 'sales_order_created_idx')`).Scan(pgArray{&indexDefs}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"SET session_replication_role = replica",
		"SET maintenance_work_mem = '256MB'",
		"DROP INDEX sales_order_account_idx, sales_order_contact_idx, sales_order_created_idx",
		"INSERT INTO legal_entity (id, code, name) VALUES ('" + le + "', 'BIG', 'Big')",
		"INSERT INTO price_list (id, legal_entity_id, code, currency) VALUES ('" + pl + "', '" + le + "', 'P', 'USD')",
		`CREATE TEMP TABLE acc AS SELECT i, gen_random_uuid() AS id FROM generate_series(0, 199) i`,
		`INSERT INTO customer_account (id, legal_entity_id, account_number, name, invoice_account_id, currency, price_list_id, ship_to_country, language)
			SELECT id, '` + le + `', 'A' || i, 'Account ' || i, id, 'USD', '` + pl + `', 'US', 'en-US' FROM acc`,
		`CREATE TEMP TABLE con AS SELECT i, gen_random_uuid() AS id, (SELECT id FROM acc WHERE acc.i = c.i % 200) AS account_id
			FROM generate_series(0, 1999) c(i)`,
		`INSERT INTO contact (id, legal_entity_id, customer_account_id, first_name, last_name, email)
			SELECT id, '` + le + `', account_id, 'C', 'N' || i, 'c' || i || '@big.example' FROM con`,
		`INSERT INTO sales_order (legal_entity_id, number, customer_account_id, invoice_account_id, contact_id, currency,
			price_list_id, language, ship_to_country, delivery_address_description, delivery_country_code, requested_receipt_date, created_at)
			SELECT '` + le + `', 'WEB-' || n, con.account_id, con.account_id, con.id, 'USD', '` + pl + `', 'en-US', 'US', 'Main', 'US',
				DATE '2026-12-01', TIMESTAMPTZ '2026-01-01' + n * interval '1 second'
			FROM generate_series(1, 1000000) n JOIN con ON con.i = n % 2000`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	for _, q := range append(indexDefs, "SET session_replication_role = DEFAULT", "ANALYZE sales_order") {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	if len(indexDefs) != 3 {
		t.Fatalf("rebuilt indexes %v, want the 3 scope indexes", indexDefs)
	}
	t.Logf("1,000,000 orders inserted in %v", time.Since(start).Round(time.Millisecond))

	policy, err := policies.NewEnforcer(ctx, d, nil, policies.WithoutListen(), policies.CheckEvery(0))
	if err != nil {
		t.Fatal(err)
	}
	defer policy.Close()
	var rs []struct{ Key, ID string }
	if err := d.NewRaw("SELECT key, id FROM web_role WHERE key IS NOT NULL").Scan(ctx, &rs); err != nil {
		t.Fatal(err)
	}
	roles := map[string]string{}
	for _, r := range rs {
		roles[r.Key] = r.ID
	}
	var contact, account string
	if err := d.NewRaw("SELECT id, customer_account_id FROM contact WHERE email = 'c7@big.example'").Scan(ctx, &contact, &account); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		role, index string
		rows        int
	}{
		{portal.RoleAuthorizedUser, "sales_order_contact_idx", 20},         // CONTACT
		{portal.RoleCustomerRepresentative, "sales_order_account_idx", 20}, // ACCOUNT
		{portal.RoleAdministrators, "sales_order_created_idx", 20},         // GLOBAL
	} {
		v := &portal.Viewer{ContactID: contact, CustomerAccount: account, RoleIDs: []string{roles[tt.role], roles[portal.RoleAuthenticatedUsers]}}
		vctx := portal.WithViewer(ctx, v)
		where, args := policy.ReadScope(vctx, policies.TableSalesOrder).Where(policies.OrderColumns("o"))
		q := "SELECT o.id, o.number FROM sales_order o WHERE " + where + " ORDER BY o.created_at DESC, o.id DESC LIMIT 20"
		var plan string
		if err := d.NewRaw("EXPLAIN (FORMAT JSON) "+q, args...).Scan(ctx, &plan); err != nil {
			t.Fatal(err)
		}
		var parsed []struct{ Plan map[string]any }
		if err := json.Unmarshal([]byte(plan), &parsed); err != nil {
			t.Fatal(err)
		}
		var nodes []string
		planNodes(parsed[0].Plan, &nodes)
		joined := strings.Join(nodes, " > ")
		if !strings.Contains(joined, "Index Scan:"+tt.index) || strings.Contains(joined, "Seq Scan") {
			t.Errorf("%s: plan %s, want an index scan on %s", tt.role, joined, tt.index)
		}
		// Median of 11 runs of the query itself.
		var times []time.Duration
		for range 11 {
			t0 := time.Now()
			var got []struct{ ID, Number string }
			if err := d.NewRaw(q, args...).Scan(ctx, &got); err != nil {
				t.Fatal(err)
			}
			times = append(times, time.Since(t0))
			if len(got) != tt.rows {
				t.Fatalf("%s: %d rows, want %d", tt.role, len(got), tt.rows)
			}
		}
		slicesSortDurations(times)
		t.Logf("%-24s WHERE %-32s plan %s; median %v", tt.role, where, joined, times[len(times)/2])
	}
}
