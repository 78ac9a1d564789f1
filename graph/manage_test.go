package graph_test

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// The API additions of the /manage screens (schema/manage.graphqls and the
// audit log's filters), through GraphQL, as an administrator and as a
// customer who must be refused.

func roleIDs(t *testing.T, a *api) map[string]string {
	t.Helper()
	var d struct{ WebRoles []struct{ ID, Name string } }
	a.ok(`{ webRoles { id name } }`, nil, &d)
	out := map[string]string{}
	for _, r := range d.WebRoles {
		out[r.Name] = r.ID
	}
	return out
}

func TestManageWebRoles(t *testing.T) {
	a := newAPI(t)
	w := world(a)
	a.as(w, "admin")
	roles := roleIDs(t, a)
	var created struct{ CreateWebRole struct{ ID string } }
	a.ok(`mutation { createWebRole(input: {name: "Buyers", description: "buy"}) { id } }`, nil, &created)
	id := created.CreateWebRole.ID

	const update = `mutation($id: ID!, $n: String!, $d: String!) { updateWebRole(id: $id, input: {name: $n, description: $d}) { id name description builtIn } }`
	t.Run("rename", func(t *testing.T) {
		var d struct {
			UpdateWebRole struct{ Name, Description string }
		}
		a.ok(update, map[string]any{"id": id, "n": " Purchasers ", "d": "Buys for the account"}, &d)
		if d.UpdateWebRole.Name != "Purchasers" || d.UpdateWebRole.Description != "Buys for the account" {
			t.Fatalf("got %+v", d.UpdateWebRole)
		}
		if got := roleIDs(t, a); got["Purchasers"] != id || got["Buyers"] != "" {
			t.Fatalf("webRoles after rename: %v", got)
		}
	})
	for _, c := range []struct {
		name, id, newName, code, field string
	}{
		{"built-in keeps its name", roles["Administrators"], "Admins", "CONFLICT", "name"},
		{"name taken regardless of case", id, "authorized USER", "CONFLICT", "name"},
		{"empty name", id, "  ", "BAD_USER_INPUT", "name"},
		{"unknown role", "00000000-0000-0000-0000-000000000001", "X", "NOT_FOUND", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := a.fails(update, map[string]any{"id": c.id, "n": c.newName, "d": ""}, c.code)
			if f, _ := e.Extensions["field"].(string); c.field != "" && !strings.HasSuffix(f, c.field) {
				t.Fatalf("field %q, want %s: %s", f, c.field, e.Message)
			}
		})
	}
	t.Run("built-in description may change", func(t *testing.T) {
		var d struct {
			UpdateWebRole struct{ Name, Description string }
		}
		a.ok(update, map[string]any{"id": roles["Administrators"], "n": "Administrators", "d": "Run the portal"}, &d)
		if d.UpdateWebRole.Description != "Run the portal" {
			t.Fatalf("got %+v", d.UpdateWebRole)
		}
	})

	const members = `query($s: String, $first: Int, $after: String) { webRoles { name members(search: $s, first: $first, after: $after) {
		totalCount pageInfo { hasNextPage endCursor } edges { node { email } } } } }`
	type page struct {
		WebRoles []struct {
			Name    string
			Members struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   string
				}
				Edges []struct{ Node struct{ Email string } }
			}
		}
	}
	emails := func(p page, role string) (out []string, total int, next string) {
		for _, r := range p.WebRoles {
			if r.Name == role {
				for _, e := range r.Members.Edges {
					out = append(out, e.Node.Email)
				}
				return out, r.Members.TotalCount, r.Members.PageInfo.EndCursor
			}
		}
		t.Fatalf("no role %s", role)
		return nil, 0, ""
	}
	t.Run("members", func(t *testing.T) {
		var p page
		a.ok(members, map[string]any{"first": 2}, &p)
		got, total, next := emails(p, "Authorized user")
		if total != 3 || len(got) != 2 {
			t.Fatalf("Authorized user members %v of %d", got, total)
		}
		var p2 page
		a.ok(members, map[string]any{"first": 2, "after": next}, &p2)
		rest, _, _ := emails(p2, "Authorized user")
		all := append(got, rest...)
		slices.Sort(all)
		if strings.Join(all, " ") != "alice@example.com bob@example.com carla@example.com" {
			t.Fatalf("members over two pages: %v", all)
		}
		if got, total, _ := emails(p, "Authenticated users"); total != 0 || len(got) != 0 {
			t.Fatalf("Authenticated users has members %v", got)
		}
		var s page
		a.ok(members, map[string]any{"s": "CARL"}, &s)
		if got, _, _ := emails(s, "Authorized user"); len(got) != 1 || got[0] != "carla@example.com" {
			t.Fatalf("search: %v", got)
		}
	})

	t.Run("changes are audited", func(t *testing.T) {
		alice := w.Contacts["alice"].ID
		a.ok(`mutation($c: ID!, $r: ID!) { assignWebRole(contactId: $c, roleId: $r) { id } }`, map[string]any{"c": alice, "r": id}, nil)
		a.ok(`mutation($c: ID!, $r: ID!) { assignWebRole(contactId: $c, roleId: $r) { id } }`, map[string]any{"c": alice, "r": id}, nil)
		a.ok(`mutation($c: ID!, $r: ID!) { unassignWebRole(contactId: $c, roleId: $r) { id } }`, map[string]any{"c": alice, "r": id}, nil)
		var d struct {
			AuditLog struct {
				Edges []struct {
					Node struct {
						Action, SubjectID, Detail string
						Actor                     *struct{ Email string }
					}
				}
			}
		}
		a.ok(`query($c: ID) { auditLog(first: 100, contactId: $c, action: "web_role.") { edges { node { action subjectId detail actor { email } } } } }`,
			map[string]any{"c": alice}, &d)
		var got []string
		for _, e := range d.AuditLog.Edges {
			got = append(got, e.Node.Action)
			if e.Node.Actor == nil || e.Node.Actor.Email != "admin@example.com" || !strings.Contains(e.Node.Detail, "Purchasers") {
				t.Errorf("entry %+v", e.Node)
			}
		}
		// Newest first; the second assign changed nothing and is not logged.
		if strings.Join(got, " ") != "web_role.unassigned web_role.assigned" {
			t.Fatalf("alice's role changes: %v", got)
		}
		a.ok(`{ auditLog(first: 100, action: "web_role.") { edges { node { action subjectId detail actor { email } } } } }`, nil, &d)
		got = nil
		for _, e := range d.AuditLog.Edges {
			if e.Node.SubjectID == id {
				got = append(got, e.Node.Action)
			}
		}
		if strings.Join(got, " ") != "web_role.updated web_role.created" {
			t.Fatalf("the role's changes: %v", got)
		}
	})

	t.Run("customers are refused", func(t *testing.T) {
		a.as(w, "alice")
		a.fails(update, map[string]any{"id": id, "n": "Mine", "d": ""}, "FORBIDDEN")
		a.fails(`{ viewer { roles { name members { totalCount } } } }`, nil, "FORBIDDEN")
		a.as(w, "admin")
		if got := roleIDs(t, a); got["Purchasers"] != id {
			t.Fatalf("a refused rename changed the role: %v", got)
		}
	})
}

