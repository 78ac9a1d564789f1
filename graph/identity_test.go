package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	createContact = `mutation($in: ContactInput!) { createContact(input: $in) {
		id email firstName lastName hasSignIn syncState missingOrderFields currency shipToCountry language
		company { code } customerAccount { accountNumber } priceList { code } roles { name } } }`
	inviteContact = `mutation($in: InviteInput!) { inviteContact(input: $in) {
		code url invitation { id status expiresAt contact { email } roles { name } } } }`
	redeem = `mutation($code: String!, $password: String!) { redeemInvitation(code: $code, password: $password) {
		token viewer { isAdministrator contact { email hasSignIn } roles { name } } } }`
	viewerQuery = `{ viewer { isAdministrator contact { email hasSignIn } roles { name } } }`
)

// identityFixture saves, as the admin, a company with an account that can
// order (US-001) and one without a price list (US-002).
func identityFixture(admin *client) {
	admin.s.t.Helper()
	admin.ok(saveLegalEntity, map[string]any{"in": map[string]any{"code": "USMF", "name": "Contoso USA"}}, nil)
	admin.ok(savePriceList, map[string]any{"in": map[string]any{"code": "RETAIL", "company": "USMF", "currency": "USD", "prices": []any{}}}, nil)
	admin.ok(savePriceList, map[string]any{"in": map[string]any{"code": "EURO", "company": "USMF", "currency": "EUR", "prices": []any{}}}, nil)
	admin.ok(saveAccount, map[string]any{"in": map[string]any{"accountNumber": "US-001", "name": "Forest", "company": "USMF",
		"currency": "USD", "priceListCode": "RETAIL", "shipToCountry": "US", "language": "en-US"}}, nil)
	admin.ok(saveAccount, map[string]any{"in": map[string]any{"accountNumber": "US-002", "name": "No prices", "company": "USMF",
		"currency": "USD", "shipToCountry": "US", "language": "en-US"}}, nil)
}

func contactInput(email, account string) map[string]any {
	return map[string]any{"in": map[string]any{"firstName": "Alice", "lastName": "Archer", "email": email,
		"company": "USMF", "accountNumber": account}}
}

func (s *site) roleID(name string) string {
	s.t.Helper()
	var id string
	if err := s.db.NewRaw("SELECT id FROM web_role WHERE name = ?", name).Scan(context.Background(), &id); err != nil {
		s.t.Fatal(err)
	}
	return id
}

type invitation struct {
	InviteContact struct {
		Code, URL  string
		Invitation struct {
			ID, Status string
			Roles      []struct{ Name string }
		}
	}
}

// invite creates a contact on US-001 and invites it as an Authorized user.
func (s *site) invite(admin *client, email string) (contactID, code string) {
	s.t.Helper()
	var c struct{ CreateContact struct{ ID string } }
	admin.ok(createContact, contactInput(email, "US-001"), &c)
	var inv invitation
	admin.ok(inviteContact, map[string]any{"in": map[string]any{"contactId": c.CreateContact.ID, "roleIds": []string{s.roleID("Authorized user")}}}, &inv)
	return c.CreateContact.ID, inv.InviteContact.Code
}

