package identity

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/policies"
)

// Session defaults, and the sign-in rate limit: failures per key (the
// client address, and the email from that address) within one minute.
const (
	DefaultSessionTTL  = 7 * 24 * time.Hour
	DefaultIdleTimeout = 24 * time.Hour
	MaxSignInFailures  = 10
	// touchEvery bounds how often a session's last_seen_at is written: not
	// on every request.
	touchEvery = time.Minute
)

// SignInSlowdown is how long a sign-in for an email waits, before its
// password is checked, after failures within the last minute for that email
// from anywhere: nothing below MaxSignInFailures, then 250 ms more for each
// further failure, at most 3 s. Guessing one account's password from many
// addresses is slowed down, while its owner, signing in from an address
// that is not guessing, still gets in.
func SignInSlowdown(failures int) time.Duration {
	if failures < MaxSignInFailures {
		return 0
	}
	return min(time.Duration(failures-MaxSignInFailures+1)*250*time.Millisecond, 3*time.Second)
}

// SignIn is a new session: the token, shown this once, its expiry, and the
// viewer it stands for.
type SignIn struct {
	Token     string
	ExpiresAt time.Time
	Viewer    *portal.Viewer
}

// errWrongCredentials is the only answer to a failed sign-in, whatever
// failed, so that it reveals nothing about which emails exist.
var errWrongCredentials = portal.Errorf(portal.EUNAUTHENTICATED, "The email or password is wrong.")

// dummyHash is compared against when the email is unknown, so that an
// unknown email takes as long to refuse as a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("portal dummy password for timing")
	return h
})

func (s *Service) ttl() time.Duration {
	if s.SessionTTL > 0 {
		return s.SessionTTL
	}
	return DefaultSessionTTL
}

func (s *Service) idle() time.Duration {
	if s.IdleTimeout > 0 {
		return s.IdleTimeout
	}
	return DefaultIdleTimeout
}

// SignIn checks an email and password and starts a session.
// Returns EUNAUTHENTICATED "The email or password is wrong." for an unknown
// email, a wrong password, a contact without sign-in or a disabled one, and
// EUNAUTHENTICATED with Details["reason"] = "RATE_LIMITED" after too many
// failures from the client address, or for the email from that address,
// within a minute. Failures for the email from anywhere do not refuse (that
// would let anyone lock its owner out): they slow its sign-ins down (see
// SignInSlowdown).
func (s *Service) SignIn(ctx context.Context, email, password string) (*SignIn, error) {
	email = normalizeEmail(email)
	if !portal.ValidText(email) || len(email) > 320 {
		return nil, errWrongCredentials
	}
	emailKey := "email:" + strings.ToLower(email)
	addr := addressKey(portal.ClientIP(ctx))
	limited := []string{"pair:" + strings.ToLower(email) + "|" + addr}
	if addr != "" {
		limited = append(limited, "ip:"+addr)
	}
	attempt, failures, err := s.claimAttempt(ctx, limited, emailKey)
	if err != nil {
		return nil, err
	}
	if d := SignInSlowdown(failures); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
	var c struct {
		ID           string
		PasswordHash sql.NullString
		Disabled     bool
	}
	err = s.DB.NewRaw("SELECT id, password_hash, disabled FROM contact WHERE lower(email) = lower(?)", email).Scan(ctx, &c)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	hash := c.PasswordHash.String
	if !c.PasswordHash.Valid {
		hash = dummyHash()
	}
	matches, err := passwordMatches(ctx, password, hash)
	if err != nil {
		return nil, err
	}
	if !matches || !c.PasswordHash.Valid || c.Disabled {
		// The attempt stays counted. The audit names the contact, never
		// the text typed as an email: that is sometimes a password.
		subject := c.ID
		if subject == "" {
			subject = "unknown"
		}
		if err := auditAs(ctx, s.DB, "", ActionSignInFailed, "contact", subject, nil); err != nil {
			return nil, err
		}
		return nil, errWrongCredentials
	}
	out, err := db.TxValue(ctx, s.DB, func(ctx context.Context, tx bun.Tx) (*SignIn, error) {
		if _, err := tx.ExecContext(ctx, "DELETE FROM sign_in_failure WHERE id IN (?)", bun.List(attempt)); err != nil {
			return nil, err
		}
		out, err := s.newSession(ctx, tx, c.ID)
		if err != nil {
			return nil, err
		}
		return out, auditAs(ctx, tx, c.ID, ActionSignedIn, "contact", c.ID, nil)
	})
	if err != nil {
		return nil, err
	}
	return s.withViewer(ctx, out)
}

// addressKey is the client address as the rate limit counts it: an IPv4
// address as it is, an IPv6 address by its /64 (one subscriber's network
// holds 2^64 addresses, so counting them one by one limits nothing).
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
}

