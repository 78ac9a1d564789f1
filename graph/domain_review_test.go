package graph_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/policies"
)

// Tests of issue 8's domain fixes: commercial terms (5), stale drafts (6),
// messages about unreadable rows (9), invitations and their inviter (10),
// ids by value and length limits (11), lock then check (16).

const (
	updateContact   = `mutation($id: ID!, $in: ContactInput!) { updateContact(id: $id, input: $in) { id customerAccount { accountNumber } } }`
	createAddress   = `mutation($a: ID!, $in: AddressInput!) { createDeliveryAddress(customerAccountId: $a, input: $in) { id description street city postalCode countryCode } }`
	updateAddress   = `mutation($id: ID!, $in: AddressInput!) { updateDeliveryAddress(id: $id, input: $in) { id description street } }`
	deleteAddress   = `mutation($id: ID!) { deleteDeliveryAddress(id: $id) }`
	savePermission  = `mutation($in: TablePermissionInput!) { saveTablePermission(input: $in) { id } }`
	accountAddrs    = `query($id: ID!) { customerAccount(id: $id) { deliveryAddresses { description street } } }`
	repAccountWrite = "Customer representative: write own account"
)

var uuidRE = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// grant gives the demo's Customer representative role a permission, as the
// administrator.
func (w *orderWorld) grant(name, table, scope string, privs []string, parent string) {
	w.t.Helper()
	in := map[string]any{"name": name, "table": table, "scope": scope, "privileges": privs,
		"roleIds": []string{w.id("SELECT id FROM web_role WHERE key = 'customer_representative'")}}
	if parent != "" {
		in["parentId"] = w.id("SELECT id FROM table_permission WHERE name = ?", parent)
	}
	w.api.viewer = w.admin
	w.ok(savePermission, map[string]any{"in": in}, nil)
	w.rep = w.viewer("rep@forest.example")
}

func forestAccount(changes map[string]any) map[string]any {
	in := map[string]any{"accountNumber": "US-001", "name": "Forest Wholesales", "company": "USMF", "currency": "USD",
		"priceListCode": "RETAIL-USD", "shipToCountry": "US", "language": "en-US"}
	for k, v := range changes {
		in[k] = v
	}
	return map[string]any{"in": in}
}

