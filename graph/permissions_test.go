package graph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/policies"
	"github.com/openportal/portal/policies/policytest"
)

// world fills the API's database with policytest's world.
func world(a *api) *policytest.World {
	a.t.Helper()
	return policytest.New(a.t, a.db, a.app.Identity)
}

// as makes the API act as the named contact of w ("anonymous": nobody).
func (a *api) as(w *policytest.World, name string) *api {
	a.viewer = w.Viewer(a.t, name)
	return a
}

// target is where one run of a probe aims: as which of the world's
// contacts, and at a row in the viewer's own reach (in) or at another
// account's (out). Probes that pick or make order rows record them in
// order and line, for allowed to look for.
type target struct {
	t           testing.TB
	w           *policytest.World
	viewer      string
	in          bool
	order, line string
}

// owner is whose rows the probe aims at: the viewer's own when in (a
// visitor owns nothing, so alice's stand in, as in package policies'
// matrix), else carla's, of account B.
func (c *target) owner() string {
	switch {
	case !c.in:
		return "carla"
	case c.viewer == "anonymous":
		return "alice"
	}
	return c.viewer
}

// worldOrder aims at the owner's order of the world, and its line; only
// probes that change nothing use them.
func (c *target) worldOrder() {
	c.order, c.line = c.w.Orders[c.owner()], c.w.Lines[c.owner()]
}

// freshOrder aims at a new DRAFT order of the owner with one priced line,
// so a probe that changes or deletes it disturbs no other probe, and only
// DRAFT orders change (the domain rule would otherwise answer first).
func (c *target) freshOrder() {
	c.order, c.line = c.w.AddOrder(c.t, c.owner())
}

func (c *target) account() string {
	if c.in {
		return c.w.Accounts["A"]
	}
	return c.w.Accounts["B"]
}

// need is one privilege on one table.
type need struct {
	table string
	priv  policies.Privilege
}

// probe is one GraphQL operation that exercises a privilege on a table,
// on the viewer's own row (in) or somebody else's (out), and tells from the
// answer whether it was allowed.
type probe struct {
	table string
	priv  policies.Privilege
	// op names the operation in failures.
	op string
	// also are privileges the operation needs besides priv on table
	// (adding a line: CREATE on sales_order_line and APPEND_TO on the
	// order); it is allowed only where all are.
	also []need
	// found lists the tables whose READ scope must reach the row for the
	// operation to find it at all. A refused operation on a row the viewer
	// cannot read is NOT_FOUND, never FORBIDDEN, so the answer does not
	// confirm that it exists; on a row it reads it is FORBIDDEN. Empty:
	// the refusal is of the whole table (FORBIDDEN, or UNAUTHENTICATED for
	// a visitor).
	found []string
	// inOnly: the operation has no other account's row to aim at
	// (createOrder always places the viewer's contact's own order).
	inOnly bool
	query  func(c *target) (string, map[string]any)
	// allowed reads the answer; nil means "no error", and a refusal must
	// carry the code that found implies.
	allowed func(c *target, r response) bool
}

// expect is Design's answer for a probe: every privilege it needs.
func (p probe) expect(role string) (in, out bool) {
	in, out = policytest.Expect(role, p.table, p.priv)
	for _, n := range p.also {
		i, o := policytest.Expect(role, n.table, n.priv)
		in, out = in && i, out && o
	}
	return in, out
}

// refusal is the error code a refused run of p must carry.
func (p probe) refusal(role string, in bool) string {
	if role == portal.RoleAnonymousUsers {
		return "UNAUTHENTICATED"
	}
	for _, table := range p.found {
		readIn, readOut := policytest.Expect(role, table, policies.Read)
		if in && !readIn || !in && !readOut {
			return "NOT_FOUND"
		}
	}
	return "FORBIDDEN"
}

func contains(r response, s string) bool {
	return len(r.Errors) == 0 && strings.Contains(string(r.Data), s)
}

// hidden is allowed for reads of one order: the order (or its line) is in
// the answer, or else the answer is the same as for an order that does not
// exist (null, or no line), without an error that would confirm it does.
func hidden(want string, shown func(c *target) string) func(c *target, r response) bool {
	return func(c *target, r response) bool {
		id := shown(c)
		if contains(r, id) {
			return true
		}
		if len(r.Errors) > 0 || string(r.Data) != want {
			c.t.Errorf("%s reads %s's order %s: %s %+v; want %s without an error", c.viewer, c.owner(), id, r.Data, r.Errors, want)
		}
		return false
	}
}

