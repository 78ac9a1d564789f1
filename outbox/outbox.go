// Package outbox is the one place where a change that the ERP must hear
// about is recorded: Enqueue writes the event to outbox_event and the River
// job that will deliver it, both in the caller's transaction (the
// transactional outbox). If the transaction rolls back, neither exists; if
// it commits, the event will be delivered (package dualwrite) even if the
// process dies a moment later. Domain packages (orders, identity) depend on
// this small package only, never on the delivery machinery.
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"
)

// Event types Portal sends to the ERP (the protocol is in package
// dualwrite's documentation).
const (
	ContactUpserted     = "contact.upserted"
	SalesOrderSubmitted = "salesorder.submitted"
)

// Event is one change for the ERP.
type Event struct {
	// Type is one of the event types above.
	Type string
	// AggregateID is the record the event is about (the order, the
	// contact). Events of one record are delivered in the order written.
	AggregateID string
	// AfterID, when set, is another record whose earlier events must be
	// delivered first: an order's contact, so the ERP knows the contact
	// before the first order that names it.
	AfterID string
	// Data is the event's data, marshalled to JSON (a json.RawMessage is
	// taken as is).
	Data any
}

// DeliverArgs is the River job that delivers one outbox event. The job
// carries only the event's id: the event itself, its attempts and the ERP's
// answers live in outbox_event, the record administrators see.
type DeliverArgs struct {
	EventID string `json:"event_id"`
}

// Kind is the River job kind.
func (DeliverArgs) Kind() string { return "outbox_deliver" }

// Queue is the River queue of deliveries.
const Queue = "erp"

// InsertOpts are the River options of a delivery job. River's own attempt
// count only covers failures of Portal itself (the database gone while
// recording an answer): the ERP's answers are counted in outbox_event.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: 100}
}

// JobCTE is a common table expression, outbox_job, that inserts the River
// job delivering one event; its one argument is the event's id. It writes
// the row River's own insert writes for DeliverArgs (kind, queue, attempts;
// priority, state, times and the rest from river_job's defaults), inside
// the statement that writes the event, whose job_id is then (SELECT id
// FROM outbox_job). River's client inserted the job with a statement of its
// own, through database/sql with its arguments boxed as driver values: a
// round trip and a quarter of placeOrder's CPU (issue 9). TestJobAsRiverWrites
// compares the row with River's; River picks the job up like any other.
const JobCTE = `outbox_job AS (
		INSERT INTO river_job (args, kind, max_attempts, queue)
		VALUES (jsonb_build_object('event_id', ?::text), '` + kind + `', ` + maxAttempts + `, '` + Queue + `')
		RETURNING id)`

const (
	kind        = "outbox_deliver"
	maxAttempts = "100"
)

// notifyLimiter lets one transaction in every notifyEvery announce new jobs
// to River's workers, as River's client does (its FetchCooldown): workers
// that hear nothing still poll, and one announcement wakes them for every
// job inserted meanwhile.
var notifyLimiter = struct {
	sync.Mutex
	next time.Time
}{}

const notifyEvery = 100 * time.Millisecond

// notify announces, in tx and so at its commit, that the delivery queue has
// new jobs, on River's insert topic with River's payload; at most once per
// notifyEvery per process.
func notify(ctx context.Context, tx bun.Tx) error {
	notifyLimiter.Lock()
	now := time.Now()
	due := !now.Before(notifyLimiter.next)
	if due {
		notifyLimiter.next = now.Add(notifyEvery)
	}
	notifyLimiter.Unlock()
	if !due {
		return nil
	}
	_, err := tx.Tx.ExecContext(ctx, `SELECT pg_notify(current_schema() || '.river_insert', $1)`, `{"queue": "`+Queue+`"}`)
	return err
}

// Enqueue records e in the transaction tx and returns the event's id. tx
// must be a bun.Tx: an event outside a transaction could announce a change
// that never happened, or miss one that did.
func Enqueue(ctx context.Context, tx bun.IDB, e Event) (string, error) {
	r, err := Reserve(ctx, tx, e)
	if err != nil {
		return "", err
	}
	// Through database/sql with the values bound: bun's ExecContext would
	// write them (ids, the whole payload) into the text, a statement for
	// pgx to prepare per event.
	if _, err := tx.(bun.Tx).Tx.ExecContext(ctx, enqueueSQL, r.Values()...); err != nil {
		return "", err
	}
	return r.ID, nil
}

// Reserved is an event whose row and River job the caller still has to
// write, in the same transaction (see Reserve).
type Reserved struct {
	ID, Type, AggregateID string
	AfterID               *string
	// Payload is the event's data as JSON.
	Payload string
}

// Columns are the columns of outbox_event an event's row fills, in order:
// Reserved.Values, then job_id, which is (SELECT id FROM outbox_job).
const Columns = "id, type, aggregate_id, after_id, payload, job_id"

// Values are the values of the event's row for Columns but job_id. The
// first, the event's id, is also JobCTE's argument.
func (r *Reserved) Values() []any {
	return []any{r.ID, r.Type, r.AggregateID, r.AfterID, r.Payload}
}

// Reserve is Enqueue but for the event's row and job: it answers them,
// and the caller must write both in tx, in a statement of its own making
// (WITH JobCTE, ... INSERT INTO outbox_event (Columns) ...): with the
// change the event records, so that all take one round trip. The caller
// may fill in the payload in SQL (a value only that statement knows, such
// as a number taken from a sequence). If they are not written, the event
// is lost and the commit is the caller's bug: use Enqueue unless the
// statement matters.
func Reserve(ctx context.Context, tx bun.IDB, e Event) (*Reserved, error) {
	btx, ok := tx.(bun.Tx)
	if !ok {
		return nil, errors.New("outbox.Enqueue needs a transaction (bun.Tx)")
	}
	if e.Type == "" || e.AggregateID == "" {
		return nil, errors.New("outbox.Enqueue: an event needs a type and an aggregate id")
	}
	data, ok := e.Data.(json.RawMessage)
	if !ok {
		var err error
		if data, err = json.Marshal(e.Data); err != nil {
			return nil, fmt.Errorf("outbox: marshal %s event: %w", e.Type, err)
		}
	}
	r := &Reserved{ID: uuid.NewString(), Type: e.Type, AggregateID: e.AggregateID, Payload: string(data)}
	if e.AfterID != "" {
		r.AfterID = &e.AfterID
	}
	if err := notify(ctx, btx); err != nil {
		return nil, err
	}
	return r, nil
}

// ScheduleTx inserts, in tx, a new River job that delivers the event with
// this id, and records it as the event's current job: for events written
// before River was installed, and for the replay of a dead event.
func ScheduleTx(ctx context.Context, tx bun.Tx, eventID string) error {
	if err := notify(ctx, tx); err != nil {
		return err
	}
	_, err := tx.Tx.ExecContext(ctx, scheduleSQL, eventID)
	return err
}

// Enqueue's and ScheduleTx's statements: JobCTE with the event's id as $1,
// the same argument as the event's own.
var (
	jobCTE1    = strings.Replace(JobCTE, "?", "$1", 1)
	enqueueSQL = "WITH " + jobCTE1 +
		"INSERT INTO outbox_event (" + Columns + ") VALUES ($1::uuid, $2, $3, $4, $5, (SELECT id FROM outbox_job))"
	scheduleSQL = "WITH " + jobCTE1 + "UPDATE outbox_event SET job_id = (SELECT id FROM outbox_job) WHERE id = $1::uuid"
)
