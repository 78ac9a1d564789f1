package identity

import (
	"context"
	"encoding/json"
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
	where := func(q *bun.SelectQuery) *bun.SelectQuery {
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