func TestManageContactAccess(t *testing.T) {
	a := newAPI(t)
	w := world(a)
	a.as(w, "admin")
	var tables struct {
		PermissionTables []struct {
			Name, Noun string
			Scopes     []string
			Parent     *string
		}
	}
	a.ok(`{ permissionTables { name noun scopes parent } }`, nil, &tables)
	var line, order bool
	for _, tb := range tables.PermissionTables {
		switch tb.Name {
		case "sales_order_line":
			line = tb.Parent != nil && *tb.Parent == "sales_order" && slices.Contains(tb.Scopes, "PARENT")
		case "sales_order":
			order = tb.Parent == nil && tb.Noun == "order" && slices.Contains(tb.Scopes, "CONTACT")
		}
	}
	if !line || !order {
		t.Fatalf("permissionTables: %+v", tables.PermissionTables)
	}

	const access = `query($c: ID!) { contactAccess(contactId: $c) { table { name }
		decisions { privilege allowed explanation grantedBy { name } } } }`
	var d struct {
		ContactAccess []struct {
			Table     struct{ Name string }
			Decisions []struct {
				Privilege   string
				Allowed     bool
				Explanation string
				GrantedBy   []struct{ Name string }
			}
		}
	}
	before := a.queries.n.Load()
	a.ok(access, map[string]any{"c": w.Contacts["alice"].ID}, &d)
	// The contact is read once, not once per table and privilege (it was
	// 204 queries); the grants' names come from the policy in memory.
	if n := a.queries.n.Load() - before; n > 3 {
		t.Errorf("contactAccess ran %d queries, want at most 3", n)
	}
	if len(d.ContactAccess) != len(tables.PermissionTables) {
		t.Fatalf("%d tables, want %d", len(d.ContactAccess), len(tables.PermissionTables))
	}
	for _, ta := range d.ContactAccess {
		var privs []string
		for _, dc := range ta.Decisions {
			privs = append(privs, dc.Privilege)
			if dc.Explanation == "" || dc.Allowed != (len(dc.GrantedBy) > 0) {
				t.Errorf("%s %s: %+v", ta.Table.Name, dc.Privilege, dc)
			}
		}
		if strings.Join(privs, ",") != "READ,CREATE,WRITE,DELETE,APPEND,APPEND_TO" {
			t.Errorf("%s privileges %v", ta.Table.Name, privs)
		}
		switch ta.Table.Name {
		case "sales_order":
			if !ta.Decisions[0].Allowed || !strings.Contains(ta.Decisions[0].Explanation, "Authorized user") {
				t.Errorf("alice may not read her orders: %+v", ta.Decisions[0])
			}
		case "web_role":
			if ta.Decisions[0].Allowed {
				t.Errorf("alice may read web roles: %+v", ta.Decisions[0])
			}
		}
	}
	a.as(w, "alice")
	a.fails(access, map[string]any{"c": w.Contacts["alice"].ID}, "FORBIDDEN")
	a.fails(`{ permissionTables { name } }`, nil, "FORBIDDEN")
}

