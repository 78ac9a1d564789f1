package graph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/policies"
	"github.com/openportal/portal/policies/policytest"
)

// world fills the API's database with policytest's world.
func world(a *api) *policytest.World {
	a.t.Helper()
	return policytest.New(a.t, a.db, &identity.Service{DB: a.db, Policy: a.policy, Roles: &policies.Roles{DB: a.db}})
}

// as makes the API act as the named contact of w ("anonymous": nobody).
func (a *api) as(w *policytest.World, name string) *api {
	a.viewer = w.Viewer(a.t, name)
	return a
}

// probe is one GraphQL operation that exercises a privilege on a table,
// on the viewer's own row (in) or somebody else's (out), and tells from the
// answer whether it was allowed.
type probe struct {
	table string
	priv  policies.Privilege
	query func(w *policytest.World, in bool) (string, map[string]any)
	// allowed reads the answer; nil means "no error".
	allowed func(w *policytest.World, in bool, r response) bool
}

func account(w *policytest.World, in bool) string {
	if in {
		return w.Accounts["A"]
	}
	return w.Accounts["B"]
}

func contains(r response, s string) bool {
	return len(r.Errors) == 0 && strings.Contains(string(r.Data), s)
}

var probes = []probe{
	{policies.TableCustomerAccount, policies.Read,
		func(w *policytest.World, in bool) (string, map[string]any) {
			return `query($id: ID!) { customerAccount(id: $id) { id } }`, map[string]any{"id": account(w, in)}
		},
		func(w *policytest.World, in bool, r response) bool { return contains(r, account(w, in)) }},
	{policies.TableDeliveryAddress, policies.Read,
		func(w *policytest.World, in bool) (string, map[string]any) {
			return `query($id: ID!) { customerAccount(id: $id) { deliveryAddresses { id } } }`, map[string]any{"id": account(w, in)}
		},
		func(w *policytest.World, in bool, r response) bool {
			return contains(r, w.Addresses[map[bool]string{true: "A", false: "B"}[in]])
		}},
	{policies.TableContact, policies.Read,
		func(w *policytest.World, in bool) (string, map[string]any) {
			// The contacts of an account the viewer reads, or (for
			// contacts only reachable as SELF) the viewer's own.
			// (viewer.contact always shows the viewer itself, so the
			// scoped contacts list is the probe.)
			return `query($id: ID!) { contacts { edges { node { id } } } customerAccount(id: $id) { contacts { edges { node { id } } } } }`,
				map[string]any{"id": account(w, in)}
		},
		func(w *policytest.World, in bool, r response) bool {
			if in {
				return strings.Contains(string(r.Data), `"contacts":{"edges":[{"node"`)
			}
			return contains(r, w.Contacts["carla"].ID)
		}},
	{policies.TableLegalEntity, policies.Read,
		func(*policytest.World, bool) (string, map[string]any) { return `{ legalEntities { code } }`, nil },
		func(_ *policytest.World, _ bool, r response) bool { return contains(r, "USMF") }},
	{policies.TableProduct, policies.Read,
		func(*policytest.World, bool) (string, map[string]any) {
			return `{ products { edges { node { number } } } }`, nil
		},
		func(_ *policytest.World, _ bool, r response) bool { return contains(r, "1000") }},
	{policies.TablePriceList, policies.Read,
		func(*policytest.World, bool) (string, map[string]any) {
			return `{ products { edges { node { price } } } }`, nil
		},
		func(_ *policytest.World, _ bool, r response) bool { return contains(r, `"10`) }},
	{policies.TableLegalEntity, policies.Write,
		func(*policytest.World, bool) (string, map[string]any) {
			return saveLegalEntity, map[string]any{"in": map[string]any{"code": "USMF", "name": "Contoso USA"}}
		}, nil},
	{policies.TableProduct, policies.Write,
		func(*policytest.World, bool) (string, map[string]any) {
			return saveProduct, map[string]any{"in": map[string]any{"number": "1000", "name": "Speaker", "company": "USMF", "units": []string{"ea"}, "defaultUnit": "ea"}}
		}, nil},
	{policies.TableCustomerAccount, policies.Write,
		func(*policytest.World, bool) (string, map[string]any) {
			return saveAccount, map[string]any{"in": map[string]any{"accountNumber": "US-002", "name": "Account B", "company": "USMF",
				"currency": "USD", "priceListCode": "RETAIL", "shipToCountry": "US", "language": "en-US"}}
		}, nil},
	{policies.TableWebRole, policies.Read,
		func(*policytest.World, bool) (string, map[string]any) { return `{ webRoles { name } }`, nil }, nil},
	{policies.TableWebRole, policies.Create,
		func(_ *policytest.World, in bool) (string, map[string]any) {
			return `mutation($in: WebRoleInput!) { createWebRole(input: $in) { id } }`,
				map[string]any{"in": map[string]any{"name": fmt.Sprintf("Role %d", time.Now().UnixNano()), "description": ""}}
		}, nil},
	{policies.TableTablePermission, policies.Read,
		func(*policytest.World, bool) (string, map[string]any) {
			return `{ tablePermissions { name parent { name } roles { name } } }`, nil
		}, nil},
}

