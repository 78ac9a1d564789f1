package outbox_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/uptrace/bun"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/outbox"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// jobRow is what River reads of a job, but for its id and times.
type jobRow struct {
	Args, Metadata       string
	Kind, Queue, State   string
	Attempt, MaxAttempts int
	Priority             int
	Tags, AttemptedBy    string
	Errors               string
	UniqueKey            []byte
	UniqueStates         sql.NullString
	Finalized, Attempted bool
	ScheduledWhenCreated bool
}

func readJob(t *testing.T, d *bun.DB, id int64) jobRow {
	t.Helper()
	var r jobRow
	err := d.DB.QueryRowContext(context.Background(), `SELECT args::text, metadata::text, kind, queue, state::text,
			attempt, max_attempts, priority, tags::text, coalesce(attempted_by, '{}')::text, coalesce(errors::text[], '{}')::text,
			unique_key, unique_states::text, finalized_at IS NOT NULL, attempted_at IS NOT NULL,
			scheduled_at = created_at
		FROM river_job WHERE id = $1`, id).Scan(&r.Args, &r.Metadata, &r.Kind, &r.Queue, &r.State,
		&r.Attempt, &r.MaxAttempts, &r.Priority, &r.Tags, &r.AttemptedBy, &r.Errors,
		&r.UniqueKey, &r.UniqueStates, &r.Finalized, &r.Attempted, &r.ScheduledWhenCreated)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestJobAsRiverWrites: the job Enqueue writes in its own statement
// (JobCTE) is the row River's client writes for the same DeliverArgs, so
// River's workers take it like any other (the dualwrite tests deliver
// through it end to end).
func TestJobAsRiverWrites(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	var ours int64
	var eventID string
	err := d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		eventID, err = outbox.Enqueue(ctx, tx, outbox.Event{Type: outbox.ContactUpserted,
			AggregateID: "0b6f1b8e-3f52-4cbb-9d2e-7a4f6c1d2e3f", Data: map[string]string{"a": "b"}})
		if err != nil {
			return err
		}
		return tx.NewRaw("SELECT job_id FROM outbox_event WHERE id = ?", eventID).Scan(ctx, &ours)
	})
	if err != nil {
		t.Fatal(err)
	}
	client, err := river.NewClient(riverdatabasesql.New(nil), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := d.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.InsertTx(ctx, tx, outbox.DeliverArgs{EventID: eventID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	got, want := readJob(t, d, ours), readJob(t, d, res.Job.ID)
	// River writes the event id as JSON of its own; the same object.
	var gotArgs, wantArgs map[string]any
	json.Unmarshal([]byte(got.Args), &gotArgs)
	json.Unmarshal([]byte(want.Args), &wantArgs)
	if diff := cmp.Diff(wantArgs, gotArgs); diff != "" {
		t.Errorf("args (-River +ours):\n%s", diff)
	}
	got.Args, want.Args = "", ""
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("job row (-River +ours):\n%s", diff)
	}
}

// TestJobsAnnounced: a transaction that writes events announces them to
// River's workers at its commit, on River's insert topic with River's
// payload, so a worker starts on them without waiting for its next poll;
// a rolled-back one announces nothing.
func TestJobsAnnounced(t *testing.T) {
	ctx := context.Background()
	u := dbtest.NewURL(t)
	d, err := db.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `LISTEN "public.river_insert"`); err != nil {
		t.Fatal(err)
	}
	write := func(commit bool) {
		t.Helper()
		tx, err := d.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := outbox.Enqueue(ctx, tx, outbox.Event{Type: outbox.ContactUpserted, AggregateID: "0b6f1b8e-3f52-4cbb-9d2e-7a4f6c1d2e3f", Data: 1}); err != nil {
			t.Fatal(err)
		}
		if commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	wait := func() (string, bool) {
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		n, err := conn.WaitForNotification(wctx)
		if err != nil {
			return "", false
		}
		return n.Payload, true
	}
	time.Sleep(150 * time.Millisecond) // past any announcement of another test
	write(false)
	if p, ok := wait(); ok {
		t.Errorf("a rolled-back event announced %q", p)
	}
	time.Sleep(150 * time.Millisecond)
	write(true)
	if p, ok := wait(); !ok || p != `{"queue": "erp"}` {
		t.Errorf("announcement %q (%v), want River's {\"queue\": \"erp\"}", p, ok)
	}
}
