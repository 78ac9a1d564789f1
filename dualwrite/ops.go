package dualwrite

import (
	"context"
	"encoding/json"
	"time"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/outbox"
	"github.com/openportal/portal/paging"
)

// EventState is where an event stands, as administrators see it.
type EventState string

// Event states.
const (
	StatePending   EventState = "PENDING"
	StateDelivered EventState = "DELIVERED"
	StateDead      EventState = "DEAD"
)

// Event is an outbox event as administrators see it: where it stands and
// the ERP's last answer.
type Event struct {
	ID            string
	Type          string
	AggregateID   string
	State         EventState
	Attempts      int
	NextAttemptAt *time.Time
	LastAttemptAt *time.Time
	LastStatus    *int
	LastAnswer    *string
	LastError     *string
	DeliveredAt   *time.Time
	CreatedAt     time.Time
	Payload       json.RawMessage
}

// Ops is the sync's operations view for administrators.
type Ops struct {
	DB *bun.DB
}

const eventColumns = `id, type, aggregate_id, attempts, last_attempt_at, last_status, last_answer, last_error,
	delivered_at, created_at, payload,
	CASE WHEN delivered_at IS NOT NULL THEN 'DELIVERED' WHEN dead THEN 'DEAD' ELSE 'PENDING' END AS state,
	CASE WHEN delivered_at IS NULL AND NOT dead THEN next_attempt_at END AS next_attempt_at`

// requireAdmin: the outbox holds every customer's orders and contacts.
func requireAdmin(ctx context.Context) error {
	v := portal.ViewerFrom(ctx)
	if v.Anonymous() {
		return portal.Errorf(portal.EUNAUTHENTICATED, "Sign in as an administrator to see the ERP sync.")
	}
	if !v.HasRole(portal.RoleAdministrators) {
		return portal.Errorf(portal.EFORBIDDEN, "Only administrators see the ERP sync.")
	}
	return nil
}

// Events lists events newest first, in one state or all (state "").
func (o *Ops) Events(ctx context.Context, state EventState, args paging.Args) (paging.Page[*Event], error) {
	var page paging.Page[*Event]
	if err := requireAdmin(ctx); err != nil {
		return page, err
	}
	var at time.Time
	var id string
	limit, hasAfter, err := args.Start(&at, &id)
	if err != nil {
		return page, err
	}
	where := "TRUE"
	switch state {
	case "":
	case StatePending:
		where = "delivered_at IS NULL AND NOT dead"
	case StateDelivered:
		where = "delivered_at IS NOT NULL"
	case StateDead:
		where = "delivered_at IS NULL AND dead"
	default:
		return page, portal.FieldErrorf("state", "State %q is not PENDING, DELIVERED or DEAD.", state)
	}
	var total int
	if err := o.DB.NewRaw("SELECT count(*) FROM outbox_event WHERE "+where).Scan(ctx, &total); err != nil {
		return page, err
	}
	q, qargs := "SELECT "+eventColumns+" FROM outbox_event WHERE "+where, []any{}
	if hasAfter {
		q += " AND (created_at, id) < (?, ?)"
		qargs = append(qargs, at, id)
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT ?"
	qargs = append(qargs, limit+1)
	var rows []*Event
	if err := o.DB.NewRaw(q, qargs...).Scan(ctx, &rows); err != nil {
		return page, err
	}
	return paging.Trim(rows, limit, func(e *Event) string { return paging.Cursor(e.CreatedAt, e.ID) }, total), nil
}

// Replay gives a dead event a fresh start: attempts from zero, delivered by
// a new job, its record PENDING again.
// Returns ENOTFOUND for an unknown event, ECONFLICT when it is not dead.
func (o *Ops) Replay(ctx context.Context, id string) (*Event, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	if !db.ValidID(id) {
		return nil, portal.Errorf(portal.ENOTFOUND, "ERP event %s does not exist.", id)
	}
	var out Event
	err := db.Tx(ctx, o.DB, func(ctx context.Context, tx bun.Tx) error {
		var ev struct {
			Type, AggregateID string
			Dead, Delivered   bool
		}
		err := tx.NewRaw(`SELECT type, aggregate_id, dead, delivered_at IS NOT NULL AS delivered FROM outbox_event
			WHERE id = ? FOR UPDATE`, id).Scan(ctx, &ev)
		if err != nil {
			return db.NotFound(err, "ERP event %s does not exist.", id)
		}
		if !ev.Dead || ev.Delivered {
			return portal.Errorf(portal.ECONFLICT, "ERP event %s is not dead; only dead events can be replayed.", id)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE outbox_event SET dead = false, attempts = 0, next_attempt_at = now()
			WHERE id = ?`, id); err != nil {
			return err
		}
		if table := syncTables[ev.Type]; table != "" {
			if _, err := tx.ExecContext(ctx, "UPDATE "+table+" SET sync_state = 'PENDING' WHERE id = ?", ev.AggregateID); err != nil {
				return err
			}
		}
		if err := outbox.ScheduleTx(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (actor_id, action, subject_type, subject_id, client_ip)
			VALUES (?, 'erp.event.replayed', 'outbox_event', ?, ?)`, portal.ViewerFrom(ctx).ContactID, id, portal.ClientIP(ctx)); err != nil {
			return err
		}
		return tx.NewRaw("SELECT "+eventColumns+" FROM outbox_event WHERE id = ?", id).Scan(ctx, &out)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// EventsAbout lists, for each of these orders or contacts, the events about
// it, newest first: the ERP's last answers on an order's page.
func (o *Ops) EventsAbout(ctx context.Context, aggregateIDs []string) ([][]*Event, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	out := make([][]*Event, len(aggregateIDs))
	valid := db.ValidIDs(aggregateIDs)
	if len(valid) == 0 {
		return out, nil
	}
	var rows []*Event
	if err := o.DB.NewRaw("SELECT "+eventColumns+" FROM outbox_event WHERE aggregate_id IN (?) ORDER BY created_at DESC, id DESC",
		bun.List(valid)).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	for i, id := range aggregateIDs {
		out[i] = []*Event{}
		for _, e := range rows {
			if e.AggregateID == id {
				out[i] = append(out[i], e)
			}
		}
	}
	return out, nil
}