// claimAttempt counts a sign-in attempt as a failure before the password is
// checked (a success takes it back), under a lock per limited key: so
// concurrent attempts cannot all pass the limit before any failure is
// recorded. It refuses when a limited key already has MaxSignInFailures
// within the last minute; the email key is only counted, and its count
// within the last minute (this attempt excluded) is returned with the ids
// of the rows written. An empty emailKey counts nothing but the limited keys.
func (s *Service) claimAttempt(ctx context.Context, limited []string, emailKey string) (ids []int64, emailFailures int, err error) {
	limited = slices.Sorted(slices.Values(limited)) // one lock order: no deadlocks
	type claim struct {
		ids      []int64
		failures int
	}
	c, err := db.TxValue(ctx, s.DB, func(ctx context.Context, tx bun.Tx) (claim, error) {
		var c claim
		for _, k := range limited {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(?, 7204))", k); err != nil {
				return c, err
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sign_in_failure WHERE at < now() - interval '10 minutes'"); err != nil {
			return c, err
		}
		var n int
		err := tx.NewRaw(`SELECT count(*) FROM sign_in_failure WHERE key IN (?) AND at > now() - interval '1 minute'
			GROUP BY key ORDER BY 1 DESC LIMIT 1`, bun.List(limited)).Scan(ctx, &n)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return c, err
		}
		if n >= MaxSignInFailures {
			return c, &portal.Error{Code: portal.EUNAUTHENTICATED,
				Message: "Too many failed sign-ins from this address. Wait a minute, then try again.",
				Details: map[string]any{"reason": "RATE_LIMITED", "retryAfterSeconds": 60}}
		}
		keys := limited
		if emailKey != "" {
			if err := tx.NewRaw("SELECT count(*) FROM sign_in_failure WHERE key = ? AND at > now() - interval '1 minute'",
				emailKey).Scan(ctx, &c.failures); err != nil {
				return c, err
			}
			keys = append(slices.Clip(limited), emailKey)
		}
		for _, k := range keys {
			var id int64
			if err := tx.NewRaw("INSERT INTO sign_in_failure (key) VALUES (?) RETURNING id", k).Scan(ctx, &id); err != nil {
				return c, err
			}
			c.ids = append(c.ids, id)
		}
		return c, nil
	})
	return c.ids, c.failures, err
}

// newSession stores a session for a contact and returns its token.
func (s *Service) newSession(ctx context.Context, tx bun.IDB, contactID string) (*SignIn, error) {
	token, hash := newSecret()
	out := &SignIn{Token: token}
	// The contact is checked again here, in the statement that makes the
	// session: it may have been disabled while its password was checked.
	err := tx.NewRaw(`INSERT INTO session (token_hash, contact_id, expires_at, client_ip, user_agent)
		SELECT ?, c.id, now() + make_interval(secs => ?), ?, ? FROM contact c
		WHERE c.id = ? AND NOT c.disabled AND c.password_hash IS NOT NULL RETURNING expires_at`,
		hash, s.ttl().Seconds(), portal.ClientIP(ctx), userAgent(ctx), contactID).Scan(ctx, &out.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errWrongCredentials
	}
	if err != nil {
		return nil, err
	}
	out.Viewer = &portal.Viewer{ContactID: contactID}
	return out, nil
}

// withViewer fills in the full viewer (roles, account) of a new session.
func (s *Service) withViewer(ctx context.Context, in *SignIn) (*SignIn, error) {
	v, err := s.ViewerFor(ctx, in.Viewer.ContactID)
	if err != nil {
		return nil, err
	}
	in.Viewer = v
	return in, nil
}

// Authenticate returns the viewer of a session token, or nil when the token
// is unknown, expired, idle too long, or its contact is disabled. With a
// SessionCache, a token seen recently costs no statement at all; otherwise
// one statement reads the session and the viewer together.
func (s *Service) Authenticate(ctx context.Context, token string) (*portal.Viewer, error) {
	if token == "" || len(token) > 100 {
		return nil, nil
	}
	hash := sha256.Sum256([]byte(token))
	now := time.Now()
	e, ok := s.Sessions.get(hash, now, s.idle())
	if !ok {
		gen := s.Sessions.generation()
		var err error
		if e, err = s.readSession(ctx, hash); err != nil || e == nil {
			return nil, err
		}
		s.Sessions.put(hash, gen, e)
	}
	if seen := e.lastSeen.Load(); now.Sub(time.Unix(0, seen)) > touchEvery && e.lastSeen.CompareAndSwap(seen, now.UnixNano()) {
		if _, err := s.DB.DB.ExecContext(ctx, "UPDATE session SET last_seen_at = now() WHERE id = $1", e.viewer.SessionID); err != nil {
			return nil, err
		}
	}
	v := *e.viewer // the cached one is shared: callers get their own
	return &v, nil
}