func TestManageOrderFilters(t *testing.T) {
	a := newAPI(t)
	w := world(a)
	ctx := context.Background()
	alice, carla := w.Orders["alice"], w.Orders["carla"]
	if _, err := a.db.ExecContext(ctx, `UPDATE sales_order SET status = 'SUBMITTED', submitted_at = now(), sync_state = 'FAILED',
		erp_order_number = 'ERP-4711' WHERE id = ?`, alice); err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.ExecContext(ctx, `INSERT INTO outbox_event (type, aggregate_id, payload, attempts, dead, last_status, last_answer, last_attempt_at, created_at)
		VALUES ('salesorder.submitted', ?, '{}', 1, true, 400, '{"error":"unknown item"}', now(), now() - interval '1 minute'),
		       ('salesorder.submitted', ?, '{}', 3, true, 400, '{"error":"later"}', now(), now())`, alice, alice); err != nil {
		t.Fatal(err)
	}
	a.as(w, "admin")
	const list = `query($f: OrderFilter) { orders(first: 100, filter: $f) { totalCount edges { node { id } } } }`
	ids := func(f map[string]any) []string {
		var d struct {
			Orders struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID string } }
			}
		}
		a.ok(list, map[string]any{"f": f}, &d)
		var out []string
		for _, e := range d.Orders.Edges {
			out = append(out, e.Node.ID)
		}
		if len(out) != d.Orders.TotalCount {
			t.Fatalf("totalCount %d for %d orders", d.Orders.TotalCount, len(out))
		}
		return out
	}
	for _, c := range []struct {
		name   string
		filter map[string]any
		want   func([]string) bool
	}{
		{"all", nil, func(got []string) bool { return len(got) == len(w.Orders) }},
		{"sync state", map[string]any{"syncState": []string{"FAILED"}}, func(got []string) bool { return slices.Equal(got, []string{alice}) }},
		{"other sync states", map[string]any{"syncState": []string{"NOT_SENT", "SYNCED"}}, func(got []string) bool {
			return len(got) == len(w.Orders)-1 && !slices.Contains(got, alice)
		}},
		{"account", map[string]any{"customerAccountId": w.Accounts["B"]}, func(got []string) bool { return slices.Equal(got, []string{carla}) }},
		{"ERP number", map[string]any{"number": "erp-47"}, func(got []string) bool { return slices.Equal(got, []string{alice}) }},
		{"account and sync state", map[string]any{"customerAccountId": w.Accounts["B"], "syncState": []string{"FAILED"}}, func(got []string) bool { return len(got) == 0 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ids(c.filter); !c.want(got) {
				t.Fatalf("got %v", got)
			}
		})
	}
	e := a.fails(list, map[string]any{"f": map[string]any{"customerAccountId": "nope"}}, "BAD_USER_INPUT")
	if f, _ := e.Extensions["field"].(string); !strings.HasSuffix(f, "customerAccountId") {
		t.Fatalf("field %v", e.Extensions["field"])
	}

	const events = `query($id: ID!) { order(id: $id) { syncState erpEvents { state attempts lastStatus lastAnswer } } }`
	var d struct {
		Order struct {
			SyncState string
			ErpEvents []struct {
				State      string
				Attempts   int
				LastStatus int
				LastAnswer string
			}
		}
	}
	a.ok(events, map[string]any{"id": alice}, &d)
	if ev := d.Order.ErpEvents; len(ev) != 2 || ev[0].LastAnswer != `{"error":"later"}` || ev[0].State != "DEAD" || ev[0].LastStatus != 400 || ev[0].Attempts != 3 {
		t.Fatalf("erpEvents newest first: %+v", d.Order)
	}
	a.ok(events, map[string]any{"id": carla}, &d)
	if d.Order.ErpEvents == nil || len(d.Order.ErpEvents) != 0 {
		t.Fatalf("carla's order has events: %+v", d.Order.ErpEvents)
	}
	a.as(w, "alice")
	a.fails(events, map[string]any{"id": alice}, "FORBIDDEN")
	if got := ids(map[string]any{"customerAccountId": w.Accounts["B"]}); len(got) != 0 {
		t.Fatalf("alice filters her way to account B's orders: %v", got)
	}
}