// TestPermissionMatrixThroughGraphQL runs each probe as each built-in
// role's contact, on its own row and on another account's, and compares
// with DESIGN §4's table (policytest.Design). Orders and lines join when
// the order wizard brings their queries; the service-level matrix in
// package policies covers them now.
func TestPermissionMatrixThroughGraphQL(t *testing.T) {
	a := newAPI(t)
	w := world(a)
	for _, role := range []string{portal.RoleAdministrators, portal.RoleCustomerRepresentative, portal.RoleAuthorizedUser,
		portal.RoleAuthenticatedUsers, portal.RoleAnonymousUsers} {
		a.as(w, map[string]string{portal.RoleAdministrators: "admin", portal.RoleCustomerRepresentative: "rep",
			portal.RoleAuthorizedUser: "alice", portal.RoleAuthenticatedUsers: "nobody", portal.RoleAnonymousUsers: "anonymous"}[role])
		for _, p := range probes {
			wantIn, wantOut := policytest.Expect(role, p.table, p.priv)
			for i, want := range []bool{wantIn, wantOut} {
				in := i == 0
				q, vars := p.query(w, in)
				r := a.do(q, vars)
				var got bool
				if p.allowed == nil {
					got = len(r.Errors) == 0
					if !got {
						// Refusals of a whole table name the reason, never
						// a row: UNAUTHENTICATED or FORBIDDEN.
						if c := r.Errors[0].Extensions["code"]; c != "UNAUTHENTICATED" && c != "FORBIDDEN" {
							t.Errorf("%s %s %s: code %v", role, p.table, p.priv, c)
						}
					}
				} else {
					got = p.allowed(w, in, r)
				}
				if got != want {
					t.Errorf("%s/%s/%s on %s row: allowed = %v, want %v (%s %+v)", role, p.table, p.priv,
						map[bool]string{true: "own", false: "another account's"}[in], got, want, r.Data, r.Errors)
				}
			}
		}
	}
}

// TestGuessedIDsThroughGraphQL: another account's records, and made-up
// ids, are null without an error: nothing confirms they exist.
func TestGuessedIDsThroughGraphQL(t *testing.T) {
	a := newAPI(t)
	w := world(a)
	for _, viewer := range []string{"alice", "carla", "rep", "anonymous"} {
		a.as(w, viewer)
		for _, id := range []string{w.Accounts["B"], w.Accounts["A"], "00000000-0000-0000-0000-000000000000", "not-an-id"} {
			if viewer == "carla" && id == w.Accounts["B"] || viewer != "carla" && viewer != "anonymous" && id == w.Accounts["A"] {
				continue // its own account
			}
			r := a.do(`query($id: ID!) { customerAccount(id: $id) { id name contacts { totalCount } } }`, map[string]any{"id": id})
			if len(r.Errors) > 0 || string(r.Data) != `{"customerAccount":null}` {
				t.Errorf("%s reads account %s: %s %+v", viewer, id, r.Data, r.Errors)
			}
		}
	}
}

