package policies_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/policies"
	"github.com/openportal/portal/policies/policytest"
)

// alteredModel is model.conf with one change to its matcher; the test
// fails when the text to change is not there, so it cannot pass vacuously.
func alteredModel(t *testing.T, old, new string) string {
	t.Helper()
	b, err := os.ReadFile("model.conf")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("model.conf has no %q to change", old)
	}
	return strings.Replace(string(b), old, new, 1)
}

// TestModelDecides: the enforcer's decisions are the model's. The same
// policy under an altered matcher (as an integrator would write one)
// decides differently, in Require, Scope and the SQL the stores run.
func TestModelDecides(t *testing.T) {
	t.Run("default model", func(t *testing.T) {
		e := newEnv(t)
		if err := e.policy.Require(e.w.Ctx(t, "admin"), policies.TableSalesOrder, policies.Delete); err != nil {
			t.Errorf("admin may not delete orders: %v", err)
		}
		rep := e.w.Ctx(t, "rep")
		if got, want := e.policy.ReadScope(rep, policies.TableSalesOrder), (policies.Scope{AccountID: e.w.Accounts["A"]}); !cmp.Equal(got, want) {
			t.Errorf("rep's order scope = %+v, want %+v", got, want)
		}
	})
	t.Run("matcher refuses DELETE", func(t *testing.T) {
		e := newEnv(t, policies.WithModel(alteredModel(t, "r.act == p.act &&", `r.act == p.act && r.act != "DELETE" &&`)))
		admin := e.w.Ctx(t, "admin")
		if err := e.policy.Require(admin, policies.TableSalesOrder, policies.Delete); portalCode(err) != portal.EFORBIDDEN {
			t.Errorf("admin deletes orders under a model without DELETE: %v", err)
		}
		if err := e.policy.Require(admin, policies.TableSalesOrder, policies.Read); err != nil {
			t.Errorf("admin may not read orders: %v", err)
		}
		d, err := e.admin.Explain(admin, e.w.Contacts["admin"].ID, policies.TableSalesOrderLine, policies.Delete, nil)
		if err != nil || d.Allowed {
			t.Errorf("Explain says admin may delete lines under a model without DELETE: %+v, %v", d, err)
		}
	})
	t.Run("matcher narrows ACCOUNT to CONTACT", func(t *testing.T) {
		e := newEnv(t, policies.WithModel(alteredModel(t, "(r.scope == p.scope && r.parent == p.parent ||",
			`(r.scope == p.scope && r.parent == p.parent && p.scope != "ACCOUNT" || r.scope == "CONTACT" && p.scope == "ACCOUNT" ||`)))
		rep := e.w.Ctx(t, "rep")
		want := policies.Scope{ContactID: e.w.Contacts["rep"].ID}
		if got := e.policy.ReadScope(rep, policies.TableSalesOrder); !cmp.Equal(got, want) {
			t.Errorf("rep's order scope = %+v, want %+v", got, want)
		}
		got, _ := e.orderNumbers(rep, t)
		if diff := cmp.Diff([]string{e.number(t, "rep")}, got); diff != "" {
			t.Errorf("rep's orders (-want +got):\n%s", diff)
		}
		// Lines follow their order's permission, narrowed with it.
		if e.reachable(rep, t, policies.TableSalesOrderLine, policies.Read, e.w.Lines["alice"]) {
			t.Error("rep reads alice's line under the narrowed model")
		}
		if !e.reachable(rep, t, policies.TableSalesOrderLine, policies.Read, e.w.Lines["rep"]) {
			t.Error("rep cannot read its own line under the narrowed model")
		}
	})
	t.Run("matcher without the invoice-account rule", func(t *testing.T) {
		e := newEnv(t, policies.WithModel(alteredModel(t, `r.scope == "INVOICE_ACCOUNT" &&`, `false &&`)))
		e.invoiceAt(t, "A", "B")
		if e.reachable(e.w.Ctx(t, "alice"), t, policies.TableCustomerAccount, policies.Read, e.w.Accounts["B"]) {
			t.Error("alice reads her invoice account without the model's rule")
		}
	})
	t.Run("a matcher that does not evaluate is refused", func(t *testing.T) {
		e := newEnv(t)
		_, err := policies.NewEnforcer(context.Background(), e.db, nil, policies.WithoutListen(), policies.CheckEvery(0),
			policies.WithModel(alteredModel(t, "r.obj == p.obj", "nosuchfunction(r.obj) == p.obj")))
		if err == nil {
			t.Fatal("NewEnforcer accepted a matcher naming an unknown field")
		}
	})
}