func orderID(c *target) string { return c.order }
func lineID(c *target) string  { return c.line }

// The order operations the probes run, selecting little: the answer only
// has to say allowed or not.
const (
	probeOrder       = `query($id: ID!) { order(id: $id) { id } }`
	probeOrders      = `{ orders(first: 100) { edges { node { id } } } }`
	probeOrderLines  = `query($id: ID!) { order(id: $id) { lines { id } } }`
	probeCreateOrder = `mutation($in: OrderInformationInput!) { createOrder(input: $in) { id } }`
	probeUpdateInfo  = `mutation($id: ID!, $in: OrderInformationInput!) { updateOrderInformation(orderId: $id, input: $in) { id } }`
	probeSubmit      = `mutation($id: ID!) { submitOrder(orderId: $id) { id status } }`
	probeDeleteDraft = `mutation($id: ID!) { deleteDraftOrder(orderId: $id) }`
	probeAddLine     = `mutation($id: ID!, $in: OrderLineInput!) { addOrderLine(orderId: $id, input: $in) { id lines { id } } }`
	probeUpdateLine  = `mutation($id: ID!, $in: OrderLineInput!) { updateOrderLine(lineId: $id, input: $in) { id } }`
	probeRemoveLine  = `mutation($id: ID!) { removeOrderLine(lineId: $id) { id } }`
)

// onFreshOrder is a mutation's variables on a new draft of the owner:
// id is the order's (or, with line, its line's) and in the input, if any.
func onFreshOrder(query string, line bool, in func(c *target) map[string]any) func(c *target) (string, map[string]any) {
	return func(c *target) (string, map[string]any) {
		c.freshOrder()
		vars := map[string]any{"id": c.order}
		if line {
			vars["id"] = c.line
		}
		if in != nil {
			vars["in"] = in(c)
		}
		return query, vars
	}
}

// item is an order line of the world's product, which has a price in the
// price list of every order of the world.
func item(quantity string) func(c *target) map[string]any {
	return func(c *target) map[string]any {
		return map[string]any{"productId": c.w.Product, "quantity": quantity, "unit": "ea"}
	}
}

// information is wizard step 1 with nothing only an administrator may give.
func information(*target) map[string]any {
	return map[string]any{"requestedReceiptDate": tomorrow(), "customerRequisition": "PO-PROBE"}
}

