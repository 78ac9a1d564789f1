package policies_test

import (
	"context"
	"strings"
	"testing"
	"time"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/policies"
)

func (e *env) roleID(t *testing.T, key string) string {
	t.Helper()
	var id string
	if err := e.db.NewRaw("SELECT id FROM web_role WHERE key = ?", key).Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	return id
}

// eventually polls cond for up to 3 s: a NOTIFY reaches another instance
// asynchronously, in milliseconds.
func eventually(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 3*time.Second {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("%s: not within 3s", what)
	return 0
}

// TestLiveChangesReachEveryInstance: a permission created, changed and
// deleted through one instance's Admin counts at once on that instance,
// and on a second instance (its own enforcer on the same database) as soon
// as the NOTIFY arrives.
func TestLiveChangesReachEveryInstance(t *testing.T) {
	e := newEnv(t)
	second, err := policies.NewEnforcer(context.Background(), e.db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	admin := e.w.Ctx(t, "admin")
	alice := e.w.Ctx(t, "alice")
	carlaOrder := e.w.Orders["carla"]
	sees := func(en *policies.Enforcer) bool {
		where, args := en.ReadScope(alice, policies.TableSalesOrder).Where(policies.OrderColumns("o"))
		var ok bool
		if err := e.db.NewRaw("SELECT EXISTS (SELECT 1 FROM sales_order o WHERE o.id = ? AND "+where+")",
			append([]any{carlaOrder}, args...)...).Scan(context.Background(), &ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if sees(e.policy) || sees(second) {
		t.Fatal("alice sees carla's order before any change")
	}
	p, err := e.admin.SaveTablePermission(admin, policies.TablePermissionInput{Name: "Authorized users: all orders",
		Table: "sales_order", Scope: policies.Global, Privileges: []policies.Privilege{policies.Read},
		RoleIDs: []string{e.roleID(t, portal.RoleAuthorizedUser)}})
	if err != nil {
		t.Fatal(err)
	}
	if !sees(e.policy) {
		t.Error("created: the changing instance does not show it on the next request")
	}
	t.Logf("created: second instance after %v", eventually(t, "second instance sees the new permission", func() bool { return sees(second) }))

	p.Scope = policies.Account
	if _, err := e.admin.SaveTablePermission(admin, policies.TablePermissionInput{ID: &p.ID, Name: p.Name, Table: p.Table,
		Scope: policies.Account, Privileges: p.Privileges, RoleIDs: p.RoleIDs}); err != nil {
		t.Fatal(err)
	}
	if sees(e.policy) {
		t.Error("changed to ACCOUNT: carla's order (account B) still visible")
	}
	eventually(t, "second instance applies the change", func() bool { return !sees(second) })

	// Back to GLOBAL, then deleted.
	if _, err := e.admin.SaveTablePermission(admin, policies.TablePermissionInput{ID: &p.ID, Name: p.Name, Table: p.Table,
		Scope: policies.Global, Privileges: p.Privileges, RoleIDs: p.RoleIDs}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "second instance sees GLOBAL again", func() bool { return sees(second) })
	if err := e.admin.DeleteTablePermission(admin, p.ID); err != nil {
		t.Fatal(err)
	}
	if sees(e.policy) {
		t.Error("deleted: still visible on the changing instance")
	}
	eventually(t, "second instance applies the deletion", func() bool { return !sees(second) })
}

// TestVersionCheckWithoutNotify: an instance that hears no notification
// (none sent here, and it does not listen) still picks up a change by its
// periodic policy_version check.
func TestVersionCheckWithoutNotify(t *testing.T) {
	e := newEnv(t)
	deaf, err := policies.NewEnforcer(context.Background(), e.db, nil, policies.WithoutListen(), policies.CheckEvery(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer deaf.Close()
	anon := e.w.Ctx(t, "anonymous")
	if deaf.Require(anon, policies.TablePriceList, policies.Read) == nil {
		t.Fatal("anonymous reads price lists by default")
	}
	// Behind every instance's back: a permission row and a version bump,
	// no NOTIFY.
	_, err = e.db.ExecContext(context.Background(), `
		WITH p AS (INSERT INTO table_permission (name, table_name, scope, privileges)
			VALUES ('Public prices', 'price_list', 'GLOBAL', '{READ}') RETURNING id)
		INSERT INTO table_permission_role SELECT p.id, wr.id FROM p, web_role wr WHERE wr.key = 'anonymous_users';
		UPDATE policy_version SET version = version + 1`)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the version check reloads", func() bool { return deaf.Require(anon, policies.TablePriceList, policies.Read) == nil })
}

// TestAdministration: roles and permissions change through Admin with the
// guards against lock-out and bad input; refused changes change nothing.
func TestAdministration(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin, alice := e.w.Ctx(t, "admin"), e.w.Ctx(t, "alice")
	adminRole := e.roleID(t, portal.RoleAdministrators)
	version := func() int64 { return e.policy.Version() }

	// Non-administrators may not administer.
	if _, err := e.admin.CreateWebRole(alice, policies.WebRoleInput{Name: "X"}); portalCode(err) != portal.EFORBIDDEN {
		t.Errorf("alice CreateWebRole: %v, want forbidden", err)
	}
	if _, err := e.admin.WebRoles(e.w.Ctx(t, "anonymous")); portalCode(err) != portal.EUNAUTHENTICATED {
		t.Errorf("anonymous WebRoles: %v", err)
	}

	role, err := e.admin.CreateWebRole(admin, policies.WebRoleInput{Name: " Buyers ", Description: "Buy things"})
	if err != nil || role.Name != "Buyers" {
		t.Fatalf("CreateWebRole = %+v, %v", role, err)
	}
	before := version()
	for _, tt := range []struct {
		name string
		err  error
		code string
		text string
	}{
		{"duplicate role name", second(e.admin.CreateWebRole(admin, policies.WebRoleInput{Name: "buyers"})), portal.ECONFLICT, "already exists"},
		{"empty role name", second(e.admin.CreateWebRole(admin, policies.WebRoleInput{Name: " "})), portal.EINVALID, "needs a name"},
		{"delete built-in", e.admin.DeleteWebRole(admin, adminRole), portal.ECONFLICT, "built in"},
		{"delete missing role", e.admin.DeleteWebRole(admin, "00000000-0000-0000-0000-000000000000"), portal.ENOTFOUND, "does not exist"},
		{"unassign the last administrator", e.admin.UnassignWebRole(admin, e.w.Contacts["admin"].ID, adminRole), portal.ECONFLICT, "last administrator"},
		{"assign Authenticated users", e.admin.AssignWebRole(admin, e.w.Contacts["bob"].ID, e.roleID(t, portal.RoleAuthenticatedUsers)), portal.EINVALID, "every signed-in contact"},
		{"assign to a missing contact", e.admin.AssignWebRole(admin, "00000000-0000-0000-0000-000000000000", role.ID), portal.ENOTFOUND, "Contact"},
		{"unknown table", save(e, admin, policies.TablePermissionInput{Name: "x", Table: "orders", Scope: policies.Global, Privileges: []policies.Privilege{policies.Read}}), portal.EINVALID, "use one of"},
		{"scope that does not fit", save(e, admin, policies.TablePermissionInput{Name: "x", Table: "product", Scope: policies.Contact, Privileges: []policies.Privilege{policies.Read}}), portal.EINVALID, "does not apply to product"},
		{"no privileges", save(e, admin, policies.TablePermissionInput{Name: "x", Table: "product", Scope: policies.Global}), portal.EINVALID, "at least one privilege"},
		{"PARENT without a parent", save(e, admin, policies.TablePermissionInput{Name: "x", Table: "sales_order_line", Scope: policies.Parent, Privileges: []policies.Privilege{policies.Read}}), portal.EINVALID, "needs a parent"},
		{"unknown role", save(e, admin, policies.TablePermissionInput{Name: "x", Table: "product", Scope: policies.Global, Privileges: []policies.Privilege{policies.Read}, RoleIDs: []string{"00000000-0000-0000-0000-000000000000"}}), portal.EINVALID, "does not exist"},
		{"taken name", save(e, admin, policies.TablePermissionInput{Name: "authorized user: OWN orders", Table: "product", Scope: policies.Global, Privileges: []policies.Privilege{policies.Read}}), portal.ECONFLICT, "already exists"},
		{"delete the Administrators' permission on permissions", e.admin.DeleteTablePermission(admin, e.permID(t, "Administrators: table permissions")), portal.ECONFLICT, "without GLOBAL"},
		{"delete a parent permission", e.admin.DeleteTablePermission(admin, e.permID(t, "Authorized user: own orders")), portal.ECONFLICT, "follow"},
	} {
		if portalCode(tt.err) != tt.code || !strings.Contains(portal.ErrorMessage(tt.err), tt.text) {
			t.Errorf("%s: %v, want %s mentioning %q", tt.name, tt.err, tt.code, tt.text)
		}
	}
	// Narrowing the Administrators' permission on roles is refused too.
	adminRoles := e.permID(t, "Administrators: web roles")
	if _, err := e.admin.SaveTablePermission(admin, policies.TablePermissionInput{ID: &adminRoles, Name: "Administrators: web roles",
		Table: "web_role", Scope: policies.Global, Privileges: []policies.Privilege{policies.Read}, RoleIDs: []string{adminRole}}); portalCode(err) != portal.ECONFLICT {
		t.Errorf("narrowing Administrators on web_role: %v", err)
	}
	if version() != before {
		t.Errorf("refused changes moved the policy version %d → %d", before, version())
	}

	// A second administrator may then be removed from the role, and a
	// custom role deleted with its memberships.
	if err := e.admin.AssignWebRole(admin, e.w.Contacts["bob"].ID, adminRole); err != nil {
		t.Fatal(err)
	}
	if e.policy.Require(e.w.Ctx(t, "bob"), policies.TableWebRole, policies.Create) != nil {
		t.Error("bob, now an administrator, cannot create roles")
	}
	if err := e.admin.UnassignWebRole(admin, e.w.Contacts["bob"].ID, adminRole); err != nil {
		t.Fatal(err)
	}
	// bob's viewer was built while he was an administrator; the roles
	// assigned now count (a stale RoleIDs list still names the role, so
	// build the viewer afresh, as each request does).
	if e.policy.Require(e.w.Ctx(t, "bob"), policies.TableWebRole, policies.Create) == nil {
		t.Error("bob still administers after unassign")
	}
	if err := e.admin.AssignWebRole(admin, e.w.Contacts["bob"].ID, role.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.admin.DeleteWebRole(admin, role.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := e.db.NewRaw("SELECT count(*) FROM contact_web_role WHERE web_role_id = ?", role.ID).Scan(ctx, &n); err != nil || n != 0 {
		t.Errorf("memberships of the deleted role: %d, %v", n, err)
	}
}

func second[T any](_ T, err error) error { return err }

func save(e *env, ctx context.Context, in policies.TablePermissionInput) error {
	_, err := e.admin.SaveTablePermission(ctx, in)
	return err
}

func (e *env) permID(t *testing.T, name string) string {
	t.Helper()
	var id string
	if err := e.db.NewRaw("SELECT id FROM table_permission WHERE name = ?", name).Scan(context.Background(), &id); err != nil {
		t.Fatalf("permission %q: %v", name, err)
	}
	return id
}

// TestExplain: the sentences an administrator reads.
func TestExplain(t *testing.T) {
	e := newEnv(t)
	admin := e.w.Ctx(t, "admin")
	var carlaNumber string
	if err := e.db.NewRaw("SELECT number FROM sales_order WHERE id = ?", e.w.Orders["carla"]).Scan(context.Background(), &carlaNumber); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, contact, table string
		priv                 policies.Privilege
		record               *string
		allowed              bool
		grants               []string
		says                 []string
	}{
		{"own order", "alice", "sales_order", policies.Read, ptr(e.w.Orders["alice"]), true,
			[]string{"Authorized user: own orders"}, []string{"Authorized user grants READ on sales_order in CONTACT scope"}},
		{"another contact's order", "alice", "sales_order", policies.Read, ptr(e.w.Orders["carla"]), false, nil,
			[]string{"Authorized user grants READ on sales_order in CONTACT scope", "but order " + carlaNumber + " was placed by another contact"}},
		{"rep and an order of another account", "rep", "sales_order", policies.Read, ptr(e.w.Orders["carla"]), false, nil,
			[]string{"ACCOUNT scope", "belongs to another customer account"}},
		{"line of another account's order", "rep", "sales_order_line", policies.Read, ptr(e.w.Lines["carla"]), false, nil,
			[]string{"PARENT scope", "not reached by the parent permission \"Customer representative: account orders\""}},
		{"no role grants it", "alice", "sales_order", policies.Delete, nil, false, nil,
			[]string{"No role of alice@example.com grants DELETE on sales_order", "Authenticated users", "Authorized user", "granted to Administrators"}},
		{"table level", "rep", "contact", policies.Read, nil, true, []string{"Customer representative: account contacts"}, []string{"ACCOUNT scope"}},
		{"missing row", "alice", "sales_order", policies.Read, ptr("00000000-0000-0000-0000-000000000000"), false, nil, []string{"No order has id"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := e.admin.Explain(admin, e.w.Contacts[tt.contact].ID, tt.table, tt.priv, tt.record)
			if err != nil {
				t.Fatal(err)
			}
			var grants []string
			for _, g := range d.GrantedBy {
				grants = append(grants, g.Name)
			}
			if d.Allowed != tt.allowed || strings.Join(grants, ",") != strings.Join(tt.grants, ",") {
				t.Errorf("allowed %v by %v, want %v by %v (%s)", d.Allowed, grants, tt.allowed, tt.grants, d.Explanation)
			}
			for _, s := range tt.says {
				if !strings.Contains(d.Explanation, s) {
					t.Errorf("explanation %q lacks %q", d.Explanation, s)
				}
			}
		})
	}
	if _, err := e.admin.Explain(e.w.Ctx(t, "rep"), e.w.Contacts["alice"].ID, "sales_order", policies.Read, nil); portalCode(err) != portal.EFORBIDDEN {
		t.Errorf("rep explains: %v, want forbidden", err)
	}
}

func ptr(s string) *string { return &s }