// invoiceAt makes account a invoiced to account to.
func (e *env) invoiceAt(t *testing.T, a, to string) {
	t.Helper()
	if _, err := e.db.ExecContext(context.Background(), "UPDATE customer_account SET invoice_account_id = ? WHERE id = ?",
		e.w.Accounts[to], e.w.Accounts[a]); err != nil {
		t.Fatal(err)
	}
}

// TestInvoiceAccountRule: whoever reads its own customer account in
// ACCOUNT scope reads that account's invoice account too (the model's
// INVOICE_ACCOUNT rule), through Scope.Where and the catalog, but may not
// change it, and the invoice account's contacts do not read back.
func TestInvoiceAccountRule(t *testing.T) {
	e := newEnv(t)
	e.invoiceAt(t, "A", "B")
	b := e.w.Accounts["B"]
	for _, tt := range []struct {
		viewer    string
		priv      policies.Privilege
		id        string
		reachable bool
	}{
		{"alice", policies.Read, b, true},
		{"rep", policies.Read, b, true},
		{"alice", policies.Write, b, false},
		{"nobody", policies.Read, b, false},
		{"anonymous", policies.Read, b, false},
		{"carla", policies.Read, e.w.Accounts["A"], false},
	} {
		t.Run(tt.viewer+"/"+string(tt.priv), func(t *testing.T) {
			ctx := e.w.Ctx(t, tt.viewer)
			if got := e.reachable(ctx, t, policies.TableCustomerAccount, tt.priv, tt.id); got != tt.reachable {
				t.Errorf("Scope.Where reaches = %v, want %v", got, tt.reachable)
			}
			if tt.priv != policies.Read {
				return
			}
			if got, _ := e.serviceReads(ctx, t, policies.TableCustomerAccount, tt.id); got != tt.reachable {
				t.Errorf("catalog reads = %v, want %v", got, tt.reachable)
			}
		})
	}
}

// TestDecisionMatrix: each named decision follows its table privilege in
// GLOBAL scope, for every built-in role, as the design table grants it.
func TestDecisionMatrix(t *testing.T) {
	e := newEnv(t)
	for role, viewer := range viewerOf {
		ctx := e.w.Ctx(t, viewer)
		for _, d := range policies.Decisions {
			t.Run(role+"/"+d.Name, func(t *testing.T) {
				_, want := policytest.Expect(role, d.Table, d.Privilege)
				if got := e.policy.May(ctx, d); got != want {
					t.Errorf("May = %v, want %v", got, want)
				}
				err := e.policy.RequireDecision(ctx, d)
				switch {
				case want && err != nil:
					t.Errorf("RequireDecision = %v, want nil", err)
				case !want && viewer == "anonymous" && portalCode(err) != portal.EUNAUTHENTICATED:
					t.Errorf("RequireDecision = %v, want EUNAUTHENTICATED", err)
				case !want && viewer != "anonymous" && portalCode(err) != portal.EFORBIDDEN:
					t.Errorf("RequireDecision = %v, want EFORBIDDEN", err)
				}
			})
		}
	}
}

// TestScopeAllocatesNothing: a check of a table without a parent allocates
// nothing once its role set has been decided (the cache is the hot path).
func TestScopeAllocatesNothing(t *testing.T) {
	e := newEnv(t)
	for _, viewer := range []string{"rep", "alice", "anonymous", "admin"} {
		ctx := e.w.Ctx(t, viewer)
		e.policy.ReadScope(ctx, policies.TableSalesOrder)
		if n := testing.AllocsPerRun(100, func() { e.policy.ReadScope(ctx, policies.TableSalesOrder) }); n != 0 {
			t.Errorf("%s: %v allocations per check", viewer, n)
		}
	}
}

