package identity

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/paging"
	"github.com/openportal/portal/policies"
)

// Audit actions.
const (
	ActionContactCreated     = "contact.created"
	ActionContactUpdated     = "contact.updated"
	ActionContactDisabled    = "contact.disabled"
	ActionContactEnabled     = "contact.enabled"
	ActionInvitationCreated  = "invitation.created"
	ActionInvitationRevoked  = "invitation.revoked"
	ActionInvitationRedeemed = "invitation.redeemed"
	ActionSignedIn           = "session.signed_in"
	ActionSignInFailed       = "session.sign_in_failed"
	ActionSignedOut          = "session.signed_out"
)

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	bun.BaseModel `bun:"table:audit_log"`
	ID            int64
	At            time.Time
	ActorID       *string `bun:",type:uuid"`
	Action        string
	SubjectType   string
	SubjectID     string
	ClientIP      string         `bun:"client_ip"`
	Detail        map[string]any `bun:",type:jsonb"`
}

// audit records who (the viewer of ctx) did what to which record, from
// where, in the transaction of the change itself.
func audit(ctx context.Context, idb bun.IDB, action, subjectType, subjectID string, detail map[string]any) error {
	return auditAs(ctx, idb, portal.ViewerFrom(ctx).ContactID, action, subjectType, subjectID, detail)
}

// auditAs is audit with an explicit actor, for sign-in and redemption,
// where the actor is the contact signing in rather than the viewer.
func auditAs(ctx context.Context, idb bun.IDB, actor, action, subjectType, subjectID string, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	var actorID *string
	if actor != "" {
		actorID = &actor
	}
	_, err = idb.ExecContext(ctx, `INSERT INTO audit_log (actor_id, action, subject_type, subject_id, client_ip, detail)
		VALUES (?, ?, ?, ?, ?, ?)`, actorID, action, subjectType, subjectID, portal.ClientIP(ctx), string(b))
	return err
}

// AuditFilter selects a page of the audit log.
type AuditFilter struct {
	// ContactID limits the log to what this contact did or had done to it.
	ContactID *string
	// Action is one action, or every action starting with it when it ends
	// in a dot ("contact.").
	Action *string
	// From and To are whole days (UTC), both included.
	From, To *time.Time
	paging.Args
}

// AuditLog returns the audit log, newest first. Only viewers who may read
// the audit_log table see it (administrators by default).
// Returns EUNAUTHENTICATED/EFORBIDDEN, EINVALID for a bad page.
func (s *Service) AuditLog(ctx context.Context, f AuditFilter) (paging.Page[*AuditEntry], error) {
	var page paging.Page[*AuditEntry]
	if err := s.Policy.Require(ctx, policies.TableAuditLog, policies.Read); err != nil {
		return page, err
	}
	var afterAt time.Time
	var afterID int64
	limit, hasAfter, err := f.Start(&afterAt, &afterID)
	if err != nil {
		return page, err
	}
	for _, d := range []struct {
		field string
		t     *time.Time
	}{{"from", f.From}, {"to", f.To}} {
		if d.t != nil && (d.t.Year() < 1 || d.t.Year() > 9999) {
			return page, portal.FieldErrorf(d.field, "%s is not a day between 0001-01-01 and 9999-12-31.", d.t.Format(time.DateOnly))
		}
	}
	if f.From != nil && f.To != nil && startOfDay(*f.To).Before(startOfDay(*f.From)) {
		return page, portal.FieldErrorf("to", "The last day, %s, is before the first, %s; choose a later last day.", f.To.Format(time.DateOnly), f.From.Format(time.DateOnly))
	}
	where := func(q *bun.SelectQuery) *bun.SelectQuery {
		if a := strings.TrimSpace(deref(f.Action)); a != "" {
			if strings.HasSuffix(a, ".") {
				q = q.Where("action LIKE ?", db.EscapeLike(a)+"%")
			} else {
				q = q.Where("action = ?", a)
			}
		}
		if f.From != nil {
			q = q.Where("at >= ?", startOfDay(*f.From))
		}
		if f.To != nil {
			if next := startOfDay(*f.To).AddDate(0, 0, 1); next.Year() <= 9999 {
				q = q.Where("at < ?", next)
			}
		}
		if f.ContactID != nil {
			if !db.ValidID(*f.ContactID) {
				return q.Where("FALSE")
			}
			q = q.Where("(actor_id = ? OR (subject_type = 'contact' AND subject_id = ?))", *f.ContactID, *f.ContactID)
		}
		return q
	}
	total, err := where(s.DB.NewSelect().Model((*AuditEntry)(nil))).Count(ctx)
	if err != nil {
		return page, err
	}
	var rows []*AuditEntry
	q := where(s.DB.NewSelect().Model(&rows))
	if hasAfter {
		q = q.Where("(at, id) < (?, ?)", afterAt, afterID)
	}
	if err := q.OrderExpr("at DESC, id DESC").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return page, err
	}
	return paging.Trim(rows, limit, func(e *AuditEntry) string { return paging.Cursor(e.At, e.ID) }, int(total)), nil
}

// startOfDay is the UTC midnight that starts t's date.
func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// AuditActions lists the actions the audit log holds, by name, for
// filtering it. Returns EUNAUTHENTICATED/EFORBIDDEN without READ on
// audit_log.
func (s *Service) AuditActions(ctx context.Context) ([]string, error) {
	if err := s.Policy.Require(ctx, policies.TableAuditLog, policies.Read); err != nil {
		return nil, err
	}
	out := []string{}
	err := s.DB.NewRaw("SELECT DISTINCT action FROM audit_log ORDER BY action").Scan(ctx, &out)
	return out, err
}
