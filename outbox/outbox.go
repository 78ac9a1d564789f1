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
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
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

// inserter is an insert-only River client over database/sql, which is how
// bun talks to PostgreSQL: it inserts jobs in a bun transaction.
var inserter = sync.OnceValues(func() (*river.Client[*sql.Tx], error) {
	return river.NewClient(riverdatabasesql.New(nil), &river.Config{})
})

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
	if _, err := tx.(bun.Tx).Tx.ExecContext(ctx, "INSERT INTO outbox_event ("+Columns+") VALUES ($1, $2, $3, $4, $5, $6)",
		r.Values()...); err != nil {
		return "", err
	}
	return r.ID, nil
}

// Reserved is an event whose delivery is scheduled in the caller's
// transaction but whose row the caller still has to write, in the same
// transaction (see Reserve).
type Reserved struct {
	ID, Type, AggregateID string
	AfterID               *string
	// Payload is the event's data as JSON.
	Payload string
	JobID   int64
}

// Columns are the columns of outbox_event that Reserved.Values fill, in
// order.
const Columns = "id, type, aggregate_id, after_id, payload, job_id"

// Values are the values of the event's row, for Columns.
func (r *Reserved) Values() []any {
	return []any{r.ID, r.Type, r.AggregateID, r.AfterID, r.Payload, r.JobID}
}

// Reserve is Enqueue but for the event's row: it schedules, in tx, the
// River job that delivers the event, and answers the row, which the caller
// must insert in tx (INSERT INTO outbox_event (Columns) ...) in a statement
// of its own making: with the change the event records, so that both take
// one round trip and a lock taken by the change is held no longer than
// that statement. The caller may fill in the payload in SQL (a value only
// that statement knows, such as a number taken from a sequence). If the
// row is not written, the job finds no event and the commit is the
// caller's bug: use Enqueue unless the statement matters.
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
	// The job first, so the event is written once, with its job.
	var err error
	if r.JobID, err = insertJob(ctx, btx, r.ID); err != nil {
		return nil, err
	}
	return r, nil
}

func insertJob(ctx context.Context, tx bun.Tx, eventID string) (int64, error) {
	client, err := inserter()
	if err != nil {
		return 0, err
	}
	res, err := client.InsertTx(ctx, tx.Tx, DeliverArgs{EventID: eventID}, nil)
	if err != nil {
		return 0, fmt.Errorf("outbox: schedule delivery: %w", err)
	}
	return res.Job.ID, nil
}

// ScheduleTx inserts, in tx, a new River job that delivers the event with
// this id, and records it as the event's current job: for events written
// before River was installed, and for the replay of a dead event.
func ScheduleTx(ctx context.Context, tx bun.Tx, eventID string) error {
	jobID, err := insertJob(ctx, tx, eventID)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "UPDATE outbox_event SET job_id = ? WHERE id = ?", jobID, eventID)
	return err
}
