package graph_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/app"
)

func TestSecureCookieBehindTLSProxy(t *testing.T) {
	s := newSite(t, nil, func(c *app.Config) { c.SecureCookies = true })
	s.admin()
	c := s.anonymous()
	c.ok(signIn, map[string]any{"email": "root@portal.example", "password": "root password 123"}, nil)
	for _, k := range c.last.Cookies() {
		if k.Name == "portal_session" && !k.Secure {
			t.Error("session cookie not Secure though the public URL is https")
		}
	}
}

// TestInviteNeedsRoleAssignment: a role that may invite but not assign
// roles cannot hand out roles through an invitation.
func TestInviteNeedsRoleAssignment(t *testing.T) {
	s := newSite(t, nil)
	admin := s.admin()
	identityFixture(admin)
	var role struct{ CreateWebRole struct{ ID string } }
	admin.ok(`mutation { createWebRole(input: {name: "Helpdesk", description: "invites people"}) { id } }`, nil, &role)
	admin.ok(`mutation($in: TablePermissionInput!) { saveTablePermission(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"name": "Helpdesk: invitations", "table": "invitation", "scope": "GLOBAL", "privileges": []string{"READ", "CREATE"},
		"roleIds": []string{role.CreateWebRole.ID}}}, nil)
	admin.ok(`mutation($in: TablePermissionInput!) { saveTablePermission(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"name": "Helpdesk: contacts", "table": "contact", "scope": "GLOBAL", "privileges": []string{"READ"},
		"roleIds": []string{role.CreateWebRole.ID}}}, nil)
	helperID, code := s.invite(admin, "help@forest.example")
	s.anonymous().ok(redeem, map[string]any{"code": code, "password": "helpdesk password"}, nil)
	admin.ok(`mutation($c: ID!, $r: ID!) { assignWebRole(contactId: $c, roleId: $r) { id } }`, map[string]any{"c": helperID, "r": role.CreateWebRole.ID}, nil)
	help := s.signIn("help@forest.example", "helpdesk password")

	victimID, _ := s.invite(admin, "victim@forest.example")
	before := identitySnapshot(t, s)
	help.fails(inviteContact, map[string]any{"in": map[string]any{"contactId": victimID, "roleIds": []string{s.roleID("Administrators")}}}, "FORBIDDEN")
	if identitySnapshot(t, s) != before {
		t.Error("refused invitation changed the database")
	}
}

func TestInvitationWithdrawnByChanges(t *testing.T) {
	s := newSite(t, nil)
	admin := s.admin()
	identityFixture(admin)
	const update = `mutation($id: ID!, $in: ContactInput!) { updateContact(id: $id, input: $in) { id } }`

	// A new email withdraws the invitation sent to the old one.
	id, code := s.invite(admin, "old@forest.example")
	admin.ok(update, map[string]any{"id": id, "in": contactInput("new@forest.example", "US-001")["in"]}, nil)
	s.anonymous().fails(redeem, map[string]any{"code": code, "password": "long enough password"}, "BAD_USER_INPUT")

	// A name change keeps it.
	id, code = s.invite(admin, "keep@forest.example")
	in := contactInput("keep@forest.example", "US-001")["in"].(map[string]any)
	in["lastName"] = "Renamed"
	admin.ok(update, map[string]any{"id": id, "in": in}, nil)
	s.anonymous().ok(redeem, map[string]any{"code": code, "password": "long enough password"}, nil)

	// Disabling withdraws it, and enabling does not bring it back.
	id, code = s.invite(admin, "gone@forest.example")
	admin.ok(`mutation($id: ID!) { disableContact(id: $id) { id } }`, map[string]any{"id": id}, nil)
	admin.ok(`mutation($id: ID!) { enableContact(id: $id) { id } }`, map[string]any{"id": id}, nil)
	e := s.anonymous().fails(redeem, map[string]any{"code": code, "password": "long enough password"}, "BAD_USER_INPUT")
	if !strings.Contains(e.Message, "withdrawn") {
		t.Errorf("redeeming after disable: %q", e.Message)
	}
	// Both changes went to the ERP outbox.
	var events int
	s.db.NewRaw("SELECT count(*) FROM outbox_event WHERE aggregate_id = ?", id).Scan(context.Background(), &events)
	if events != 3 { // created, disabled, enabled
		t.Errorf("%d outbox events for the disabled and enabled contact, want 3", events)
	}
}

