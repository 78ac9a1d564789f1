package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/paging"
	"github.com/openportal/portal/policies"
)

// Invitation lets one contact set a password, once, before it expires.
type Invitation struct {
	bun.BaseModel `bun:"table:invitation"`
	ID            string `bun:",pk,type:uuid"`
	ContactID     string `bun:",type:uuid"`
	ExpiresAt     time.Time
	RedeemedAt    *time.Time
	RevokedAt     *time.Time
	InvitedBy     *string `bun:",type:uuid"`
	CreatedAt     time.Time
	RoleIDs       []string `bun:"role_ids,array,scanonly"`
}

// Invitation states.
const (
	InvitationOpen     = "OPEN"
	InvitationRedeemed = "REDEEMED"
	InvitationRevoked  = "REVOKED"
	InvitationExpired  = "EXPIRED"
)

// Status is where the invitation stands now.
func (i *Invitation) Status() string {
	switch {
	case i.RedeemedAt != nil:
		return InvitationRedeemed
	case i.RevokedAt != nil:
		return InvitationRevoked
	case !time.Now().Before(i.ExpiresAt):
		return InvitationExpired
	}
	return InvitationOpen
}

// invitationColumns leaves out code_hash: nothing reads a code back.
const invitationColumns = "id, contact_id, expires_at, redeemed_at, revoked_at, invited_by, created_at"

const invitationSelect = `SELECT i.id, i.contact_id, i.expires_at, i.redeemed_at, i.revoked_at, i.invited_by, i.created_at, ARRAY(SELECT ir.web_role_id::text FROM invitation_role ir
	WHERE ir.invitation_id = i.id ORDER BY ir.web_role_id) AS role_ids FROM invitation i`

// InviteInput invites a contact with the roles it gets on redemption.
type InviteInput struct {
	ContactID      string
	RoleIDs        []string
	ExpiresInHours *int
}

// InvitationPayload is a new invitation with its code, shown this once.
type InvitationPayload struct {
	Invitation *Invitation
	Code       string
	URL        string
}

// DefaultInvitationHours is how long an invitation lasts unless told.
const DefaultInvitationHours = 7 * 24