// TestAdministrationThroughGraphQL walks an administrator through roles,
// memberships and permissions, with bad input refused and nothing changed.
func TestAdministrationThroughGraphQL(t *testing.T) {
	a := newAPI(t)
	w := world(a)
	a.as(w, "admin")
	var roles struct {
		WebRoles []struct {
			ID, Name string
			BuiltIn  bool
		}
	}
	a.ok(`{ webRoles { id name builtIn } }`, nil, &roles)
	roleID := map[string]string{}
	for _, r := range roles.WebRoles {
		roleID[r.Name] = r.ID
	}
	if len(roles.WebRoles) != 5 || roleID["Administrators"] == "" {
		t.Fatalf("webRoles = %+v", roles)
	}
	var created struct{ CreateWebRole struct{ ID, Name string } }
	a.ok(`mutation { createWebRole(input: {name: "Buyers", description: "Orders for the account"}) { id name } }`, nil, &created)
	var assigned struct {
		AssignWebRole struct{ Roles []struct{ Name string } }
	}
	a.ok(`mutation($c: ID!, $r: ID!) { assignWebRole(contactId: $c, roleId: $r) { roles { name } } }`,
		map[string]any{"c": w.Contacts["nobody"].ID, "r": created.CreateWebRole.ID}, &assigned)
	if len(assigned.AssignWebRole.Roles) != 1 || assigned.AssignWebRole.Roles[0].Name != "Buyers" {
		t.Errorf("assignWebRole = %+v", assigned)
	}
	// Buyers see every order of their account and its lines.
	var orders struct{ SaveTablePermission struct{ ID, Scope string } }
	a.ok(`mutation($in: TablePermissionInput!) { saveTablePermission(input: $in) { id scope } }`, map[string]any{"in": map[string]any{
		"name": "Buyers: account orders", "table": "sales_order", "scope": "ACCOUNT", "privileges": []string{"READ", "APPEND_TO"},
		"roleIds": []string{created.CreateWebRole.ID}}}, &orders)
	var lines struct {
		SaveTablePermission struct {
			Privileges []string
			Parent     struct{ Name string }
			Roles      []struct{ Name string }
		}
	}
	a.ok(`mutation($in: TablePermissionInput!) { saveTablePermission(input: $in) { privileges parent { name } roles { name } } }`,
		map[string]any{"in": map[string]any{"name": "Buyers: lines", "table": "sales_order_line", "scope": "PARENT",
			"privileges": []string{"CREATE", "READ", "READ"}, "roleIds": []string{created.CreateWebRole.ID}, "parentId": orders.SaveTablePermission.ID}}, &lines)
	if got := lines.SaveTablePermission; strings.Join(got.Privileges, ",") != "READ,CREATE" || got.Parent.Name != "Buyers: account orders" || len(got.Roles) != 1 {
		t.Errorf("saved PARENT permission = %+v", got)
	}
	var explained struct {
		ExplainPermission struct {
			Allowed     bool
			GrantedBy   []struct{ Name string }
			Explanation string
		}
	}
	a.ok(`query($c: ID!, $r: ID) { explainPermission(contactId: $c, table: "sales_order_line", privilege: READ, recordId: $r) {
		allowed grantedBy { name } explanation } }`, map[string]any{"c": w.Contacts["nobody"].ID, "r": w.Lines["alice"]}, &explained)
	if e := explained.ExplainPermission; !e.Allowed || len(e.GrantedBy) != 1 || e.GrantedBy[0].Name != "Buyers: lines" {
		t.Errorf("explain = %+v", e)
	}

	before := snapshotPolicy(t, a)
	for _, tt := range []struct {
		name, query string
		vars        map[string]any
		code, field string
	}{
		{"bad scope for the table", `mutation($in: TablePermissionInput!) { saveTablePermission(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"name": "x", "table": "contact", "scope": "CONTACT", "privileges": []string{"READ"}, "roleIds": []string{}}},
			"BAD_USER_INPUT", "input.scope"},
		{"parent on the wrong table", `mutation($in: TablePermissionInput!) { saveTablePermission(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"name": "x", "table": "delivery_address", "scope": "PARENT", "privileges": []string{"READ"},
				"roleIds": []string{}, "parentId": orders.SaveTablePermission.ID}}, "BAD_USER_INPUT", "input.parentId"},
		{"unknown permission id", `mutation($in: TablePermissionInput!) { saveTablePermission(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"id": "00000000-0000-0000-0000-000000000000", "name": "x", "table": "product", "scope": "GLOBAL",
				"privileges": []string{"READ"}, "roleIds": []string{}}}, "NOT_FOUND", ""},
		{"delete a built-in role", `mutation($id: ID!) { deleteWebRole(id: $id) }`, map[string]any{"id": roleID["Anonymous users"]}, "CONFLICT", ""},
		{"remove the last administrator", `mutation($c: ID!, $r: ID!) { unassignWebRole(contactId: $c, roleId: $r) { id } }`,
			map[string]any{"c": w.Contacts["admin"].ID, "r": roleID["Administrators"]}, "CONFLICT", ""},
		{"delete a permission with children", `mutation($id: ID!) { deleteTablePermission(id: $id) }`,
			map[string]any{"id": orders.SaveTablePermission.ID}, "CONFLICT", ""},
	} {
		e := a.fails(tt.query, tt.vars, tt.code)
		if tt.field != "" && e.Extensions["field"] != tt.field {
			t.Errorf("%s: field %v, want %s (%s)", tt.name, e.Extensions["field"], tt.field, e.Message)
		}
	}
	if after := snapshotPolicy(t, a); after != before {
		t.Errorf("refused changes changed the policy tables")
	}
	var deleted struct{ DeleteWebRole bool }
	a.ok(`mutation($id: ID!) { deleteWebRole(id: $id) }`, map[string]any{"id": created.CreateWebRole.ID}, &deleted)
	if !deleted.DeleteWebRole {
		t.Error("deleteWebRole = false")
	}
	// Others may not administer: table-level refusals.
	a.as(w, "rep")
	a.fails(`{ tablePermissions { id } }`, nil, "FORBIDDEN")
	a.fails(`query($c: ID!) { explainPermission(contactId: $c, table: "sales_order", privilege: READ) { allowed } }`,
		map[string]any{"c": w.Contacts["alice"].ID}, "FORBIDDEN")
	a.as(w, "anonymous")
	a.fails(`mutation { createWebRole(input: {name: "X", description: ""}) { id } }`, nil, "UNAUTHENTICATED")
}

func snapshotPolicy(t *testing.T, a *api) string {
	t.Helper()
	var out string
	for _, table := range []string{"web_role", "contact_web_role", "table_permission", "table_permission_role", "policy_version"} {
		var sum string
		if err := a.db.NewRaw("SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM "+table+" t").
			Scan(context.Background(), &sum); err != nil {
			t.Fatal(err)
		}
		out += table + "=" + sum + " "
	}
	return out
}

// TestPermissionChangeSeenOnNextRequest: an administrator grants, narrows
// and revokes through server one; alice's next request sees it on server
// one at once, and on server two (its own enforcer on the same database,
// as a second process would have) as soon as the NOTIFY arrives.
func TestPermissionChangeSeenOnNextRequest(t *testing.T) {
	one := newAPI(t)
	two := newAPIOn(t, one.db)
	w := world(one)
	var authorized string
	if err := one.db.NewRaw("SELECT id FROM web_role WHERE key = 'authorized_user'").Scan(context.Background(), &authorized); err != nil {
		t.Fatal(err)
	}
	seesB := func(a *api) bool {
		a.as(w, "alice")
		r := a.do(`query($id: ID!) { customerAccount(id: $id) { id } }`, map[string]any{"id": w.Accounts["B"]})
		return contains(r, w.Accounts["B"])
	}
	save := func(vars map[string]any) string {
		one.as(w, "admin")
		var out struct{ SaveTablePermission struct{ ID string } }
		one.ok(`mutation($in: TablePermissionInput!) { saveTablePermission(input: $in) { id } }`, map[string]any{"in": vars}, &out)
		return out.SaveTablePermission.ID
	}
	waitFor := func(what string, want bool) {
		t.Helper()
		if seesB(one) != want {
			t.Errorf("%s: server one's next request: sees account B = %v", what, !want)
		}
		deadline := time.Now().Add(3 * time.Second)
		for seesB(two) != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s: server two never caught up", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("before", false)
	in := map[string]any{"name": "Authorized users: every account", "table": "customer_account", "scope": "GLOBAL",
		"privileges": []string{"READ"}, "roleIds": []string{authorized}}
	id := save(in)
	waitFor("created", true)
	in["id"], in["scope"] = id, "ACCOUNT"
	save(in)
	waitFor("narrowed to ACCOUNT", false)
	in["scope"] = "GLOBAL"
	save(in)
	waitFor("widened again", true)
	one.as(w, "admin")
	var del struct{ DeleteTablePermission bool }
	one.ok(`mutation($id: ID!) { deleteTablePermission(id: $id) }`, map[string]any{"id": id}, &del)
	waitFor("deleted", false)
}
