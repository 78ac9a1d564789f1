package graph_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/identity/mailtest"
)

// mailer sends through the mailbox's SMTP server.
func mailer(t *testing.T, box *mailtest.Mailbox) identity.Mailer {
	t.Helper()
	m, err := identity.NewSMTPMailer(box.URL())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// mailWait is how long a test waits for a mail.
const mailWait = 10 * time.Second

var resetLink = regexp.MustCompile(`https://portal\.example/password/reset\?token=([A-Za-z0-9_%-]+)`)

const (
	requestReset = `mutation($email: String!) { requestPasswordReset(email: $email) }`
	resetPw      = `mutation($token: String!, $password: String!) { resetPassword(token: $token, password: $password) }`
)

// signedUp invites a contact on US-001 and redeems its invitation.
func (s *site) signedUp(admin *client, email, password string) (contactID string) {
	s.t.Helper()
	id, code := s.invite(admin, email)
	s.anonymous().ok(redeem, map[string]any{"code": code, "password": password}, nil)
	return id
}

func TestPasswordReset(t *testing.T) {
	box := mailtest.New(t)
	s := newSite(t, mailer(t, box))
	admin := s.admin()
	identityFixture(admin)
	_, pending := s.invite(admin, "pending@forest.example")
	box.Next(t, mailWait) // the invitation
	id := s.signedUp(admin, "alice@forest.example", "first password 123")
	box.Next(t, mailWait)
	old := s.signIn("alice@forest.example", "first password 123")

	// Every email gets the same answer; only the signed-up contact a mail.
	anon := s.anonymous()
	for _, email := range []string{"nobody@forest.example", "pending@forest.example", "root@portal.example", "alice@forest.example"} {
		var out struct{ RequestPasswordReset bool }
		anon.ok(requestReset, map[string]any{"email": email}, &out)
		if !out.RequestPasswordReset {
			t.Errorf("requestPasswordReset(%s) = false", email)
		}
	}
	var first, second mailtest.Message
	// Two mails: the administrator's and Alice's; in either order.
	for range 2 {
		m := box.Next(t, mailWait)
		if m.To[0] == "alice@forest.example" {
			first = m
		}
	}
	if first.From != "portal@contoso.example" || !strings.Contains(first.Data, "Subject: Reset your customer portal password") ||
		!strings.Contains(first.Data, "Hello Alice") {
		t.Fatalf("reset mail = %+v", first)
	}
	box.None(t, 300*time.Millisecond)
	m := resetLink.FindStringSubmatch(first.Data)
	if m == nil {
		t.Fatalf("no reset link in:\n%s", first.Data)
	}
	firstToken, _ := url.QueryUnescape(m[1])

	// A second request (emails match in any case) voids the first link.
	anon.ok(requestReset, map[string]any{"email": "ALICE@Forest.example"}, nil)
	second = box.Next(t, mailWait)
	m = resetLink.FindStringSubmatch(second.Data)
	token, _ := url.QueryUnescape(m[1])
	if token == firstToken {
		t.Fatal("the second link has the first token")
	}
	if e := anon.fails(resetPw, map[string]any{"token": firstToken, "password": "second password 123"}, "BAD_USER_INPUT"); e.Extensions["field"] != "token" ||
		!strings.Contains(e.Message, "newer") {
		t.Errorf("first link after a second request = %+v", e)
	}

	// The token is stored hashed, and never logged.
	var stored int
	s.db.NewRaw("SELECT count(*) FROM password_reset WHERE contact_id = ? AND length(token_hash) = 32", id).Scan(context.Background(), &stored)
	if stored != 2 || strings.Contains(s.logs.String(), token) {
		t.Errorf("%d stored resets, token in log: %v", stored, strings.Contains(s.logs.String(), token))
	}

	// The reset page can tell a working link from a dead one.
	const check = `query($t: String!) { passwordResetCheck(token: $t) { usable message } }`
	type checked struct {
		PasswordResetCheck struct {
			Usable  bool
			Message *string
		}
	}
	var c checked
	anon.ok(check, map[string]any{"t": token}, &c)
	if !c.PasswordResetCheck.Usable || c.PasswordResetCheck.Message != nil {
		t.Errorf("check of a working link = %+v", c)
	}
	anon.ok(check, map[string]any{"t": firstToken}, &c)
	if c.PasswordResetCheck.Usable || c.PasswordResetCheck.Message == nil || !strings.Contains(*c.PasswordResetCheck.Message, "newer") {
		t.Errorf("check of a voided link = %+v", c)
	}

	// Bad password: refused on the password field, link still good.
	if e := anon.fails(resetPw, map[string]any{"token": token, "password": "short"}, "BAD_USER_INPUT"); e.Extensions["field"] != "password" {
		t.Errorf("short password = %+v", e)
	}
	anon.ok(resetPw, map[string]any{"token": token, "password": "second password 123"}, nil)

	// The old sessions end, the old password stops working, the new works.
	if r := old.do(viewerQuery, nil); strings.Contains(string(r.Data), "alice@forest.example") {
		t.Errorf("old session still works after the reset: %s", r.Data)
	}
	anon.fails(signIn, map[string]any{"email": "alice@forest.example", "password": "first password 123"}, "UNAUTHENTICATED")
	s.signIn("alice@forest.example", "second password 123")

	// The link works once.
	if e := anon.fails(resetPw, map[string]any{"token": token, "password": "third password 123"}, "BAD_USER_INPUT"); !strings.Contains(e.Message, "already used") {
		t.Errorf("second use = %+v", e)
	}
	c = checked{}
	anon.ok(check, map[string]any{"t": token}, &c)
	if c.PasswordResetCheck.Usable || c.PasswordResetCheck.Message == nil || !strings.Contains(*c.PasswordResetCheck.Message, "already used") {
		t.Errorf("check of a used link = %+v", c)
	}
	// An unknown token says what to do.
	if e := anon.fails(resetPw, map[string]any{"token": "nonsense", "password": "third password 123"}, "BAD_USER_INPUT"); !strings.Contains(e.Message, "not valid") {
		t.Errorf("unknown token = %+v", e)
	}
	// An expired link says so.
	anon.ok(requestReset, map[string]any{"email": "alice@forest.example"}, nil)
	m = resetLink.FindStringSubmatch(box.Next(t, mailWait).Data)
	expired, _ := url.QueryUnescape(m[1])
	s.db.ExecContext(context.Background(), "UPDATE password_reset SET expires_at = now() - interval '1 second' WHERE used_at IS NULL AND voided_at IS NULL")
	if e := anon.fails(resetPw, map[string]any{"token": expired, "password": "third password 123"}, "BAD_USER_INPUT"); !strings.Contains(e.Message, "expired") {
		t.Errorf("expired token = %+v", e)
	}

	// The invitation still works for the contact that never signed up.
	s.anonymous().ok(redeem, map[string]any{"code": pending, "password": "pending password 123"}, nil)

	// Each step is in the audit log.
	var actions []string
	s.db.NewRaw("SELECT action FROM audit_log WHERE subject_id = ? AND action LIKE 'password.%' ORDER BY id", id).Scan(context.Background(), &actions)
	if got := strings.Join(actions, ","); got != "password.reset_requested,password.reset_requested,password.reset,password.reset_requested" {
		t.Errorf("audit = %s", got)
	}
}

func TestPasswordResetRefusals(t *testing.T) {
	s := newSite(t, nil) // no SMTP: nothing can be mailed, the answer is the same
	admin := s.admin()
	identityFixture(admin)
	s.signedUp(admin, "alice@forest.example", "first password 123")
	anon := s.anonymous()
	for _, tc := range []struct{ name, email string }{{"empty", ""}, {"not an email", "alice"}} {
		t.Run(tc.name, func(t *testing.T) {
			if e := anon.fails(requestReset, map[string]any{"email": tc.email}, "BAD_USER_INPUT"); e.Extensions["field"] != "email" {
				t.Errorf("error = %+v", e)
			}
		})
	}
	t.Run("no mailer", func(t *testing.T) {
		anon.ok(requestReset, map[string]any{"email": "alice@forest.example"}, nil)
		if !strings.Contains(s.logs.String(), "no SMTP server is configured") {
			t.Errorf("log does not say the link could not be mailed:\n%s", s.logs.String())
		}
	})
	t.Run("rate limited per email", func(t *testing.T) {
		var last gqlError
		for range 5 {
			r := anon.do(requestReset, map[string]any{"email": "bob@forest.example"})
			if len(r.Errors) > 0 {
				last = r.Errors[0]
				break
			}
		}
		if last.Extensions["reason"] != "RATE_LIMITED" {
			t.Errorf("no rate limit after 5 requests: %+v", last)
		}
		// Another email from the same address is still served.
		anon.ok(requestReset, map[string]any{"email": "carol@forest.example"}, nil)
	})
}

const (
	updateProfile = `mutation($in: MyProfileInput!) { updateMyProfile(input: $in) { firstName lastName email phone } }`
	changePw      = `mutation($cur: String!, $new: String!) { changePassword(currentPassword: $cur, newPassword: $new) }`
)

func TestProfile(t *testing.T) {
	s := newSite(t, nil)
	admin := s.admin()
	identityFixture(admin)
	id := s.signedUp(admin, "alice@forest.example", "first password 123")
	alice := s.signIn("alice@forest.example", "first password 123")

	var out struct {
		UpdateMyProfile struct {
			FirstName, LastName, Email string
			Phone                      *string
		}
	}
	alice.ok(updateProfile, map[string]any{"in": map[string]any{"firstName": " Alicia ", "lastName": "Archer-Smith", "phone": "+1 (425) 555-0100"}}, &out)
	if p := out.UpdateMyProfile; p.FirstName != "Alicia" || p.LastName != "Archer-Smith" || p.Email != "alice@forest.example" || p.Phone == nil || *p.Phone != "+1 (425) 555-0100" {
		t.Fatalf("profile = %+v", p)
	}
	// The name change travels to the ERP; the phone is the portal's own.
	var events int
	s.db.NewRaw("SELECT count(*) FROM outbox_event WHERE type = 'contact.upserted' AND aggregate_id = ? AND payload->>'firstName' = 'Alicia'", id).Scan(context.Background(), &events)
	if events != 1 {
		t.Errorf("%d contact.upserted events with the new name, want 1", events)
	}
	// Absent phone keeps it; empty clears it.
	alice.ok(updateProfile, map[string]any{"in": map[string]any{"firstName": "Alicia", "lastName": "Archer"}}, &out)
	if out.UpdateMyProfile.Phone == nil {
		t.Error("absent phone cleared it")
	}
	alice.ok(updateProfile, map[string]any{"in": map[string]any{"firstName": "Alicia", "lastName": "Archer", "phone": ""}}, &out)
	if out.UpdateMyProfile.Phone != nil {
		t.Errorf("empty phone kept %q", *out.UpdateMyProfile.Phone)
	}
	// An administrator reading the contact sees the phone too.
	alice.ok(updateProfile, map[string]any{"in": map[string]any{"firstName": "Alicia", "lastName": "Archer", "phone": "555 0100"}}, nil)
	var read struct{ Contact struct{ Phone string } }
	admin.ok(`query($id: ID!) { contact(id: $id) { phone } }`, map[string]any{"id": id}, &read)
	if read.Contact.Phone != "555 0100" {
		t.Errorf("admin reads phone %q", read.Contact.Phone)
	}

	for _, tc := range []struct {
		name  string
		in    map[string]any
		field string
	}{
		{"empty first name", map[string]any{"firstName": " ", "lastName": "A"}, "input.firstName"},
		{"empty last name", map[string]any{"firstName": "A", "lastName": ""}, "input.lastName"},
		{"long name", map[string]any{"firstName": strings.Repeat("a", 101), "lastName": "A"}, "input.firstName"},
		{"two lines", map[string]any{"firstName": "A\nB", "lastName": "A"}, "input.firstName"},
		{"letters in phone", map[string]any{"firstName": "A", "lastName": "A", "phone": "call me"}, "input.phone"},
		{"no digits", map[string]any{"firstName": "A", "lastName": "A", "phone": "+()"}, "input.phone"},
		{"long phone", map[string]any{"firstName": "A", "lastName": "A", "phone": strings.Repeat("1", 41)}, "input.phone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if e := alice.fails(updateProfile, map[string]any{"in": tc.in}, "BAD_USER_INPUT"); e.Extensions["field"] != tc.field {
				t.Errorf("field = %v, want %s (%s)", e.Extensions["field"], tc.field, e.Message)
			}
		})
	}
	t.Run("anonymous", func(t *testing.T) {
		s.anonymous().fails(updateProfile, map[string]any{"in": map[string]any{"firstName": "A", "lastName": "B"}}, "UNAUTHENTICATED")
		s.anonymous().fails(changePw, map[string]any{"cur": "x", "new": "y"}, "UNAUTHENTICATED")
	})
}