// Orders and lines: which operation needs which privilege (orders/).
//
//	order(id:), orders          READ on sales_order
//	order { lines }             READ on sales_order and sales_order_line
//	createOrder                 CREATE on sales_order (the viewer's own order only)
//	updateOrderInformation      WRITE on sales_order
//	submitOrder                 WRITE on sales_order
//	deleteDraftOrder            WRITE on sales_order: discarding one's draft is
//	                            editing it (orders.DeleteDraft); no operation
//	                            needs DELETE on sales_order
//	addOrderLine                CREATE on sales_order_line and APPEND_TO on
//	                            sales_order (DESIGN §4); no operation needs
//	                            APPEND on sales_order_line or APPEND on sales_order
//	updateOrderLine             WRITE on sales_order_line
//	removeOrderLine             DELETE on sales_order_line
//
// Every one but createOrder first finds the order (and line) in the
// viewer's READ scope: outside it the answer is null or NOT_FOUND.
var orderProbes = []probe{
	{table: policies.TableSalesOrder, priv: policies.Read, op: "order(id:)",
		query: func(c *target) (string, map[string]any) {
			c.worldOrder()
			return probeOrder, map[string]any{"id": c.order}
		},
		allowed: hidden(`{"order":null}`, orderID)},
	{table: policies.TableSalesOrder, priv: policies.Read, op: "orders",
		query: func(c *target) (string, map[string]any) {
			c.freshOrder() // the newest, so on the first page
			return probeOrders, nil
		},
		allowed: func(c *target, r response) bool {
			if len(r.Errors) > 0 {
				c.t.Errorf("%s lists orders: %+v; want the orders it may read, without an error", c.viewer, r.Errors)
			}
			return contains(r, c.order)
		}},
	{table: policies.TableSalesOrderLine, priv: policies.Read, op: "order { lines }",
		query: func(c *target) (string, map[string]any) {
			c.worldOrder()
			return probeOrderLines, map[string]any{"id": c.order}
		},
		allowed: func(c *target, r response) bool {
			// An order it reads shows no lines it may not read.
			if contains(r, `{"order":{"lines":[]}}`) {
				return false
			}
			return hidden(`{"order":null}`, lineID)(c, r)
		}},
	{table: policies.TableSalesOrder, priv: policies.Create, op: "createOrder", inOnly: true,
		query: func(c *target) (string, map[string]any) {
			return probeCreateOrder, map[string]any{"in": information(c)}
		}},
	{table: policies.TableSalesOrder, priv: policies.Write, op: "updateOrderInformation", found: []string{policies.TableSalesOrder},
		query: onFreshOrder(probeUpdateInfo, false, information)},
	{table: policies.TableSalesOrder, priv: policies.Write, op: "submitOrder", found: []string{policies.TableSalesOrder},
		query: onFreshOrder(probeSubmit, false, nil)},
	{table: policies.TableSalesOrder, priv: policies.AppendTo, op: "addOrderLine", found: []string{policies.TableSalesOrder},
		also:  []need{{policies.TableSalesOrderLine, policies.Create}},
		query: onFreshOrder(probeAddLine, false, item("2"))},
	{table: policies.TableSalesOrderLine, priv: policies.Create, op: "addOrderLine", found: []string{policies.TableSalesOrder},
		also:  []need{{policies.TableSalesOrder, policies.AppendTo}},
		query: onFreshOrder(probeAddLine, false, item("3"))},
	{table: policies.TableSalesOrderLine, priv: policies.Write, op: "updateOrderLine",
		found: []string{policies.TableSalesOrder, policies.TableSalesOrderLine},
		query: onFreshOrder(probeUpdateLine, true, item("5"))},
	{table: policies.TableSalesOrderLine, priv: policies.Delete, op: "removeOrderLine",
		found: []string{policies.TableSalesOrder, policies.TableSalesOrderLine},
		query: onFreshOrder(probeRemoveLine, true, nil)},
	{table: policies.TableSalesOrder, priv: policies.Write, op: "deleteDraftOrder", found: []string{policies.TableSalesOrder},
		query: onFreshOrder(probeDeleteDraft, false, nil)},
}

var probes = append([]probe{
	{table: policies.TableCustomerAccount, priv: policies.Read,
		query: func(c *target) (string, map[string]any) {
			return `query($id: ID!) { customerAccount(id: $id) { id } }`, map[string]any{"id": c.account()}
		},
		allowed: func(c *target, r response) bool { return contains(r, c.account()) }},
	{table: policies.TableDeliveryAddress, priv: policies.Read,
		query: func(c *target) (string, map[string]any) {
			return `query($id: ID!) { customerAccount(id: $id) { deliveryAddresses { id } } }`, map[string]any{"id": c.account()}
		},
		allowed: func(c *target, r response) bool {
			return contains(r, c.w.Addresses[map[bool]string{true: "A", false: "B"}[c.in]])
		}},
	{table: policies.TableContact, priv: policies.Read,
		query: func(c *target) (string, map[string]any) {
			// The contacts of an account the viewer reads, or (for
			// contacts only reachable as SELF) the viewer's own.
			// (viewer.contact always shows the viewer itself, so the
			// scoped contacts list is the probe.)
			return `query($id: ID!) { contacts { edges { node { id } } } customerAccount(id: $id) { contacts { edges { node { id } } } } }`,
				map[string]any{"id": c.account()}
		},
		allowed: func(c *target, r response) bool {
			if c.in {
				return strings.Contains(string(r.Data), `"contacts":{"edges":[{"node"`)
			}
			return contains(r, c.w.Contacts["carla"].ID)
		}},
	{table: policies.TableLegalEntity, priv: policies.Read,
		query:   func(*target) (string, map[string]any) { return `{ legalEntities { code } }`, nil },
		allowed: func(_ *target, r response) bool { return contains(r, "USMF") }},
	{table: policies.TableProduct, priv: policies.Read,
		query: func(*target) (string, map[string]any) {
			return `{ products { edges { node { number } } } }`, nil
		},
		allowed: func(_ *target, r response) bool { return contains(r, "1000") }},
	{table: policies.TablePriceList, priv: policies.Read,
		query: func(*target) (string, map[string]any) {
			return `{ products { edges { node { price } } } }`, nil
		},
		allowed: func(_ *target, r response) bool { return contains(r, `"10`) }},
	{table: policies.TableLegalEntity, priv: policies.Write,
		query: func(*target) (string, map[string]any) {
			return saveLegalEntity, map[string]any{"in": map[string]any{"code": "USMF", "name": "Contoso USA"}}
		}},
	{table: policies.TableProduct, priv: policies.Write,
		query: func(*target) (string, map[string]any) {
			return saveProduct, map[string]any{"in": map[string]any{"number": "1000", "name": "Speaker", "company": "USMF", "units": []string{"ea"}, "defaultUnit": "ea"}}
		}},
	{table: policies.TableCustomerAccount, priv: policies.Write,
		query: func(*target) (string, map[string]any) {
			return saveAccount, map[string]any{"in": map[string]any{"accountNumber": "US-002", "name": "Account B", "company": "USMF",
				"currency": "USD", "priceListCode": "RETAIL", "shipToCountry": "US", "language": "en-US"}}
		}},
	{table: policies.TableWebRole, priv: policies.Read,
		query: func(*target) (string, map[string]any) { return `{ webRoles { name } }`, nil }},
	{table: policies.TableWebRole, priv: policies.Create,
		query: func(*target) (string, map[string]any) {
			return `mutation($in: WebRoleInput!) { createWebRole(input: $in) { id } }`,
				map[string]any{"in": map[string]any{"name": fmt.Sprintf("Role %d", time.Now().UnixNano()), "description": ""}}
		}},
	{table: policies.TableTablePermission, priv: policies.Read,
		query: func(*target) (string, map[string]any) {
			return `{ tablePermissions { name parent { name } roles { name } } }`, nil
		}},
}, orderProbes...)