// Invite creates an invitation for a contact and revokes its earlier open
// ones. The code is returned once and mailed when a mailer is configured.
// Returns EINVALID while the contact lacks what ordering needs (the list is
// in Details["missingFields"]), when it already has a sign-in, or for bad
// roles or expiry; ENOTFOUND for an unknown contact; EUNAUTHENTICATED or
// EFORBIDDEN when the viewer may not invite.
func (s *Service) Invite(ctx context.Context, in InviteInput) (*InvitationPayload, error) {
	if err := s.Policy.Require(ctx, policies.TableInvitation, policies.Create); err != nil {
		return nil, err
	}
	// The invitation grants roles when redeemed, so inviting is assigning
	// roles: it needs what assignWebRole needs, or a role allowed to invite
	// could mint administrators.
	if err := s.Policy.Require(ctx, policies.TableWebRole, policies.Write); err != nil {
		return nil, err
	}
	c, err := s.Contact(ctx, in.ContactID)
	if err != nil {
		if portal.ErrorCode(err) == portal.ENOTFOUND {
			return nil, &portal.Error{Code: portal.ENOTFOUND, Field: "contactId", Message: fmt.Sprintf("Contact %s does not exist.", in.ContactID)}
		}
		return nil, err
	}
	if missing := c.MissingOrderFields(); len(missing) > 0 {
		return nil, &portal.Error{Code: portal.EINVALID, Field: "contactId",
			Message: fmt.Sprintf("%s %s cannot be invited yet: the contact lacks %s, which ordering needs. Complete the contact or its customer account first.",
				c.FirstName, c.LastName, strings.Join(missing, ", ")),
			Details: map[string]any{"missingFields": missing}}
	}
	if c.HasSignIn {
		return nil, portal.FieldErrorf("contactId", "%s already has a sign-in; invitations are for contacts who have none. To change roles, assign them instead.", c.Email)
	}
	if c.Disabled {
		return nil, portal.FieldErrorf("contactId", "%s is disabled; enable the contact before inviting it.", c.Email)
	}
	hours := DefaultInvitationHours
	if in.ExpiresInHours != nil {
		hours = *in.ExpiresInHours
	}
	if hours < 1 || hours > 30*24 {
		return nil, portal.FieldErrorf("expiresInHours", "An invitation must expire in 1 to 720 hours (30 days), not %d.", hours)
	}
	roleIDs, err := s.checkInvitationRoles(ctx, in.RoleIDs)
	if err != nil {
		return nil, err
	}

	code, hash := newSecret()
	inv := &Invitation{}
	err = db.Tx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		// Lock the contact, so concurrent invitations of it follow one
		// another (each revoking the one before), and check again what may
		// have changed since the checks above.
		locked := &Contact{}
		if err := tx.NewRaw(contactSelect+" WHERE c.id = ? FOR UPDATE OF c", c.ID).Scan(ctx, locked); err != nil {
			return err
		}
		if locked.HasSignIn || locked.Disabled || len(locked.MissingOrderFields()) > 0 {
			return portal.FieldErrorf("contactId", "%s changed while it was being invited; look at the contact and invite it again.", c.Email)
		}
		// Re-inviting replaces the earlier open invitations: only the
		// newest code works.
		if err := revokeOpenInvitations(ctx, tx, c.ID); err != nil {
			return err
		}
		var invitedBy *string
		if v := portal.ViewerFrom(ctx); !v.Anonymous() {
			invitedBy = &v.ContactID
		}
		if err := tx.NewRaw(`INSERT INTO invitation (contact_id, code_hash, expires_at, invited_by)
			VALUES (?, ?, now() + make_interval(hours => ?), ?) RETURNING `+invitationColumns, c.ID, hash, hours, invitedBy).Scan(ctx, inv); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO invitation_role (invitation_id, web_role_id)
			SELECT ?, unnest(?::uuid[])`, inv.ID, pgArray(roleIDs)); err != nil {
			return err
		}
		inv.RoleIDs = roleIDs
		return audit(ctx, tx, ActionInvitationCreated, "contact", c.ID, map[string]any{"invitation": inv.ID, "roles": roleIDs, "expiresAt": inv.ExpiresAt})
	})
	if err != nil {
		return nil, err
	}
	p := &InvitationPayload{Invitation: inv, Code: code, URL: s.signUpURL(code)}
	s.deliver(ctx, c, p)
	return p, nil
}

// checkInvitationRoles requires at least one role, each existing and not
// one that every contact holds implicitly.
func (s *Service) checkInvitationRoles(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, portal.FieldErrorf("roleIds", "Choose at least one role for the contact, such as Authorized user.")
	}
	seen := map[string]bool{}
	var out []string
	for i, id := range ids {
		field := fmt.Sprintf("roleIds[%d]", i)
		var r policies.WebRole
		if !db.ValidID(id) {
			return nil, portal.FieldErrorf(field, "Role %s does not exist.", id)
		}
		err := s.DB.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, portal.FieldErrorf(field, "Role %s does not exist.", id)
		}
		if err != nil {
			return nil, err
		}
		if r.Key != nil && (*r.Key == portal.RoleAnonymousUsers || *r.Key == portal.RoleAuthenticatedUsers) {
			return nil, portal.FieldErrorf(field, "%s is held implicitly and cannot be granted; choose a role such as Authorized user.", r.Name)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

func (s *Service) signUpURL(code string) string {
	base := strings.TrimRight(s.BaseURL, "/")
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	return base + "/sign-up?code=" + url.QueryEscape(code)
}

// deliver mails the sign-up link, or, with no mailer, logs that the
// administrator must hand it over. The code itself never reaches the log.
func (s *Service) deliver(ctx context.Context, c *Contact, p *InvitationPayload) {
	logger := s.Logger
	if logger == nil {
		return
	}
	redacted := s.signUpURL("REDACTED")
	if s.Mailer == nil {
		logger.InfoContext(ctx, "invitation created; no SMTP server configured (PORTAL_SMTP_URL), so give the invitee the url returned by inviteContact",
			"contact", c.ID, "invitation", p.Invitation.ID, "url", redacted, "expires", p.Invitation.ExpiresAt)
		return
	}
	body := fmt.Sprintf("Hello %s,\r\n\r\nYou are invited to the customer portal. Set your password here:\r\n\r\n%s\r\n\r\nThe link works once and expires on %s.\r\n",
		c.FirstName, p.URL, p.Invitation.ExpiresAt.UTC().Format("2 January 2006 15:04 MST"))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := s.Mailer.Send(sctx, c.Email, "Your invitation to the customer portal", body); err != nil {
		logger.ErrorContext(ctx, "mailing the invitation failed; give the invitee the url returned by inviteContact",
			"contact", c.ID, "invitation", p.Invitation.ID, "err", err)
		return
	}
	logger.InfoContext(ctx, "invitation mailed", "contact", c.ID, "invitation", p.Invitation.ID, "url", redacted)
}

// RevokeInvitation stops an open invitation from working.
// Returns ENOTFOUND, ECONFLICT when it was already redeemed, and
// EUNAUTHENTICATED/EFORBIDDEN when the viewer may not manage invitations.
func (s *Service) RevokeInvitation(ctx context.Context, id string) (*Invitation, error) {
	if err := s.Policy.Require(ctx, policies.TableInvitation, policies.Write); err != nil {
		return nil, err
	}
	var inv *Invitation
	err := db.Tx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		var err error
		inv, err = invitationForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if inv.RedeemedAt != nil {
			return portal.Errorf(portal.ECONFLICT, "Invitation %s was already redeemed; disable the contact instead to stop it signing in.", id)
		}
		if inv.RevokedAt == nil {
			if err := tx.NewRaw("UPDATE invitation SET revoked_at = now() WHERE id = ? RETURNING revoked_at", id).Scan(ctx, &inv.RevokedAt); err != nil {
				return err
			}
		}
		return audit(ctx, tx, ActionInvitationRevoked, "contact", inv.ContactID, map[string]any{"invitation": id})
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

func invitationForUpdate(ctx context.Context, tx bun.IDB, id string) (*Invitation, error) {
	notFound := portal.Errorf(portal.ENOTFOUND, "Invitation %s does not exist.", id)
	if !db.ValidID(id) {
		return nil, notFound
	}
	inv := &Invitation{}
	err := tx.NewRaw(invitationSelect+" WHERE i.id = ? FOR UPDATE OF i", id).Scan(ctx, inv)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound
	}
	return inv, err
}

// InvitationFilter selects a page of invitations.
type InvitationFilter struct {
	ContactID *string
	paging.Args
}

// Invitations lists invitations, newest first.
// Returns EUNAUTHENTICATED/EFORBIDDEN when the viewer may not read them.
func (s *Service) Invitations(ctx context.Context, f InvitationFilter) (paging.Page[*Invitation], error) {
	var page paging.Page[*Invitation]
	if err := s.Policy.Require(ctx, policies.TableInvitation, policies.Read); err != nil {
		return page, err
	}
	var afterAt time.Time
	var afterID string
	limit, hasAfter, err := f.Start(&afterAt, &afterID)
	if err != nil {
		return page, err
	}
	if hasAfter && !db.ValidID(afterID) {
		return page, paging.ErrBadCursor(f.Args)
	}
	cond, args := "TRUE", []any{}
	if f.ContactID != nil {
		if !db.ValidID(*f.ContactID) {
			return paging.Page[*Invitation]{Items: []*Invitation{}}, nil
		}
		cond, args = "i.contact_id = ?", append(args, *f.ContactID)
	}
	var total int
	if err := s.DB.NewRaw("SELECT count(*) FROM invitation i WHERE "+cond, args...).Scan(ctx, &total); err != nil {
		return page, err
	}
	q := invitationSelect + " WHERE " + cond
	if hasAfter {
		q += " AND (i.created_at, i.id) < (?, ?)"
		args = append(args, afterAt, afterID)
	}
	q += " ORDER BY i.created_at DESC, i.id DESC LIMIT ?"
	args = append(args, limit+1)
	var rows []*Invitation
	if err := s.DB.NewRaw(q, args...).Scan(ctx, &rows); err != nil {
		return page, err
	}
	return paging.Trim(rows, limit, func(i *Invitation) string { return paging.Cursor(i.CreatedAt, i.ID) }, total), nil
}

// revokeOpenInvitations withdraws every open invitation of a contact.
func revokeOpenInvitations(ctx context.Context, tx bun.IDB, contactID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE invitation SET revoked_at = now()
		WHERE contact_id = ? AND redeemed_at IS NULL AND revoked_at IS NULL`, contactID)
	return err
}