func TestChangePassword(t *testing.T) {
	s := newSite(t, nil)
	admin := s.admin()
	identityFixture(admin)
	s.signedUp(admin, "alice@forest.example", "first password 123")
	alice := s.signIn("alice@forest.example", "first password 123")
	other := s.signIn("alice@forest.example", "first password 123")

	for _, tc := range []struct{ name, cur, new, field string }{
		{"wrong current", "wrong password 123", "second password 123", "currentPassword"},
		{"too short", "first password 123", "short", "newPassword"},
		{"the email", "first password 123", "alice@forest.example", "newPassword"},
		{"unchanged", "first password 123", "first password 123", "newPassword"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if e := alice.fails(changePw, map[string]any{"cur": tc.cur, "new": tc.new}, "BAD_USER_INPUT"); e.Extensions["field"] != tc.field {
				t.Errorf("field = %v, want %s", e.Extensions["field"], tc.field)
			}
		})
	}
	alice.ok(changePw, map[string]any{"cur": "first password 123", "new": "second password 123"}, nil)
	// This session stays; the other one ends; only the new password works.
	if r := alice.do(viewerQuery, nil); !strings.Contains(string(r.Data), "alice@forest.example") {
		t.Errorf("own session ended: %s", r.Data)
	}
	if r := other.do(viewerQuery, nil); strings.Contains(string(r.Data), "alice@forest.example") {
		t.Errorf("other session survived: %s", r.Data)
	}
	s.anonymous().fails(signIn, map[string]any{"email": "alice@forest.example", "password": "first password 123"}, "UNAUTHENTICATED")
	s.signIn("alice@forest.example", "second password 123")

	// Guessing the current password through a session is rate limited.
	t.Run("rate limited", func(t *testing.T) {
		var last gqlError
		var wg sync.WaitGroup
		var mu sync.Mutex
		for range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := alice.do(changePw, map[string]any{"cur": "guess password 123", "new": "third password 123"})
				mu.Lock()
				defer mu.Unlock()
				if len(r.Errors) > 0 && r.Errors[0].Extensions["reason"] == "RATE_LIMITED" {
					last = r.Errors[0]
				}
			}()
		}
		wg.Wait()
		if last.Extensions["reason"] != "RATE_LIMITED" {
			t.Error("12 wrong current passwords were not rate limited")
		}
	})
}