// TestCommercialTermsNeedGlobalWrite: a representative allowed to write its
// own account (ACCOUNT write on customer_account) or to add contacts to it
// cannot change what the account or a contact pays, nor repoint the invoice
// account at another customer to read it.
func TestCommercialTermsNeedGlobalWrite(t *testing.T) {
	w := newWorld(t)
	w.grant(repAccountWrite, "customer_account", "ACCOUNT", []string{"READ", "WRITE"}, "")
	w.grant("Customer representative: add contacts", "contact", "ACCOUNT", []string{"READ", "CREATE"}, "")
	w.api.viewer = w.rep

	tests := []struct {
		name, query string
		vars        map[string]any
		field       string
	}{
		{"repoint the invoice account", saveAccount, forestAccount(map[string]any{"invoiceAccountNumber": "US-003"}), "input.invoiceAccountNumber"},
		{"change the price list", saveAccount, forestAccount(map[string]any{"priceListCode": nil}), "input.priceListCode"},
		{"change the currency", saveAccount, forestAccount(map[string]any{"currency": "EUR", "priceListCode": "RETAIL-EUR"}), "input.priceListCode"},
		{"change the ship-to country", saveAccount, forestAccount(map[string]any{"shipToCountry": "DE"}), "input.shipToCountry"},
		{"new contact with its own currency", createContact, map[string]any{"in": map[string]any{"firstName": "E", "lastName": "F",
			"email": "eve@forest.example", "company": "USMF", "accountNumber": "US-001", "currency": "EUR", "priceListCode": "RETAIL-EUR"}}, ""},
		{"new contact with its own ship-to country", createContact, map[string]any{"in": map[string]any{"firstName": "E", "lastName": "F",
			"email": "eve@forest.example", "company": "USMF", "accountNumber": "US-001", "shipToCountry": "DE"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.t = t
			before := snapshot(t, w.db)
			e := w.fails(tt.query, tt.vars, "FORBIDDEN")
			if !strings.Contains(e.Message, "Only an administrator") {
				t.Errorf("message %q", e.Message)
			}
			if tt.field != "" && e.Extensions["field"] != tt.field {
				t.Errorf("field %v, want %s", e.Extensions["field"], tt.field)
			}
			if snapshot(t, w.db) != before {
				t.Error("refused mutation changed the database")
			}
		})
	}
	// What is not a commercial term stays the representative's to change.
	t.Run("rename the account", func(t *testing.T) {
		w.t = t
		var out struct{ SaveCustomerAccount struct{ Name string } }
		w.ok(saveAccount, forestAccount(map[string]any{"name": "Forest Wholesales Inc."}), &out)
		if out.SaveCustomerAccount.Name != "Forest Wholesales Inc." {
			t.Errorf("name %q", out.SaveCustomerAccount.Name)
		}
	})
	t.Run("new contact on the account's terms", func(t *testing.T) {
		w.t = t
		w.ok(createContact, contactInput("eve@forest.example", "US-001"), nil)
	})
	// The administrator may change them all.
	t.Run("administrator repoints the invoice account", func(t *testing.T) {
		w.t = t
		w.api.viewer = w.admin
		var out struct {
			SaveCustomerAccount struct {
				InvoiceAccount struct{ AccountNumber string }
			}
		}
		w.ok(saveAccount, forestAccount(map[string]any{"invoiceAccountNumber": "US-003"}), &out)
		if out.SaveCustomerAccount.InvoiceAccount.AccountNumber != "US-003" {
			t.Errorf("invoice account %+v", out)
		}
	})
}

// TestDeliveryAddressMutations: delivery addresses are maintained through
// their own mutations under the delivery_address permissions, without any
// write on the account.
func TestDeliveryAddressMutations(t *testing.T) {
	w := newWorld(t)
	forest := w.id("SELECT id FROM customer_account WHERE account_number = 'US-001'")
	sunrise := w.id("SELECT id FROM customer_account WHERE account_number = 'US-002'")
	sunriseAddr := w.id("SELECT id FROM delivery_address WHERE customer_account_id = ? ORDER BY position LIMIT 1", sunrise)
	addr := func(desc, country string) map[string]any {
		return map[string]any{"description": desc, "street": "5 Dock Rd", "city": "Tacoma", "postalCode": "98401", "countryCode": country}
	}

	// Reading addresses is not maintaining them.
	w.api.viewer = w.rep
	w.fails(createAddress, map[string]any{"a": forest, "in": addr("Dock", "US")}, "FORBIDDEN")

	w.grant("Customer representative: maintain delivery addresses", "delivery_address", "PARENT",
		[]string{"READ", "CREATE", "WRITE", "DELETE"}, "Customer representative: own account")
	w.api.viewer = w.rep
	var created struct {
		CreateDeliveryAddress struct{ ID, Description, CountryCode string }
	}
	w.ok(createAddress, map[string]any{"a": forest, "in": addr(" Dock ", "us")}, &created)
	if c := created.CreateDeliveryAddress; c.Description != "Dock" || c.CountryCode != "US" {
		t.Errorf("created %+v", c)
	}
	id := created.CreateDeliveryAddress.ID
	var upd struct{ UpdateDeliveryAddress struct{ ID, Street string } }
	w.ok(updateAddress, map[string]any{"id": id, "in": map[string]any{"description": "Dock", "street": "7 Dock Rd",
		"city": "Tacoma", "postalCode": "98401", "countryCode": "US"}}, &upd)
	if upd.UpdateDeliveryAddress.ID != id || upd.UpdateDeliveryAddress.Street != "7 Dock Rd" {
		t.Errorf("updated %+v", upd)
	}

	refusals := []struct {
		name, query string
		vars        map[string]any
		code, field string
	}{
		{"description taken", createAddress, map[string]any{"a": forest, "in": addr("Dock", "US")}, "CONFLICT", "input.description"},
		{"unknown country", createAddress, map[string]any{"a": forest, "in": addr("Other", "XX")}, "BAD_USER_INPUT", "input.countryCode"},
		{"no street", createAddress, map[string]any{"a": forest, "in": map[string]any{"description": "X", "street": " ", "city": "Y", "postalCode": "", "countryCode": "US"}}, "BAD_USER_INPUT", "input.street"},
		{"over-long city", createAddress, map[string]any{"a": forest, "in": map[string]any{"description": "X", "street": "S", "city": strings.Repeat("c", 201), "postalCode": "", "countryCode": "US"}}, "BAD_USER_INPUT", "input.city"},
		{"another account", createAddress, map[string]any{"a": sunrise, "in": addr("Dock", "US")}, "NOT_FOUND", ""},
		{"another account's address", updateAddress, map[string]any{"id": sunriseAddr, "in": addr("Dock", "US")}, "NOT_FOUND", ""},
		{"delete another account's address", deleteAddress, map[string]any{"id": sunriseAddr}, "NOT_FOUND", ""},
		{"not an id", deleteAddress, map[string]any{"id": "nope"}, "NOT_FOUND", ""},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			w.t = t
			before := snapshot(t, w.db)
			e := w.fails(tt.query, tt.vars, tt.code)
			if tt.field != "" && e.Extensions["field"] != tt.field {
				t.Errorf("field %v, want %s", e.Extensions["field"], tt.field)
			}
			if uuidRE.MatchString(e.Message) {
				t.Errorf("message names an id: %q", e.Message)
			}
			if snapshot(t, w.db) != before {
				t.Error("refused mutation changed the database")
			}
		})
	}

	var ok struct{ DeleteDeliveryAddress bool }
	w.ok(deleteAddress, map[string]any{"id": id}, &ok)
	var n int
	w.db.NewRaw("SELECT count(*) FROM delivery_address WHERE id = ?", id).Scan(context.Background(), &n)
	if !ok.DeleteDeliveryAddress || n != 0 {
		t.Errorf("deleted %v, %d rows left", ok.DeleteDeliveryAddress, n)
	}
	// Still no write on the account itself.
	w.fails(saveAccount, forestAccount(map[string]any{"name": "Renamed"}), "FORBIDDEN")
}