func TestInvitationPath(t *testing.T) {
	s := newSite(t, nil)
	admin := s.admin()
	identityFixture(admin)

	// The administrator creates a contact: it inherits from its account,
	// has no sign-in and waits for the ERP sync.
	var created struct {
		CreateContact struct {
			ID, Email, SyncState              string
			HasSignIn                         bool
			MissingOrderFields                []string
			Currency, ShipToCountry, Language string
			Company                           struct{ Code string }
			CustomerAccount                   struct{ AccountNumber string }
			PriceList                         struct{ Code string }
		}
	}
	admin.ok(createContact, contactInput("Alice@Forest.example", "US-001"), &created)
	c := created.CreateContact
	// PENDING: its event for the ERP is on its way (package dualwrite).
	if c.HasSignIn || c.SyncState != "PENDING" || len(c.MissingOrderFields) != 0 || c.Currency != "USD" ||
		c.ShipToCountry != "US" || c.Language != "en-US" || c.Company.Code != "USMF" ||
		c.CustomerAccount.AccountNumber != "US-001" || c.PriceList.Code != "RETAIL" {
		t.Fatalf("created contact = %+v", c)
	}
	// The change is recorded for the ERP sync.
	var events int
	s.db.NewRaw("SELECT count(*) FROM outbox_event WHERE type = 'contact.upserted' AND aggregate_id = ?", c.ID).Scan(context.Background(), &events)
	if events != 1 {
		t.Errorf("%d contact.upserted events, want 1", events)
	}

	// Invite as Authorized user: the code and URL come back once.
	var inv invitation
	admin.ok(inviteContact, map[string]any{"in": map[string]any{"contactId": c.ID, "roleIds": []string{s.roleID("Authorized user")}}}, &inv)
	code := inv.InviteContact.Code
	if len(code) < 40 || inv.InviteContact.URL != "https://portal.example/sign-up?code="+code || inv.InviteContact.Invitation.Status != "OPEN" {
		t.Fatalf("invitation = %+v", inv)
	}

	// The invitee redeems it and is signed in at once.
	anon := s.anonymous()
	var red struct {
		RedeemInvitation struct {
			Token  string
			Viewer struct {
				Contact struct {
					Email     string
					HasSignIn bool
				}
				Roles []struct{ Name string }
			}
		}
	}
	anon.ok(redeem, map[string]any{"code": code, "password": "a long enough password"}, &red)
	if red.RedeemInvitation.Token == "" || red.RedeemInvitation.Viewer.Contact.Email != "Alice@Forest.example" ||
		!red.RedeemInvitation.Viewer.Contact.HasSignIn {
		t.Fatalf("redeem = %+v", red)
	}

	// Later the contact signs in with its email in any case.
	alice := s.signIn("alice@forest.EXAMPLE", "a long enough password")
	var v struct {
		Viewer struct {
			IsAdministrator bool
			Contact         struct{ Email string }
			Roles           []struct{ Name string }
		}
	}
	alice.ok(viewerQuery, nil, &v)
	if v.Viewer.IsAdministrator || v.Viewer.Contact.Email != "Alice@Forest.example" {
		t.Fatalf("viewer = %+v", v)
	}
	if diff := cmp.Diff([]struct{ Name string }{{"Authenticated users"}, {"Authorized user"}}, v.Viewer.Roles); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}

	// The admin's viewer shows the Administrators role.
	admin.ok(viewerQuery, nil, &v)
	if !v.Viewer.IsAdministrator {
		t.Errorf("admin viewer = %+v", v)
	}

	// An anonymous viewer has the Anonymous users role and no contact.
	var anonView struct {
		Viewer struct {
			Contact *struct{ Email string }
			Roles   []struct{ Name string }
		}
	}
	s.anonymous().ok(viewerQuery, nil, &anonView)
	if anonView.Viewer.Contact != nil || len(anonView.Viewer.Roles) != 1 || anonView.Viewer.Roles[0].Name != "Anonymous users" {
		t.Errorf("anonymous viewer = %+v", anonView)
	}

	// Contacts: the admin finds Alice by any part of her name or email;
	// Alice reads only herself.
	var list struct {
		Contacts struct {
			TotalCount int
			Edges      []struct{ Node struct{ Email string } }
		}
	}
	admin.ok(`{ contacts(search: "ARCH") { totalCount edges { node { email } } } }`, nil, &list)
	if list.Contacts.TotalCount != 1 || list.Contacts.Edges[0].Node.Email != "Alice@Forest.example" {
		t.Errorf("admin search = %+v", list)
	}
	alice.ok(`{ contacts { totalCount edges { node { email } } } }`, nil, &list)
	if list.Contacts.TotalCount != 1 || list.Contacts.Edges[0].Node.Email != "Alice@Forest.example" {
		t.Errorf("alice's contacts = %+v", list)
	}
	var invs struct{ Invitations struct{ TotalCount int } }
	admin.ok(`{ invitations { totalCount edges { node { status contact { email } invitedBy { email } } } } }`, nil, &invs)
	if invs.Invitations.TotalCount != 1 {
		t.Errorf("invitations = %+v", invs)
	}

	// The admin changes her: a new email, her own currency and price list.
	var upd struct {
		UpdateContact struct {
			Email, Currency string
			PriceList       struct{ Code string }
		}
	}
	admin.ok(`mutation($id: ID!, $in: ContactInput!) { updateContact(id: $id, input: $in) { email currency priceList { code } } }`,
		map[string]any{"id": c.ID, "in": map[string]any{"firstName": "Alice", "lastName": "Archer", "email": "alice@forest.example",
			"company": "USMF", "accountNumber": "US-001", "currency": "EUR", "priceListCode": "EURO"}}, &upd)
	if upd.UpdateContact.Email != "alice@forest.example" || upd.UpdateContact.Currency != "EUR" || upd.UpdateContact.PriceList.Code != "EURO" {
		t.Errorf("updated contact = %+v", upd)
	}
	s.db.NewRaw("SELECT count(*) FROM outbox_event WHERE type = 'contact.upserted' AND aggregate_id = ?", c.ID).Scan(context.Background(), &events)
	if events != 2 {
		t.Errorf("%d contact.upserted events after the update, want 2", events)
	}

	// The audit log tells the story, newest first.
	var log struct {
		AuditLog struct {
			Edges []struct{ Node struct{ Action string } }
		}
	}
	admin.ok(`query($id: ID) { auditLog(contactId: $id) { edges { node { action } } } }`, map[string]any{"id": c.ID}, &log)
	var actions []string
	for _, e := range log.AuditLog.Edges {
		actions = append(actions, e.Node.Action)
	}
	want := []string{"contact.updated", "session.signed_in", "invitation.redeemed", "invitation.created", "contact.created"}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("audit log for the contact (-want +got):\n%s", diff)
	}
	alice.fails(`{ auditLog { totalCount } }`, nil, "FORBIDDEN")
	s.anonymous().fails(`{ auditLog { totalCount } }`, nil, "UNAUTHENTICATED")
}

