package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
)

// Audit actions of self-service password changes.
const (
	ActionPasswordResetRequested = "password.reset_requested"
	ActionPasswordReset          = "password.reset"
	ActionPasswordChanged        = "password.changed"
	ActionProfileUpdated         = "contact.profile_updated"
)

// ResetTTL is how long a password reset link works.
const ResetTTL = time.Hour

// Reset requests allowed within a minute per email (a form that mails any
// address must not become a way to flood someone's inbox) and per client
// address (looser: a customer's office may share one).
const (
	maxResetsPerEmail   = 3
	maxResetsPerAddress = 10
)

// RequestPasswordReset mails a single-use link that sets a new password to
// the contact with this email, when there is one that can sign in and a
// mailer is configured. Whatever the case it answers the same (nil), in
// about the same time (the mail goes out after the answer), so the form
// reveals nothing about which emails exist.
// Returns EINVALID only for an empty or malformed email, and
// EUNAUTHENTICATED with Details["reason"] = "RATE_LIMITED" after too many
// requests for the email or from the client address in a minute.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	email = normalizeEmail(email)
	if !portal.ValidText(email) || !validEmail(email) || len(email) > 320 {
		return portal.FieldErrorf("email", "Enter your email address, such as jane@example.com.")
	}
	limits := map[string]int{"reset:email:" + strings.ToLower(email): maxResetsPerEmail}
	if ip := portal.ClientIP(ctx); ip != "" {
		limits["reset:ip:"+ip] = maxResetsPerAddress
	}
	if err := s.countRequest(ctx, limits); err != nil {
		return err
	}
	var c struct {
		ID        string
		FirstName string
		Email     string
	}
	err := s.DB.NewRaw(`SELECT id, first_name, email FROM contact
		WHERE lower(email) = lower(?) AND NOT disabled AND password_hash IS NOT NULL`, email).Scan(ctx, &c)
	if errors.Is(err, sql.ErrNoRows) {
		// Nothing to send: an unknown email, a disabled contact, or one
		// that has not redeemed its invitation yet (the invitation is its
		// way in). The answer is the same as when a mail goes out.
		return nil
	}
	if err != nil {
		return err
	}
	token, hash := newSecret()
	var expires time.Time
	err = db.Tx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		// Only the newest link works: an older one may sit in a mailbox
		// someone else reads.
		if _, err := tx.ExecContext(ctx, `UPDATE password_reset SET voided_at = now()
			WHERE contact_id = ? AND used_at IS NULL AND voided_at IS NULL`, c.ID); err != nil {
			return err
		}
		if err := tx.NewRaw(`INSERT INTO password_reset (contact_id, token_hash, expires_at)
			VALUES (?, ?, now() + make_interval(secs => ?)) RETURNING expires_at`, c.ID, hash, ResetTTL.Seconds()).Scan(ctx, &expires); err != nil {
			return err
		}
		return auditAs(ctx, tx, "", ActionPasswordResetRequested, "contact", c.ID, map[string]any{"mailed": s.Mailer != nil})
	})
	if err != nil {
		return err
	}
	s.mailReset(ctx, c.ID, c.Email, c.FirstName, token, expires)
	return nil
}

// ResetURL is the link a reset mail carries.
func (s *Service) ResetURL(token string) string {
	base := strings.TrimRight(s.BaseURL, "/")
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	return base + "/password/reset?token=" + url.QueryEscape(token)
}

// mailReset sends the link in the background, so that the request's answer
// does not wait for (and its timing does not reveal) a mail. Without a
// mailer the link cannot reach anyone: the log says so, never the token.
func (s *Service) mailReset(ctx context.Context, contactID, to, firstName, token string, expires time.Time) {
	logger := s.Logger
	if s.Mailer == nil {
		if logger != nil {
			logger.WarnContext(ctx, "password reset requested, but no SMTP server is configured (PORTAL_SMTP_URL), so no link was mailed; an administrator can invite the contact again instead",
				"contact", contactID)
		}
		return
	}
	body := fmt.Sprintf("Hello %s,\r\n\r\nSomeone (we hope you) asked to reset the password of your customer portal sign-in. Choose a new password here:\r\n\r\n%s\r\n\r\nThe link works once and expires on %s. If you did not ask for it, ignore this mail: your password stays as it is.\r\n",
		firstName, s.ResetURL(token), expires.UTC().Format("2 January 2006 15:04 MST"))
	mailer := s.Mailer
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	go func() {
		defer cancel()
		err := mailer.Send(sctx, to, "Reset your customer portal password", body)
		if logger == nil {
			return
		}
		if err != nil {
			logger.ErrorContext(sctx, "mailing the password reset link failed", "contact", contactID, "err", err)
			return
		}
		logger.InfoContext(sctx, "password reset link mailed", "contact", contactID)
	}()
}