// TestRolesAskThePolicy: role reads show every role and membership to a
// viewer with ReadRoles, and to others the memberships of the contacts they
// may read (a representative its account's; alice only its own); Assign needs
// AssignRoles, which the command line's Operator holds and a visitor or
// an authorized user does not.
func TestRolesAskThePolicy(t *testing.T) {
	e := newEnv(t)
	roles := &policies.Roles{DB: e.db, Policy: e.policy}
	names := func(rs []*policies.WebRole) []string {
		out := []string{}
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return out
	}
	ids := []string{e.w.Contacts["alice"].ID, e.w.Contacts["rep"].ID}
	for _, tt := range []struct {
		viewer  string
		members [][]string // of alice and rep
	}{
		{"admin", [][]string{{"Authorized user"}, {"Customer representative"}}},
		{"rep", [][]string{{"Authorized user"}, {"Customer representative"}}},
		{"alice", [][]string{{"Authorized user"}, {}}},
		{"anonymous", [][]string{{}, {}}},
	} {
		t.Run(tt.viewer, func(t *testing.T) {
			ctx := e.w.Ctx(t, tt.viewer)
			got, err := roles.OfContacts(ctx, ids)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.members, [][]string{names(got[0]), names(got[1])}); diff != "" {
				t.Errorf("OfContacts (-want +got):\n%s", diff)
			}
			v := e.w.Viewer(t, tt.viewer)
			own, err := roles.ByIDs(ctx, v.RoleIDs)
			if err != nil || len(own) != len(v.RoleIDs) {
				t.Errorf("ByIDs of its own roles = %v, %v; want all %d", names(own), err, len(v.RoleIDs))
			}
			admins, err := roles.ByKey(ctx, portal.RoleAdministrators)
			if want := tt.viewer == "admin"; err != nil || (len(admins) == 1) != want {
				t.Errorf("ByKey(Administrators) = %v, %v; want found = %v", names(admins), err, want)
			}
		})
	}
	assign := func(ctx context.Context) error {
		return roles.Assign(ctx, e.db, e.w.Contacts["nobody"].ID, portal.RoleAdministrators)
	}
	if err := assign(e.w.Ctx(t, "anonymous")); portalCode(err) != portal.EUNAUTHENTICATED {
		t.Errorf("a visitor assigns roles: %v", err)
	}
	if err := assign(e.w.Ctx(t, "alice")); portalCode(err) != portal.EFORBIDDEN {
		t.Errorf("alice assigns roles: %v", err)
	}
	if err := assign(policies.Operator(context.Background())); err != nil {
		t.Errorf("the operator cannot assign roles: %v", err)
	}
}

// TestConcurrentChecks: checks of many viewers at once, while the policy
// reloads, all get the answer of a single check (run with -race: the
// cache fills from several goroutines).
func TestConcurrentChecks(t *testing.T) {
	e := newEnv(t)
	viewers := []string{"admin", "rep", "alice", "bob", "nobody", "carla", "anonymous"}
	want := map[string]policies.Scope{}
	for _, v := range viewers {
		want[v] = e.policy.ReadScope(e.w.Ctx(t, v), policies.TableSalesOrderLine)
	}
	ctxs := map[string]context.Context{}
	for _, v := range viewers {
		ctxs[v] = e.w.Ctx(t, v)
	}
	done := make(chan struct{})
	errs := make(chan string, 100)
	for i := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := range 200 {
				v := viewers[(i+j)%len(viewers)]
				if got := e.policy.ReadScope(ctxs[v], policies.TableSalesOrderLine); !cmp.Equal(got, want[v]) {
					errs <- v
					return
				}
			}
		}()
	}
	if err := e.policy.Reload(context.Background()); err != nil {
		t.Error(err)
	}
	for range 8 {
		<-done
	}
	close(errs)
	for v := range errs {
		t.Errorf("%s got another scope under concurrent checks", v)
	}
}