func TestIdentityRefusals(t *testing.T) {
	s := newSite(t, nil)
	admin := s.admin()
	identityFixture(admin)
	_, aliceCode := s.invite(admin, "alice@forest.example")
	admin.ok(redeem, map[string]any{"code": aliceCode, "password": "alice password 1"}, nil)
	alice := s.signIn("alice@forest.example", "alice password 1")

	var noPrices struct{ CreateContact struct{ ID string } }
	admin.ok(createContact, contactInput("np@forest.example", "US-002"), &noPrices)
	bobID, bobCode := s.invite(admin, "bob@forest.example")

	// An expired and a revoked invitation.
	expiredID, expiredCode := s.invite(admin, "old@forest.example")
	s.db.ExecContext(context.Background(), "UPDATE invitation SET expires_at = now() - interval '1 hour' WHERE contact_id = ?", expiredID)
	_, revokedCode := s.invite(admin, "gone@forest.example")
	var revokedID string
	s.db.NewRaw("SELECT i.id FROM invitation i JOIN contact c ON c.id = i.contact_id WHERE c.email = 'gone@forest.example'").Scan(context.Background(), &revokedID)
	admin.ok(`mutation($id: ID!) { revokeInvitation(id: $id) { status } }`, map[string]any{"id": revokedID}, nil)

	authorized := s.roleID("Authorized user")
	tests := []struct {
		name     string
		as       *client
		query    string
		vars     map[string]any
		code     string
		wantText string
	}{
		{"unknown company", admin, createContact, map[string]any{"in": map[string]any{"firstName": "A", "lastName": "B", "email": "x@y.example", "company": "NOPE", "accountNumber": "US-001"}}, "BAD_USER_INPUT", `Company "NOPE" does not exist`},
		{"unknown account", admin, createContact, contactInput("x@y.example", "US-999"), "BAD_USER_INPUT", `Customer account "US-999" does not exist`},
		{"bad email", admin, createContact, contactInput("not an email", "US-001"), "BAD_USER_INPUT", "not an email address"},
		{"duplicate email", admin, createContact, contactInput("ALICE@forest.example", "US-001"), "CONFLICT", "already exists"},
		{"price list of another currency", admin, createContact, map[string]any{"in": map[string]any{"firstName": "A", "lastName": "B", "email": "x@y.example", "company": "USMF", "accountNumber": "US-001", "priceListCode": "EURO"}}, "BAD_USER_INPUT", "is in EUR"},
		{"invite with missing fields", admin, inviteContact, map[string]any{"in": map[string]any{"contactId": noPrices.CreateContact.ID, "roleIds": []string{authorized}}}, "BAD_USER_INPUT", "lacks priceList"},
		{"invite a contact with a sign-in", admin, inviteContact, map[string]any{"in": map[string]any{"contactId": alice.viewerID(), "roleIds": []string{authorized}}}, "BAD_USER_INPUT", "already has a sign-in"},
		{"invite with no role", admin, inviteContact, map[string]any{"in": map[string]any{"contactId": bobID, "roleIds": []string{}}}, "BAD_USER_INPUT", "at least one role"},
		{"invite as Authenticated users", admin, inviteContact, map[string]any{"in": map[string]any{"contactId": bobID, "roleIds": []string{s.roleID("Authenticated users")}}}, "BAD_USER_INPUT", "held implicitly"},
		{"invite with a bad expiry", admin, inviteContact, map[string]any{"in": map[string]any{"contactId": bobID, "roleIds": []string{authorized}, "expiresInHours": 0}}, "BAD_USER_INPUT", "1 to 720 hours"},
		{"expired code", s.anonymous(), redeem, map[string]any{"code": expiredCode, "password": "long enough password"}, "BAD_USER_INPUT", "expired"},
		{"revoked code", s.anonymous(), redeem, map[string]any{"code": revokedCode, "password": "long enough password"}, "BAD_USER_INPUT", "withdrawn"},
		{"reused code", s.anonymous(), redeem, map[string]any{"code": aliceCode, "password": "long enough password"}, "BAD_USER_INPUT", "already used"},
		{"unknown code", s.anonymous(), redeem, map[string]any{"code": "made-up", "password": "long enough password"}, "BAD_USER_INPUT", "not valid"},
		{"weak password", s.anonymous(), redeem, map[string]any{"code": bobCode, "password": "short"}, "BAD_USER_INPUT", "at least 12"},
		{"password is the email", s.anonymous(), redeem, map[string]any{"code": bobCode, "password": "bob@forest.example"}, "BAD_USER_INPUT", "email"},
		{"wrong password", s.anonymous(), signIn, map[string]any{"email": "alice@forest.example", "password": "wrong password!"}, "UNAUTHENTICATED", "The email or password is wrong."},
		{"unknown email", s.anonymous(), signIn, map[string]any{"email": "nobody@forest.example", "password": "alice password 1"}, "UNAUTHENTICATED", "The email or password is wrong."},
		{"contact without sign-in", s.anonymous(), signIn, map[string]any{"email": "bob@forest.example", "password": "alice password 1"}, "UNAUTHENTICATED", "The email or password is wrong."},
		{"anonymous creates a contact", s.anonymous(), createContact, contactInput("x@y.example", "US-001"), "UNAUTHENTICATED", "Sign in"},
		{"anonymous invites", s.anonymous(), inviteContact, map[string]any{"in": map[string]any{"contactId": bobID, "roleIds": []string{authorized}}}, "UNAUTHENTICATED", "Sign in"},
		{"anonymous revokes", s.anonymous(), `mutation($id: ID!) { revokeInvitation(id: $id) { id } }`, map[string]any{"id": revokedID}, "UNAUTHENTICATED", "Sign in"},
		{"non-admin creates a contact", alice, createContact, contactInput("x@y.example", "US-001"), "FORBIDDEN", "roles do not allow"},
		{"non-admin invites", alice, inviteContact, map[string]any{"in": map[string]any{"contactId": bobID, "roleIds": []string{authorized}}}, "FORBIDDEN", "roles do not allow"},
		{"non-admin changes itself", alice, `mutation($id: ID!, $in: ContactInput!) { updateContact(id: $id, input: $in) { id } }`, map[string]any{"id": alice.viewerID(), "in": contactInput("alice@forest.example", "US-001")["in"]}, "FORBIDDEN", "do not allow"},
		{"non-admin updates an unreadable contact", alice, `mutation($id: ID!, $in: ContactInput!) { updateContact(id: $id, input: $in) { id } }`, map[string]any{"id": bobID, "in": contactInput("bob@forest.example", "US-001")["in"]}, "NOT_FOUND", "does not exist"},
		{"non-admin lists invitations", alice, `{ invitations { totalCount } }`, nil, "FORBIDDEN", "do not allow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.t = t
			before := identitySnapshot(t, s)
			e := tt.as.fails(tt.query, tt.vars, tt.code)
			if !strings.Contains(e.Message, tt.wantText) {
				t.Errorf("message %q does not contain %q", e.Message, tt.wantText)
			}
			// Failed sign-ins are counted and audited; nothing else changes.
			if after := identitySnapshot(t, s); after != before && tt.query != signIn {
				t.Errorf("refused call changed the database:\nbefore %s\nafter  %s", before, after)
			}
		})
	}

	t.Run("missing fields are listed", func(t *testing.T) {
		s.t = t
		e := admin.fails(inviteContact, map[string]any{"in": map[string]any{"contactId": noPrices.CreateContact.ID, "roleIds": []string{authorized}}}, "BAD_USER_INPUT")
		if diff := cmp.Diff([]any{"priceList"}, e.Extensions["missingFields"]); diff != "" {
			t.Errorf("missingFields (-want +got):\n%s", diff)
		}
	})

	// A refused redemption leaves the code usable.
	t.Run("code survives a weak password", func(t *testing.T) {
		s.t = t
		s.anonymous().ok(redeem, map[string]any{"code": bobCode, "password": "bob's good password"}, nil)
	})

	t.Run("disabled contact", func(t *testing.T) {
		s.t = t
		aliceID := alice.viewerID()
		admin.ok(`mutation($id: ID!) { disableContact(id: $id) { disabled } }`, map[string]any{"id": aliceID}, nil)
		// Its session ended, and it cannot sign in again.
		var v struct {
			Viewer struct{ Contact *struct{ Email string } }
		}
		alice.ok(viewerQuery, nil, &v)
		if v.Viewer.Contact != nil {
			t.Errorf("disabled contact's session still works: %+v", v)
		}
		e := s.anonymous().fails(signIn, map[string]any{"email": "alice@forest.example", "password": "alice password 1"}, "UNAUTHENTICATED")
		if e.Message != "The email or password is wrong." {
			t.Errorf("disabled sign-in says %q", e.Message)
		}
		admin.ok(`mutation($id: ID!) { enableContact(id: $id) { disabled } }`, map[string]any{"id": aliceID}, nil)
		s.signIn("alice@forest.example", "alice password 1")
	})
}