// TestDraftOnChangedTermsIsRefused: a draft started before its contact
// moved to another account (or got another price list or currency) does
// not submit on the old terms.
func TestDraftOnChangedTermsIsRefused(t *testing.T) {
	tests := []struct {
		name   string
		change map[string]any
	}{
		{"moved to another account", map[string]any{"accountNumber": "US-002"}},
		{"own price list and currency", map[string]any{"currency": "EUR", "priceListCode": "RETAIL-EUR"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			o := w.draft(w.alice)
			o = w.as(w.alice, addOrderLine, map[string]any{"id": o.ID, "in": line(w.product("1000"), "1", "ea")})
			in := map[string]any{"firstName": "Alice", "lastName": "Archer", "email": "alice@forest.example",
				"company": "USMF", "accountNumber": "US-001"}
			for k, v := range tt.change {
				in[k] = v
			}
			w.api.viewer = w.admin
			w.ok(updateContact, map[string]any{"id": o.ContactPerson.ID, "in": in}, nil)

			before := orderSnapshot(t, w.db)
			w.api.viewer = w.viewer("alice@forest.example")
			e := w.fails(submitOrder, map[string]any{"id": o.ID}, "CONFLICT")
			if !strings.Contains(e.Message, o.Number) || !strings.Contains(e.Message, "create a new order") {
				t.Errorf("message %q", e.Message)
			}
			if changed, _ := e.Extensions["changedTerms"].([]any); len(changed) == 0 {
				t.Errorf("extensions %v name no changed term", e.Extensions)
			}
			if orderSnapshot(t, w.db) != before {
				t.Error("refused submit changed the orders")
			}
		})
	}
}

// TestUnreadableRowsNameNothing: an order whose account its reader may no
// longer read says so without naming the account's id.
func TestUnreadableRowsNameNothing(t *testing.T) {
	w := newWorld(t)
	o := w.draft(w.alice)
	w.api.viewer = w.admin
	w.ok(updateContact, map[string]any{"id": o.ContactPerson.ID, "in": map[string]any{"firstName": "Alice", "lastName": "Archer",
		"email": "alice@forest.example", "company": "USMF", "accountNumber": "US-002"}}, nil)
	w.api.viewer = w.viewer("alice@forest.example")
	r := w.do(`query($id: ID!) { order(id: $id) { number customerAccount { accountNumber } } }`, map[string]any{"id": o.ID})
	if len(r.Errors) == 0 {
		t.Fatalf("no error: %s", r.Data)
	}
	for _, e := range r.Errors {
		if uuidRE.MatchString(e.Message) {
			t.Errorf("message names an id: %q", e.Message)
		}
	}
	// Nor do refusals of the services that take an id.
	for _, q := range []struct{ name, query string }{
		{"contact", `mutation($id: ID!) { disableContact(id: $id) { id } }`},
		{"order", submitOrder},
	} {
		t.Run(q.name, func(t *testing.T) {
			w.t = t
			e := w.fails(q.query, map[string]any{"id": "0b3f6a3e-5f0e-4a8e-9a7e-5a1c2d3e4f50"}, "NOT_FOUND")
			if uuidRE.MatchString(e.Message) {
				t.Errorf("message names an id: %q", e.Message)
			}
		})
	}
}