func TestConcurrentInvitations(t *testing.T) {
	s := newSite(t, nil)
	admin := s.admin()
	identityFixture(admin)
	var c struct{ CreateContact struct{ ID string } }
	admin.ok(createContact, contactInput("popular@forest.example", "US-001"), &c)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			admin.do(inviteContact, map[string]any{"in": map[string]any{"contactId": c.CreateContact.ID, "roleIds": []string{s.roleID("Authorized user")}}})
		}()
	}
	wg.Wait()
	var open, all int
	s.db.NewRaw("SELECT count(*) FILTER (WHERE revoked_at IS NULL), count(*) FROM invitation WHERE contact_id = ?", c.CreateContact.ID).Scan(context.Background(), &open, &all)
	if open != 1 || all != 8 {
		t.Errorf("%d open of %d invitations, want 1 of 8", open, all)
	}
}

func TestLastAdministratorCannotBeDisabled(t *testing.T) {
	s := newSite(t, nil)
	admin := s.admin()
	// A second administrator who never signed up does not count.
	var c struct{ CreateContact struct{ ID string } }
	identityFixture(admin)
	admin.ok(createContact, contactInput("admin2@forest.example", "US-001"), &c)
	admin.ok(`mutation($c: ID!, $r: ID!) { assignWebRole(contactId: $c, roleId: $r) { id } }`,
		map[string]any{"c": c.CreateContact.ID, "r": s.roleID("Administrators")}, nil)
	rootID := admin.viewerID()
	admin.fails(`mutation($c: ID!, $r: ID!) { unassignWebRole(contactId: $c, roleId: $r) { id } }`,
		map[string]any{"c": rootID, "r": s.roleID("Administrators")}, "CONFLICT")
	// Disabling is refused through the service too, whoever asks.
	ctx := portal.WithViewer(context.Background(), &portal.Viewer{ContactID: c.CreateContact.ID, RoleKeys: []string{portal.RoleAdministrators}})
	if _, err := s.identity.SetDisabled(ctx, rootID, true); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("disabling the last administrator: %v", err)
	}
}

func TestRateLimitPerEmailAndConcurrent(t *testing.T) {
	s := newSite(t, nil)
	admin := s.admin()
	identityFixture(admin)
	_, code := s.invite(admin, "gina@forest.example")
	admin.ok(redeem, map[string]any{"code": code, "password": "gina password 1"}, nil)

	// From ten different addresses: the email's own limit applies, in any
	// case and with spaces.
	for i := 0; i < 10; i++ {
		ctx := portal.WithClientIP(context.Background(), fmt.Sprintf("10.0.0.%d", i))
		_, err := s.identity.SignIn(ctx, []string{"gina@forest.example", " GINA@forest.example "}[i%2], "wrong password")
		if portal.ErrorCode(err) != portal.EUNAUTHENTICATED {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	_, err := s.identity.SignIn(portal.WithClientIP(context.Background(), "10.0.1.1"), "gina@forest.example", "gina password 1")
	var pe *portal.Error
	if !asPortalError(err, &pe) || pe.Details["reason"] != "RATE_LIMITED" {
		t.Errorf("11th attempt from a new address: %v", err)
	}

	// 30 concurrent wrong guesses for another email from one address: at
	// most 10 are checked, the rest refused by the limit.
	s.db.ExecContext(context.Background(), "DELETE FROM sign_in_failure")
	var wg sync.WaitGroup
	var mu sync.Mutex
	limited := 0
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ctx := portal.WithClientIP(context.Background(), "192.0.2.7")
			_, err := s.identity.SignIn(ctx, "root@portal.example", fmt.Sprintf("guess %d", i))
			var pe *portal.Error
			if asPortalError(err, &pe) && pe.Details["reason"] == "RATE_LIMITED" {
				mu.Lock()
				limited++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if limited < 20 {
		t.Errorf("%d of 30 concurrent guesses were limited, want at least 20", limited)
	}
}

func asPortalError(err error, target **portal.Error) bool {
	pe, ok := err.(*portal.Error)
	if ok {
		*target = pe
	}
	return ok
}