// sessionQuery reads a live session and its viewer (as ViewerFor builds
// it) in one statement, with bound parameters so its text is the same for
// every token.
const sessionQuery = `SELECT s.id AS session_id, s.expires_at, s.last_seen_at,
		c.id, c.legal_entity_id, c.customer_account_id,
		COALESCE(c.price_list_id, a.price_list_id) AS price_list_id,
		ARRAY(SELECT wr.id::text FROM web_role wr WHERE wr.key = 'authenticated_users'
			OR wr.id IN (SELECT web_role_id FROM contact_web_role WHERE contact_id = c.id) ORDER BY wr.id) AS role_ids,
		ARRAY(SELECT wr.key FROM web_role wr WHERE wr.key IS NOT NULL AND (wr.key = 'authenticated_users'
			OR wr.id IN (SELECT web_role_id FROM contact_web_role WHERE contact_id = c.id)) ORDER BY wr.key) AS role_keys
	FROM session s JOIN contact c ON c.id = s.contact_id LEFT JOIN customer_account a ON a.id = c.customer_account_id
	WHERE s.token_hash = ? AND s.expires_at > now() AND s.last_seen_at > now() - make_interval(secs => ?) AND NOT c.disabled`

// readSession reads the session of a token hash; nil when there is no live
// one.
func (s *Service) readSession(ctx context.Context, hash [32]byte) (*cachedSession, error) {
	var rows []struct {
		SessionID         string
		ExpiresAt         time.Time
		LastSeenAt        time.Time
		ID                string
		LegalEntityID     sql.NullString
		CustomerAccountID sql.NullString
		PriceListID       sql.NullString
		RoleIDs           []string `bun:"role_ids,array"`
		RoleKeys          []string `bun:"role_keys,array"`
	}
	// The policy version goes with what is read: read it first, so a
	// change in between leaves the entry already stale, not wrongly fresh.
	version := s.Policy.Version()
	if err := db.Select(ctx, s.DB, &rows, sessionQuery, hash[:], s.idle().Seconds()); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	r := rows[0]
	e := &cachedSession{expiresAt: r.ExpiresAt, fetched: time.Now(), policyVersion: version,
		viewer: &portal.Viewer{
			ContactID:       r.ID,
			LegalEntityID:   r.LegalEntityID.String,
			CustomerAccount: r.CustomerAccountID.String,
			PriceListID:     r.PriceListID.String,
			RoleIDs:         r.RoleIDs,
			RoleKeys:        r.RoleKeys,
			SessionID:       r.SessionID,
		}}
	e.lastSeen.Store(r.LastSeenAt.UnixNano())
	return e, nil
}

// SignOut ends the viewer's session. Signing out without one is harmless.
func (s *Service) SignOut(ctx context.Context) error {
	v := portal.ViewerFrom(ctx)
	if v.SessionID == "" {
		return nil
	}
	err := db.Tx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM session WHERE id = ?", v.SessionID); err != nil {
			return err
		}
		return audit(ctx, tx, ActionSignedOut, "contact", v.ContactID, nil)
	})
	if err == nil {
		// Here at once; the trigger's notification tells the others.
		s.Sessions.ForgetContact(v.ContactID)
	}
	return err
}

