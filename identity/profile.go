package identity

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
)

// ProfileInput is what a signed-in contact may change about itself.
type ProfileInput struct {
	FirstName string
	LastName  string
	// Phone nil keeps it; empty clears it.
	Phone *string
}

// maxNameLength and maxPhoneLength bound what a contact types about itself.
const (
	maxNameLength  = 100
	maxPhoneLength = 40
)

// UpdateMyProfile changes the viewer's own name and phone number. It needs
// no table permission: everyone may keep their own name right, as everyone
// may see who they are signed in as. What the company decides (email,
// account, price list) stays with administrators. A name change travels to
// the ERP like any contact change.
// Returns EUNAUTHENTICATED for an anonymous viewer, EINVALID per field.
func (s *Service) UpdateMyProfile(ctx context.Context, in ProfileInput) (*Contact, error) {
	v := portal.ViewerFrom(ctx)
	if v.Anonymous() {
		return nil, portal.Errorf(portal.EUNAUTHENTICATED, "Sign in to change your profile.")
	}
	first, err := checkName("firstName", "First name", in.FirstName)
	if err != nil {
		return nil, err
	}
	last, err := checkName("lastName", "Last name", in.LastName)
	if err != nil {
		return nil, err
	}
	var phone *string
	if in.Phone != nil {
		p, err := checkPhone("phone", *in.Phone)
		if err != nil {
			return nil, err
		}
		phone = &p
	}
	err = db.Tx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		var old struct{ FirstName, LastName string }
		if err := tx.NewRaw("SELECT first_name, last_name FROM contact WHERE id = ? FOR UPDATE", v.ContactID).Scan(ctx, &old); err != nil {
			return err
		}
		detail := map[string]any{}
		if old.FirstName != first || old.LastName != last {
			if _, err := tx.ExecContext(ctx, "UPDATE contact SET first_name = ?, last_name = ?, updated_at = now() WHERE id = ?",
				first, last, v.ContactID); err != nil {
				return err
			}
			if err := recordContactEvent(ctx, tx, v.ContactID); err != nil {
				return err
			}
			detail["name"] = true
		}
		if phone != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO contact_profile (contact_id, phone) VALUES (?, ?)
				ON CONFLICT (contact_id) DO UPDATE SET phone = excluded.phone, updated_at = now()`, v.ContactID, *phone); err != nil {
				return err
			}
			detail["phone"] = true
		}
		return audit(ctx, tx, ActionProfileUpdated, "contact", v.ContactID, detail)
	})
	if err != nil {
		return nil, err
	}
	return s.Self(ctx, v)
}

func checkName(field, label, s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", portal.FieldErrorf(field, "%s is required.", label)
	case !portal.ValidText(s) || strings.ContainsAny(s, "\r\n"):
		return "", portal.FieldErrorf(field, "%s must be one line of text.", label)
	case utf8.RuneCountInString(s) > maxNameLength:
		return "", portal.FieldErrorf(field, "%s may have at most %d characters.", label, maxNameLength)
	}
	return s, nil
}

// checkPhone accepts what people write phone numbers with: digits, spaces,
// + - ( ) . / and an extension ("x 12"), with at least one digit.
func checkPhone(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case unicode.IsSpace(r) && r != '\r' && r != '\n', strings.ContainsRune("+-().x/", r):
		default:
			return "", portal.FieldErrorf(field, "A phone number has digits and + - ( ) . only, such as +1 425 555 0100.")
		}
	}
	if digits == 0 {
		return "", portal.FieldErrorf(field, "A phone number has digits, such as +1 425 555 0100.")
	}
	if len(s) > maxPhoneLength {
		return "", portal.FieldErrorf(field, "A phone number may have at most %d characters.", maxPhoneLength)
	}
	return s, nil
}

// Phones returns the phone numbers of these contacts, in the same order, ""
// where none is known. Callers pass only contacts the viewer may read.
func (s *Service) Phones(ctx context.Context, contactIDs []string) ([]string, error) {
	out := make([]string, len(contactIDs))
	valid := db.ValidIDs(contactIDs)
	if len(valid) == 0 {
		return out, nil
	}
	var rows []struct {
		ContactID string
		Phone     string
	}
	if err := s.DB.NewRaw("SELECT contact_id, phone FROM contact_profile WHERE contact_id IN (?)", bun.List(valid)).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	byID := make(map[string]string, len(rows))
	for _, r := range rows {
		byID[r.ContactID] = r.Phone
	}
	for i, id := range contactIDs {
		out[i] = byID[id]
	}
	return out, nil
}

// ChangePassword sets a new password for the viewer after checking its
// current one, and ends its other sessions (the reason to change a password
// is often that someone else may know it). Wrong current passwords count
// toward the sign-in rate limit of the contact, so a session left open on
// a shared computer cannot be used to guess it.
// Returns EUNAUTHENTICATED for an anonymous viewer or when rate limited,
// EINVALID on "currentPassword" when it is wrong and on "newPassword" for a
// password that breaks the policy or equals the current one.
func (s *Service) ChangePassword(ctx context.Context, current, next string) error {
	v := portal.ViewerFrom(ctx)
	if v.Anonymous() {
		return portal.Errorf(portal.EUNAUTHENTICATED, "Sign in to change your password.")
	}
	attempt, _, err := s.claimAttempt(ctx, []string{"password:" + v.ContactID}, "")
	if err != nil {
		return err
	}
	var c struct {
		Email        string
		PasswordHash *string
	}
	if err := s.DB.NewRaw("SELECT email, password_hash FROM contact WHERE id = ?", v.ContactID).Scan(ctx, &c); err != nil {
		return err
	}
	if c.PasswordHash == nil || !PasswordMatches(current, *c.PasswordHash) {
		return portal.FieldErrorf("currentPassword", "Your current password is not right.")
	}
	if err := CheckPasswordPolicy("newPassword", next, c.Email); err != nil {
		return err
	}
	if next == current {
		return portal.FieldErrorf("newPassword", "Choose a password other than your current one.")
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	return db.Tx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM sign_in_failure WHERE id IN (?)", bun.List(attempt)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE contact SET password_hash = ?, updated_at = now() WHERE id = ?", hash, v.ContactID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM session WHERE contact_id = ? AND id::text <> ?", v.ContactID, v.SessionID); err != nil {
			return err
		}
		return audit(ctx, tx, ActionPasswordChanged, "contact", v.ContactID, nil)
	})
}