func TestManageCustomerAccounts(t *testing.T) {
	a := newAPI(t)
	w := world(a)
	const q = `query($c: String, $s: String, $first: Int, $after: String) { customerAccounts(company: $c, search: $s, first: $first, after: $after) {
		totalCount pageInfo { hasNextPage endCursor } edges { node { accountNumber company { code } } } } }`
	type conn struct {
		CustomerAccounts struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage bool
				EndCursor   string
			}
			Edges []struct {
				Node struct {
					AccountNumber string
					Company       struct{ Code string }
				}
			}
		}
	}
	numbers := func(vars map[string]any) ([]string, conn) {
		var d conn
		a.ok(q, vars, &d)
		var out []string
		for _, e := range d.CustomerAccounts.Edges {
			out = append(out, e.Node.Company.Code+"/"+e.Node.AccountNumber)
		}
		return out, d
	}
	a.as(w, "admin")
	first, d := numbers(map[string]any{"first": 1})
	if !slices.Equal(first, []string{"USMF/US-001"}) || !d.CustomerAccounts.PageInfo.HasNextPage || d.CustomerAccounts.TotalCount != 2 {
		t.Fatalf("first page %v %+v", first, d.CustomerAccounts)
	}
	if next, _ := numbers(map[string]any{"first": 1, "after": d.CustomerAccounts.PageInfo.EndCursor}); !slices.Equal(next, []string{"USMF/US-002"}) {
		t.Fatalf("second page %v", next)
	}
	if got, _ := numbers(map[string]any{"s": "account b"}); !slices.Equal(got, []string{"USMF/US-002"}) {
		t.Fatalf("search %v", got)
	}
	if got, _ := numbers(map[string]any{"c": "DEMF"}); len(got) != 0 {
		t.Fatalf("other company %v", got)
	}
	a.as(w, "alice")
	if got, _ := numbers(nil); slices.Contains(got, "USMF/US-002") {
		t.Fatalf("alice lists account B: %v", got)
	}
}