// TestIDsComparedByValue: an id in upper case is the same id.
func TestIDsComparedByValue(t *testing.T) {
	w := newWorld(t)
	ctx := portal.WithViewer(context.Background(), w.accountAdmin)
	self := strings.ToUpper(w.accountAdmin.ContactID)
	c, err := w.ids.Contact(ctx, self)
	if err != nil || c.ID != w.accountAdmin.ContactID {
		t.Fatalf("Contact(upper case) = %v, %v", c, err)
	}
	// Another administrator remains, so only the self rule can refuse.
	if _, err := w.ids.SetDisabled(ctx, self, true); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("disabling oneself by an upper-case id: %v", err)
	}
	// One role named twice, in two spellings, is granted once.
	w.api.viewer = w.admin
	var twice struct{ CreateContact struct{ ID string } }
	w.ok(createContact, contactInput("twice@forest.example", "US-001"), &twice)
	role := w.id("SELECT id FROM web_role WHERE key = 'authorized_user'")
	var inv struct {
		InviteContact struct {
			Invitation struct{ Roles []struct{ Name string } }
		}
	}
	w.ok(inviteContact, map[string]any{"in": map[string]any{"contactId": twice.CreateContact.ID, "roleIds": []string{role, strings.ToUpper(role)}}}, &inv)
	if n := len(inv.InviteContact.Invitation.Roles); n != 1 {
		t.Errorf("invitation grants %d roles, want 1", n)
	}
}

// TestLengthLimits: over-long names and emails are the caller's to fix
// (BAD_USER_INPUT naming the field), not internal errors.
func TestLengthLimits(t *testing.T) {
	w := newWorld(t)
	w.api.viewer = w.admin
	long := strings.Repeat("x", 5000)
	contact := func(field, value string) map[string]any {
		in := contactInput("long@forest.example", "US-001")
		in["in"].(map[string]any)[field] = value
		return in
	}
	tests := []struct {
		name, query string
		vars        map[string]any
		field       string
	}{
		{"contact first name", createContact, contact("firstName", strings.Repeat("é", 201)), "input.firstName"},
		{"contact last name", createContact, contact("lastName", long), "input.lastName"},
		{"contact email", createContact, contact("email", long+"@forest.example"), "input.email"},
		{"contact account number", createContact, contact("accountNumber", long), "input.accountNumber"},
		{"web role name", `mutation($n: String!) { createWebRole(input: {name: $n, description: ""}) { id } }`, map[string]any{"n": long}, "input.name"},
		{"web role description", `mutation($n: String!) { createWebRole(input: {name: "Short", description: $n}) { id } }`, map[string]any{"n": strings.Repeat("d", 2001)}, "input.description"},
		{"table permission name", savePermission, map[string]any{"in": map[string]any{"name": long, "table": "product",
			"scope": "GLOBAL", "privileges": []string{"READ"}, "roleIds": []string{}}}, "input.name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.t = t
			e := w.fails(tt.query, tt.vars, "BAD_USER_INPUT")
			if e.Extensions["field"] != tt.field {
				t.Errorf("field %v, want %s", e.Extensions["field"], tt.field)
			}
			if len(e.Message) > 300 {
				t.Errorf("message of %d bytes echoes the input", len(e.Message))
			}
		})
	}
}

// raceHook runs fn once, just after the first statement of a context
// marked with raceKey that contains match: the window between a check and
// the write it guards.
type raceHook struct {
	match string
	once  sync.Once
	fn    func()
}

type raceKey struct{}