// ResetPassword sets a new password with the token of a reset link. The
// token works once and for ResetTTL; using it ends every session of the
// contact (whoever made the reset necessary may hold one).
// Returns EINVALID on the field "token" for an unknown, used, replaced or
// expired link (each saying what to do), and on "password" for a password
// that breaks the policy; a refused reset leaves the link as it was.
func (s *Service) ResetPassword(ctx context.Context, token, password string) error {
	tokenHash := hashSecret(strings.TrimSpace(token))
	r, err := usableReset(ctx, s.DB, tokenHash, false)
	if err != nil {
		return err
	}
	if err := CheckPasswordPolicy("password", password, r.Email); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return db.Tx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		r, err := usableReset(ctx, tx, tokenHash, true)
		if err != nil {
			return err
		}
		if err := CheckPasswordPolicy("password", password, r.Email); err != nil {
			return err // the email changed in between
		}
		if _, err := tx.ExecContext(ctx, "UPDATE contact SET password_hash = ?, updated_at = now() WHERE id = ?", hash, r.ContactID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE password_reset SET used_at = now() WHERE id = ?", r.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM session WHERE contact_id = ?", r.ContactID); err != nil {
			return err
		}
		return auditAs(ctx, tx, r.ContactID, ActionPasswordReset, "contact", r.ContactID, nil)
	})
}

// PasswordResetCheck says whether a reset link still works, and if not,
// what to do.
type PasswordResetCheck struct {
	Usable bool
	// Message says what to do when the link cannot be used.
	Message *string
}

// CheckReset looks at a reset token without using it, so the page can say
// that a link is dead before the contact types a new password. The token
// is a 256-bit secret: whoever holds it may learn whether it still works.
func (s *Service) CheckReset(ctx context.Context, token string) (*PasswordResetCheck, error) {
	_, err := usableReset(ctx, s.DB, hashSecret(strings.TrimSpace(token)), false)
	if err == nil {
		return &PasswordResetCheck{Usable: true}, nil
	}
	var pe *portal.Error
	if errors.As(err, &pe) && pe.Code == portal.EINVALID {
		return &PasswordResetCheck{Message: &pe.Message}, nil
	}
	return nil, err
}

type passwordReset struct {
	ID        string
	ContactID string
	Email     string
	ExpiresAt time.Time
	UsedAt    *time.Time
	VoidedAt  *time.Time
	Usable    bool
}

// usableReset finds the reset with this token hash (locking it and its
// contact when lock is set), or says why it cannot be used.
func usableReset(ctx context.Context, idb bun.IDB, tokenHash []byte, lock bool) (*passwordReset, error) {
	q := `SELECT r.id, r.contact_id, c.email, r.expires_at, r.used_at, r.voided_at,
		NOT c.disabled AND c.password_hash IS NOT NULL AS usable
		FROM password_reset r JOIN contact c ON c.id = r.contact_id WHERE r.token_hash = ?`
	if lock {
		q += " FOR UPDATE OF r, c"
	}
	r := &passwordReset{}
	err := idb.NewRaw(q, tokenHash).Scan(ctx, r)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, portal.FieldErrorf("token", "This password reset link is not valid. Check that you opened the whole link from the mail, or ask for a new one.")
	}
	if err != nil {
		return nil, err
	}
	switch {
	case r.UsedAt != nil:
		return nil, portal.FieldErrorf("token", "This password reset link was already used. Sign in with your new password, or ask for a new link.")
	case r.VoidedAt != nil:
		return nil, portal.FieldErrorf("token", "A newer password reset link was sent; use the link in the latest mail.")
	case !time.Now().Before(r.ExpiresAt):
		return nil, portal.FieldErrorf("token", "This password reset link expired; ask for a new one.")
	case !r.Usable:
		return nil, portal.FieldErrorf("token", "This sign-in can no longer be used. Ask your administrator for help.")
	}
	return r, nil
}

// countRequest records one request for each key (under a lock per key, so
// concurrent requests cannot all slip under the limit) and refuses once a
// key has its limit of requests within the last minute. It shares the
// sign-in failure table, with keys of their own.
func (s *Service) countRequest(ctx context.Context, limits map[string]int) error {
	keys := slices.Sorted(maps.Keys(limits)) // one lock order: no deadlocks
	return db.Tx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(?, 7204))", k); err != nil {
				return err
			}
		}
		for _, k := range keys {
			var n int
			if err := tx.NewRaw(`SELECT count(*) FROM sign_in_failure WHERE key = ? AND at > now() - interval '1 minute'`, k).Scan(ctx, &n); err != nil {
				return err
			}
			if n >= limits[k] {
				return &portal.Error{Code: portal.EUNAUTHENTICATED,
					Message: "Too many requests for this email or from this address. Wait a minute, then try again.",
					Details: map[string]any{"reason": "RATE_LIMITED", "retryAfterSeconds": 60}}
			}
		}
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, "INSERT INTO sign_in_failure (key) VALUES (?)", k); err != nil {
				return err
			}
		}
		return nil
	})
}