func TestManageAuditFilters(t *testing.T) {
	a := newAPI(t)
	w := world(a)
	ctx := context.Background()
	alice := w.Contacts["alice"].ID
	if _, err := a.db.ExecContext(ctx, `DELETE FROM audit_log`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.ExecContext(ctx, `INSERT INTO audit_log (at, actor_id, action, subject_type, subject_id, client_ip) VALUES
		('2026-11-01T10:00:00Z', NULL, 'contact.created', 'contact', ?, ''),
		('2026-11-02T23:59:59Z', ?, 'session.signed_in', 'contact', ?, ''),
		('2026-11-03T00:00:00Z', ?, 'contact.updated', 'contact', ?, ''),
		('2026-11-03T12:00:00Z', NULL, 'contactx.other', 'contact', ?, '')`, alice, alice, alice, alice, alice, alice); err != nil {
		t.Fatal(err)
	}
	a.as(w, "admin")
	const q = `query($c: ID, $a: String, $from: Date, $to: Date) { auditLog(first: 100, contactId: $c, action: $a, from: $from, to: $to) {
		totalCount edges { node { action } } } }`
	actions := func(vars map[string]any) []string {
		var d struct {
			AuditLog struct {
				TotalCount int
				Edges      []struct{ Node struct{ Action string } }
			}
		}
		a.ok(q, vars, &d)
		var out []string
		for _, e := range d.AuditLog.Edges {
			out = append(out, e.Node.Action)
		}
		if len(out) != d.AuditLog.TotalCount {
			t.Fatalf("totalCount %d for %v", d.AuditLog.TotalCount, out)
		}
		return out
	}
	for _, c := range []struct {
		name string
		vars map[string]any
		want string
	}{
		{"exact action", map[string]any{"a": "contact.created"}, "contact.created"},
		{"action prefix", map[string]any{"a": "contact."}, "contact.updated contact.created"},
		{"one day", map[string]any{"from": "2026-11-02", "to": "2026-11-02"}, "session.signed_in"},
		{"from", map[string]any{"from": "2026-11-03"}, "contactx.other contact.updated"},
		{"to", map[string]any{"to": "2026-11-01"}, "contact.created"},
		{"contact and action", map[string]any{"c": alice, "a": "session."}, "session.signed_in"},
		{"percent is literal", map[string]any{"a": "%."}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := strings.Join(actions(c.vars), " "); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
	e := a.fails(q, map[string]any{"from": "2026-11-03", "to": "2026-11-02"}, "BAD_USER_INPUT")
	if e.Extensions["field"] != "to" {
		t.Fatalf("field %v", e.Extensions["field"])
	}
	var d struct{ AuditActions []string }
	a.ok(`{ auditActions }`, nil, &d)
	if strings.Join(d.AuditActions, " ") != "contact.created contact.updated contactx.other session.signed_in" {
		t.Fatalf("auditActions %v", d.AuditActions)
	}
	a.as(w, "alice")
	a.fails(`{ auditActions }`, nil, "FORBIDDEN")
	a.fails(q, map[string]any{"a": "contact."}, "FORBIDDEN")
}

// TestManageContactOwnTerms: the contact form must tell the contact's own
// terms from those it inherits, or saving it would pin (or drop) them.
func TestManageContactOwnTerms(t *testing.T) {
	a := newAPI(t)
	w := world(a)
	a.as(w, "admin")
	var d struct {
		CreateContact struct {
			Currency, Language       string
			OwnCurrency, OwnLanguage *string
			OwnShipToCountry         *string
			OwnPriceList, PriceList  *struct{ Code string }
		}
	}
	a.ok(`mutation { createContact(input: {firstName: "Olga", lastName: "Own", email: "olga@example.com", company: "USMF",
		accountNumber: "US-001", currency: "USD", priceListCode: "RETAIL"}) {
		currency language ownCurrency ownLanguage ownShipToCountry ownPriceList { code } priceList { code } } }`, nil, &d)
	c := d.CreateContact
	if c.OwnCurrency == nil || *c.OwnCurrency != "USD" || c.OwnPriceList == nil || c.OwnPriceList.Code != "RETAIL" {
		t.Fatalf("own terms given are not own: %+v", c)
	}
	if c.OwnLanguage != nil || c.OwnShipToCountry != nil || c.Language != "en-US" || c.PriceList == nil {
		t.Fatalf("inherited terms read as own: %+v", c)
	}
}

// BenchmarkManageContactAccess: the permission explorer's overview, every
// table and privilege explained for one contact, as one request.
func BenchmarkManageContactAccess(b *testing.B) {
	a := newAPI(b)
	w := world(a)
	a.as(w, "admin")
	vars := map[string]any{"c": w.Contacts["alice"].ID}
	const q = `query($c: ID!) { contactAccess(contactId: $c) { table { name } decisions { privilege allowed explanation } } }`
	a.ok(q, vars, nil)
	before := a.queries.n.Load()
	a.ok(q, vars, nil)
	queries := a.queries.n.Load() - before
	for b.Loop() {
		a.ok(q, vars, nil)
	}
	b.ReportMetric(float64(queries), "queries/op")
}