func (h *raceHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (h *raceHook) AfterQuery(ctx context.Context, e *bun.QueryEvent) {
	if ctx.Value(raceKey{}) != nil && strings.Contains(e.Query, h.match) {
		h.once.Do(h.fn)
	}
}

// TestContactChecksUnderLock: between a representative's check of bob and
// its write, an administrator moves bob to another account. The check must
// be made under a lock that the administrator's change waits for, so that
// the representative's edit neither undoes the move nor reaches a contact
// that is no longer its to change.
func TestContactChecksUnderLock(t *testing.T) {
	for _, op := range []string{"update", "disable"} {
		t.Run(op, func(t *testing.T) {
			w := newWorld(t)
			w.grant("Customer representative: edit contacts", "contact", "ACCOUNT", []string{"READ", "WRITE"}, "")
			bob := w.id("SELECT id FROM contact WHERE email = 'bob@forest.example'")
			adminCtx := portal.WithViewer(context.Background(), w.admin)
			moved := make(chan error, 1)
			slipped := false
			hook := &raceHook{match: "FROM contact c", fn: func() {
				go func() {
					_, err := w.ids.UpdateContact(adminCtx, bob, identity.ContactInput{FirstName: "Bob", LastName: "Baker",
						Email: "bob@forest.example", Company: "USMF", AccountNumber: "US-002"})
					moved <- err
				}()
				select {
				case err := <-moved:
					slipped = true
					moved <- err
				case <-time.After(300 * time.Millisecond):
				}
			}}
			hooked := w.db.WithQueryHook(hook)
			cat := &catalog.Service{DB: hooked, Policy: w.policy}
			ids := &identity.Service{DB: hooked, Policy: w.policy, Roles: &policies.Roles{DB: hooked, Policy: w.policy}, Catalog: cat}
			ctx := context.WithValue(portal.WithViewer(context.Background(), w.rep), raceKey{}, true)
			var err error
			if op == "update" {
				_, err = ids.UpdateContact(ctx, bob, identity.ContactInput{FirstName: "Robert", LastName: "Baker",
					Email: "bob@forest.example", Company: "USMF", AccountNumber: "US-001"})
			} else {
				_, err = ids.SetDisabled(ctx, bob, true)
			}
			if err != nil {
				t.Errorf("representative's %s: %v", op, err)
			}
			if err := <-moved; err != nil {
				t.Fatalf("administrator's move: %v", err)
			}
			if slipped {
				t.Error("the administrator's change went through between the representative's check and its write")
			}
			var row struct {
				Account   string
				FirstName string
			}
			w.db.NewRaw(`SELECT a.account_number AS account, c.first_name FROM contact c
				JOIN customer_account a ON a.id = c.customer_account_id WHERE c.id = ?`, bob).Scan(context.Background(), &row)
			if row.Account != "US-002" || row.FirstName != "Bob" {
				t.Errorf("bob is now %+v, want the administrator's later change", row)
			}
		})
	}
}

// TestInvitationNeedsInviterStillAllowed: an invitation grants its roles at
// redemption only while its inviter is enabled and may still invite.
func TestInvitationNeedsInviterStillAllowed(t *testing.T) {
	tests := []struct {
		name   string
		change func(root *client, s *site, inviterID string)
	}{
		{"inviter disabled", func(root *client, _ *site, id string) {
			root.ok(`mutation($id: ID!) { disableContact(id: $id) { id } }`, map[string]any{"id": id}, nil)
		}},
		{"inviter lost the role", func(root *client, s *site, id string) {
			root.ok(`mutation($c: ID!, $r: ID!) { unassignWebRole(contactId: $c, roleId: $r) { id } }`,
				map[string]any{"c": id, "r": s.roleID("Administrators")}, nil)
		}},
		{"nothing changed", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSite(t, nil)
			root := s.admin()
			identityFixture(root)
			inviter, err := s.identity.CreateSeedContact(context.Background(), identity.SeedContact{Email: "second@portal.example",
				Password: "second admin password", FirstName: "Second", LastName: "Admin", RoleKeys: []string{portal.RoleAdministrators}})
			if err != nil {
				t.Fatal(err)
			}
			second := s.signIn("second@portal.example", "second admin password")
			newbie, code := s.invite(second, "newbie@forest.example")
			if tt.change == nil {
				s.anonymous().ok(redeem, map[string]any{"code": code, "password": "newbie password"}, nil)
				return
			}
			tt.change(root, s, inviter.ID)
			e := s.anonymous().fails(redeem, map[string]any{"code": code, "password": "newbie password"}, "BAD_USER_INPUT")
			if !strings.Contains(e.Message, "may no longer invite") {
				t.Errorf("message %q", e.Message)
			}
			var roles, signIn int
			s.db.NewRaw("SELECT (SELECT count(*) FROM contact_web_role WHERE contact_id = ?), (SELECT count(*) FROM contact WHERE id = ? AND password_hash IS NOT NULL)",
				newbie, newbie).Scan(context.Background(), &roles, &signIn)
			if roles != 0 || signIn != 0 {
				t.Errorf("refused redemption granted %d roles, %d sign-ins", roles, signIn)
			}
		})
	}
}