// viewerID returns the signed-in client's contact id.
func (c *client) viewerID() string {
	c.s.t.Helper()
	var v struct {
		Viewer struct{ Contact struct{ ID string } }
	}
	c.ok(`{ viewer { contact { id } } }`, nil, &v)
	return v.Viewer.Contact.ID
}

// identitySnapshot fingerprints the identity tables, leaving out the audit
// log and sign-in failures, which a refused sign-in does write.
func identitySnapshot(t *testing.T, s *site) string {
	t.Helper()
	var out string
	for _, table := range []string{"contact", "contact_web_role", "invitation", "invitation_role", "session", "outbox_event"} {
		var sum string
		err := s.db.NewRaw("SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM "+table+" t").
			Scan(context.Background(), &sum)
		if err != nil {
			t.Fatal(err)
		}
		out += table + "=" + sum + " "
	}
	return out
}

func TestConcurrentRedemption(t *testing.T) {
	s := newSite(t, nil)
	admin := s.admin()
	identityFixture(admin)
	contactID, code := s.invite(admin, "race@forest.example")

	const n = 20
	var wg sync.WaitGroup
	results := make([]response, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = s.anonymous().do(redeem, map[string]any{"code": code, "password": fmt.Sprintf("password number %02d", i)})
		}(i)
	}
	wg.Wait()
	wins, winner := 0, -1
	for i, r := range results {
		if len(r.Errors) == 0 {
			wins++
			winner = i
			continue
		}
		if r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "already used") {
			t.Errorf("loser %d: %+v", i, r.Errors)
		}
	}
	if wins != 1 {
		t.Fatalf("%d redemptions won, want exactly 1", wins)
	}
	var sessions, roles int
	s.db.NewRaw("SELECT count(*) FROM session WHERE contact_id = ?", contactID).Scan(context.Background(), &sessions)
	s.db.NewRaw("SELECT count(*) FROM contact_web_role WHERE contact_id = ?", contactID).Scan(context.Background(), &roles)
	if sessions != 1 || roles != 1 {
		t.Errorf("%d sessions and %d role grants, want 1 each", sessions, roles)
	}
	// The winner's password is the one that works.
	s.signIn("race@forest.example", fmt.Sprintf("password number %02d", winner))
}