func TestInvitationCheck(t *testing.T) {
	s := newSite(t, nil)
	admin := s.admin()
	identityFixture(admin)
	_, code := s.invite(admin, "alice@forest.example")
	const check = `query($code: String!) { invitationCheck(code: $code) { usable message email firstName expiresAt } }`
	type result struct {
		InvitationCheck struct {
			Usable                               bool
			Message, Email, FirstName, ExpiresAt *string
		}
	}
	anon := s.anonymous()
	var r result
	anon.ok(check, map[string]any{"code": code}, &r)
	if c := r.InvitationCheck; !c.Usable || c.Email == nil || *c.Email != "alice@forest.example" || *c.FirstName != "Alice" || c.Message != nil {
		t.Fatalf("open invitation = %+v", c)
	}
	anon.ok(redeem, map[string]any{"code": code, "password": "first password 123"}, nil)
	for _, tc := range []struct{ name, code, want string }{
		{"used", code, "already used"},
		{"unknown", "nonsense", "not valid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r result
			anon.ok(check, map[string]any{"code": tc.code}, &r)
			if c := r.InvitationCheck; c.Usable || c.Email != nil || c.Message == nil || !strings.Contains(*c.Message, tc.want) {
				t.Errorf("check = %+v", c)
			}
		})
	}
}