// Redeem consumes an invitation code: it sets the contact's password,
// grants the invitation's roles and signs the contact in, all in one
// transaction that locks the invitation, so of two concurrent redemptions
// of one code exactly one wins. The slow password hash is computed before
// that transaction, so no lock waits for it.
// Returns EINVALID for an unknown, expired, revoked or used code (each with
// its own message), a contact that can no longer order or sign in, or a
// password that breaks the policy; a refused redemption leaves the code as
// it was.
func (s *Service) Redeem(ctx context.Context, code, password string) (*SignIn, error) {
	codeHash := hashSecret(strings.TrimSpace(code))
	inv, err := s.usableInvitation(ctx, s.DB, codeHash, false)
	if err != nil {
		return nil, err
	}
	c, err := s.redeemableContact(ctx, s.DB, inv.ContactID, false)
	if err != nil {
		return nil, err
	}
	if err := CheckPasswordPolicy("password", password, c.Email); err != nil {
		return nil, err
	}
	hash, err := hashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	out, err := db.TxValue(ctx, s.DB, func(ctx context.Context, tx bun.Tx) (*SignIn, error) {
		// Everything checked above is checked again under the locks.
		inv, err := s.usableInvitation(ctx, tx, codeHash, true)
		if err != nil {
			return nil, err
		}
		c, err := s.redeemableContact(ctx, tx, inv.ContactID, true)
		if err != nil {
			return nil, err
		}
		if err := CheckPasswordPolicy("password", password, c.Email); err != nil {
			return nil, err // the email changed in between
		}
		if err := s.inviterMayStillGrant(ctx, inv); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE contact SET password_hash = ?, updated_at = now() WHERE id = ?", hash, inv.ContactID); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE invitation SET redeemed_at = now() WHERE id = ?", inv.ID); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO contact_web_role (contact_id, web_role_id)
			SELECT ?, web_role_id FROM invitation_role WHERE invitation_id = ? ON CONFLICT DO NOTHING`, inv.ContactID, inv.ID); err != nil {
			return nil, err
		}
		if err := policies.RolesChanged(ctx, tx); err != nil {
			return nil, err
		}
		out, err := s.newSession(ctx, tx, inv.ContactID)
		if err != nil {
			return nil, err
		}
		return out, auditAs(ctx, tx, inv.ContactID, ActionInvitationRedeemed, "contact", inv.ContactID, map[string]any{"invitation": inv.ID})
	})
	if err != nil {
		return nil, err
	}
	return s.withViewer(ctx, out)
}

// errInvitationUsed is what every loser of a redemption race hears,
// whichever of its reads saw the winner's commit. A new error each time:
// callers may add to it.
func errInvitationUsed() *portal.Error {
	return portal.FieldErrorf("code", "This invitation was already used. Sign in with your email and password, or ask your administrator for a new invitation.")
}

// inviterMayStillGrant refuses an invitation whose inviter has since been
// disabled or deleted, or no longer holds what inviting needs (CREATE on
// invitation and WRITE on web_role, as Invite checks): the roles an
// invitation grants are its inviter's to grant at redemption, not only when
// it was sent.
func (s *Service) inviterMayStillGrant(ctx context.Context, inv *Invitation) error {
	refused := portal.FieldErrorf("code", "This invitation can no longer be used: whoever sent it may no longer invite. Ask your administrator for a new one.")
	if inv.InvitedBy == nil {
		return refused // the inviter's contact was deleted
	}
	v, err := s.ViewerFor(ctx, *inv.InvitedBy)
	if portal.ErrorCode(err) == portal.ENOTFOUND {
		return refused // disabled
	}
	if err != nil {
		return err
	}
	as := portal.WithViewer(ctx, v)
	if s.Policy.Scope(as, policies.TableInvitation, policies.Create).None() || s.Policy.Scope(as, policies.TableWebRole, policies.Write).None() {
		return refused
	}
	return nil
}

// usableInvitation finds the open invitation with this code hash, locking
// it when lock is set, or says why it cannot be used.
func (s *Service) usableInvitation(ctx context.Context, idb bun.IDB, codeHash []byte, lock bool) (*Invitation, error) {
	q := invitationSelect + " WHERE i.code_hash = ?"
	if lock {
		q += " FOR UPDATE OF i"
	}
	inv := &Invitation{}
	err := idb.NewRaw(q, codeHash).Scan(ctx, inv)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, portal.FieldErrorf("code", "This invitation code is not valid. Check that you copied the whole link, or ask your administrator for a new invitation.")
	}
	if err != nil {
		return nil, err
	}
	switch inv.Status() {
	case InvitationRedeemed:
		return nil, errInvitationUsed()
	case InvitationRevoked:
		return nil, portal.FieldErrorf("code", "This invitation was withdrawn. Ask your administrator for a new one.")
	case InvitationExpired:
		return nil, portal.FieldErrorf("code", "This invitation expired on %s. Ask your administrator for a new one.", inv.ExpiresAt.UTC().Format("2 January 2006"))
	}
	return inv, nil
}

// redeemableContact loads the invited contact (locking it when lock is
// set) and refuses when it can no longer take a sign-in: disabled, already
// signed up, or lacking what ordering needs since it was invited.
func (s *Service) redeemableContact(ctx context.Context, idb bun.IDB, id string, lock bool) (*Contact, error) {
	q := contactSelect + " WHERE c.id = ?"
	if lock {
		q += " FOR UPDATE OF c"
	}
	c := &Contact{}
	if err := idb.NewRaw(q, id).Scan(ctx, c); err != nil {
		return nil, err
	}
	if c.HasSignIn {
		// A concurrent redemption of this code committed between our read of
		// the invitation and of the contact: to the caller the code was used.
		return nil, errInvitationUsed()
	}
	if c.Disabled || len(c.MissingOrderFields()) > 0 {
		return nil, portal.FieldErrorf("code", "This invitation can no longer be used. Ask your administrator for a new one.")
	}
	return c, nil
}

type userAgentKey struct{}

// WithUserAgent returns a context carrying the client's User-Agent, kept
// with sessions so a contact can tell its sessions apart.
func WithUserAgent(ctx context.Context, ua string) context.Context {
	if len(ua) > 300 {
		ua = ua[:300]
	}
	return context.WithValue(ctx, userAgentKey{}, ua)
}

func userAgent(ctx context.Context) string {
	ua, _ := ctx.Value(userAgentKey{}).(string)
	return ua
}