// TestRedemptionLoserAfterCommit pins the interleaving that made
// TestConcurrentRedemption flaky: a loser read the invitation while it was
// still open and the contact after the winner's commit, when the contact
// already had its sign-in. It must still hear that the code was used.
func TestRedemptionLoserAfterCommit(t *testing.T) {
	s := newSite(t, nil)
	admin := s.admin()
	identityFixture(admin)
	contactID, code := s.invite(admin, "late@forest.example")
	// The winner's commit as the loser's second read sees it: the contact
	// has a sign-in while (in the loser's first read) the code was open.
	if _, err := s.db.ExecContext(context.Background(), "UPDATE contact SET password_hash = 'x' WHERE id = ?", contactID); err != nil {
		t.Fatal(err)
	}
	e := s.anonymous().fails(redeem, map[string]any{"code": code, "password": "late password 12"}, "BAD_USER_INPUT")
	if !strings.Contains(e.Message, "already used") {
		t.Errorf("loser hears %q, want that the invitation was already used", e.Message)
	}
}

func TestSessions(t *testing.T) {
	s := newSite(t, nil)
	admin := s.admin()
	identityFixture(admin)
	_, code := s.invite(admin, "carol@forest.example")
	admin.ok(redeem, map[string]any{"code": code, "password": "carol password 1"}, nil)

	// signIn sets an HttpOnly, SameSite=Lax cookie that works like the token.
	c := s.anonymous()
	c.ok(signIn, map[string]any{"email": "carol@forest.example", "password": "carol password 1"}, nil)
	var cookie *http.Cookie
	for _, k := range c.last.Cookies() {
		if k.Name == "portal_session" {
			cookie = k
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure {
		t.Fatalf("session cookie = %+v (plain HTTP: not Secure)", cookie)
	}
	browser := &client{s: s, cookies: []*http.Cookie{cookie}}
	if browser.viewerID() == "" {
		t.Fatal("cookie does not authenticate")
	}

	// Another site cannot make the browser run a mutation with the cookie:
	// a form or text/plain POST (no CORS preflight) is not accepted, and
	// GET never runs mutations.
	for _, ct := range []string{"application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"} {
		req, _ := http.NewRequest("POST", s.srv.URL+"/graphql", strings.NewReader(`{"query":"mutation { signOut }"}`))
		req.Header.Set("Content-Type", ct)
		req.AddCookie(cookie)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode < 400 {
			t.Errorf("POST as %s answered %d", ct, res.StatusCode)
		}
	}
	req, _ := http.NewRequest("GET", s.srv.URL+"/graphql?query=mutation%7BsignOut%7D", nil)
	req.AddCookie(cookie)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
	}
	if browser.viewerID() == "" {
		t.Fatal("a cross-site style request signed the browser out")
	}

	// An idle session ends.
	bearer := s.signIn("carol@forest.example", "carol password 1")
	s.db.ExecContext(context.Background(), "UPDATE session SET last_seen_at = now() - interval '25 hours' WHERE contact_id = (SELECT id FROM contact WHERE email = 'carol@forest.example')")
	var v struct {
		Viewer struct{ Contact *struct{ ID string } }
	}
	bearer.ok(`{ viewer { contact { id } } }`, nil, &v)
	if v.Viewer.Contact != nil {
		t.Error("idle session still works")
	}

	// signOut ends the session and clears the cookie.
	browser = &client{s: s}
	browser.ok(signIn, map[string]any{"email": "carol@forest.example", "password": "carol password 1"}, nil)
	browser.cookies = browser.last.Cookies()
	browser.ok(`mutation { signOut }`, nil, nil)
	cleared := false
	for _, k := range browser.last.Cookies() {
		cleared = cleared || (k.Name == "portal_session" && k.MaxAge < 0)
	}
	if !cleared {
		t.Error("signOut did not clear the cookie")
	}
	browser.ok(`{ viewer { contact { id } } }`, nil, &v)
	if v.Viewer.Contact != nil {
		t.Error("session works after signOut")
	}
}

func TestSignInRateLimit(t *testing.T) {
	s := newSite(t, nil)
	admin := s.admin()
	identityFixture(admin)
	_, code := s.invite(admin, "dave@forest.example")
	admin.ok(redeem, map[string]any{"code": code, "password": "dave password 1"}, nil)

	for i := 0; i < 10; i++ {
		s.anonymous().fails(signIn, map[string]any{"email": "dave@forest.example", "password": "guess number " + fmt.Sprint(i)}, "UNAUTHENTICATED")
	}
	// The 11th try is refused before the password is looked at, even the
	// right one, and says why.
	e := s.anonymous().fails(signIn, map[string]any{"email": "dave@forest.example", "password": "dave password 1"}, "UNAUTHENTICATED")
	if e.Extensions["reason"] != "RATE_LIMITED" || !strings.Contains(e.Message, "Wait a minute") {
		t.Errorf("11th attempt: %+v", e)
	}
	// All these came from one address, so another email is limited too.
	e = s.anonymous().fails(signIn, map[string]any{"email": "root@portal.example", "password": "root password 123"}, "UNAUTHENTICATED")
	if e.Extensions["reason"] != "RATE_LIMITED" {
		t.Errorf("same address, other email: %+v", e)
	}
	// A minute later both work again.
	s.db.ExecContext(context.Background(), "UPDATE sign_in_failure SET at = at - interval '61 seconds'")
	s.signIn("dave@forest.example", "dave password 1")
}

// TestSecretsNotStoredOrLogged checks that invitation codes and session
// tokens appear nowhere in the database or the log in clear.
func TestSecretsNotStoredOrLogged(t *testing.T) {
	s := newSite(t, nil)
	admin := s.admin()
	identityFixture(admin)
	_, code := s.invite(admin, "erin@forest.example")
	var red struct{ RedeemInvitation struct{ Token string } }
	s.anonymous().ok(redeem, map[string]any{"code": code, "password": "erin password 1"}, &red)
	other := s.signIn("erin@forest.example", "erin password 1")
	secrets := map[string]string{"invitation code": code, "redeem token": red.RedeemInvitation.Token,
		"sign-in token": other.token, "admin token": admin.token, "password": "erin password 1"}

	var dump []string
	err := s.db.NewRaw(`SELECT string_agg(x, ' ') FROM (
		SELECT t::text AS x FROM contact t UNION ALL SELECT t::text FROM invitation t UNION ALL
		SELECT t::text FROM session t UNION ALL SELECT t::text FROM audit_log t UNION ALL
		SELECT t::text FROM outbox_event t UNION ALL SELECT t::text FROM sign_in_failure t) all_rows`).Scan(context.Background(), &dump)
	if err != nil {
		t.Fatal(err)
	}
	logs := s.logs.String()
	if !strings.Contains(logs, "sign-up?code=REDACTED") {
		t.Errorf("the log does not say where the sign-up URL went:\n%s", logs)
	}
	for what, secret := range secrets {
		for _, d := range dump {
			if strings.Contains(d, secret) {
				t.Errorf("%s stored in clear", what)
			}
		}
		if strings.Contains(logs, secret) {
			t.Errorf("%s in the log", what)
		}
	}
}

func TestBadTextIsBadInput(t *testing.T) {
	s := newSite(t, nil)
	admin := s.admin()
	identityFixture(admin)
	before := identitySnapshot(t, s)
	for name, call := range map[string]func() gqlError{
		"NUL in a sign-in email": func() gqlError {
			return s.anonymous().fails(signIn, map[string]any{"email": "a\x00@b.example", "password": "x"}, "BAD_USER_INPUT")
		},
		"NUL in a search": func() gqlError {
			return admin.fails(`query($s: String) { contacts(search: $s) { totalCount } }`, map[string]any{"s": "\x00"}, "BAD_USER_INPUT")
		},
		"NUL escaped in a literal": func() gqlError {
			return admin.fails(`{ contacts(search: "a\u0000") { totalCount } }`, nil, "BAD_USER_INPUT")
		},
		"NUL in a braced escape": func() gqlError {
			return admin.fails(`mutation { saveLegalEntity(input: {code: "ZZ", name: "a\u{0}b"}) { code } }`, nil, "BAD_USER_INPUT")
		},
		"NUL in a name": func() gqlError {
			in := contactInput("nul@forest.example", "US-001")
			in["in"].(map[string]any)["firstName"] = "Al\x00ice"
			return admin.fails(createContact, in, "BAD_USER_INPUT")
		},
	} {
		t.Run(name, func(t *testing.T) {
			s.t = t
			if e := call(); !strings.Contains(e.Message, "NUL character or invalid UTF-8") {
				t.Errorf("message %q", e.Message)
			}
		})
	}
	if after := identitySnapshot(t, s); after != before {
		t.Error("refused requests changed the database")
	}
}