// viewerOf is the contact of the world that plays each built-in role.
var viewerOf = map[string]string{portal.RoleAdministrators: "admin", portal.RoleCustomerRepresentative: "rep",
	portal.RoleAuthorizedUser: "alice", portal.RoleAuthenticatedUsers: "nobody", portal.RoleAnonymousUsers: "anonymous"}

// TestPermissionMatrixThroughGraphQL runs each probe as each built-in
// role's contact, on its own row and on another account's, and compares
// with DESIGN §4's table (policytest.Design). Orders and lines are probed
// on drafts of the world's contacts, which can all order (company,
// account, price list, currency, ship-to country, a delivery address) and
// whose price list prices the world's product, so only the permission
// decides; each change aims at a new draft, so no probe disturbs another.
func TestPermissionMatrixThroughGraphQL(t *testing.T) {
	a := newAPI(t)
	w := world(a)
	for _, role := range []string{portal.RoleAdministrators, portal.RoleCustomerRepresentative, portal.RoleAuthorizedUser,
		portal.RoleAuthenticatedUsers, portal.RoleAnonymousUsers} {
		a.as(w, viewerOf[role])
		for _, p := range probes {
			wantIn, wantOut := p.expect(role)
			for i, want := range []bool{wantIn, wantOut} {
				c := &target{t: t, w: w, viewer: viewerOf[role], in: i == 0}
				if p.inOnly && !c.in {
					continue
				}
				where := map[bool]string{true: "own", false: "another account's"}[c.in]
				name := fmt.Sprintf("%s/%s/%s", role, p.table, p.priv)
				if p.op != "" {
					name += " (" + p.op + ")"
				}
				q, vars := p.query(c)
				var before string
				changes := strings.HasPrefix(q, "mutation") && (p.table == policies.TableSalesOrder || p.table == policies.TableSalesOrderLine)
				if changes {
					before = orderSnapshot(t, a.db)
				}
				r := a.do(q, vars)
				var got bool
				if p.allowed == nil {
					got = len(r.Errors) == 0
				} else {
					got = p.allowed(c, r)
				}
				if got != want {
					t.Errorf("%s on %s row: allowed = %v, want %v (%s %+v)", name, where, got, want, r.Data, r.Errors)
				}
				// A refusal names the reason: UNAUTHENTICATED or
				// FORBIDDEN for a whole table or a row the viewer reads,
				// NOT_FOUND for a row it may not read.
				if !got && len(r.Errors) > 0 {
					if code, want := r.Errors[0].Extensions["code"], p.refusal(role, c.in); code != want {
						t.Errorf("%s on %s row: code %v, want %s (%s)", name, where, code, want, r.Errors[0].Message)
					}
				}
				if changes && !got && orderSnapshot(t, a.db) != before {
					t.Errorf("%s on %s row: refused, yet orders, lines, outbox or numbering changed", name, where)
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
