package db_test

import (
	"context"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/dbtest"
	"github.com/uptrace/bun"
)

// TestFollower: a change announced by NOTIFY is reloaded at once, also
// after the LISTEN connection was cut (it reconnects); with no listener,
// the periodic check finds it.
func TestFollower(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	if _, err := d.ExecContext(ctx, `CREATE TABLE follow_version (version bigint NOT NULL); INSERT INTO follow_version VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	bump := func(t *testing.T) int64 {
		t.Helper()
		var v int64
		err := db.Tx(ctx, d, func(ctx context.Context, tx bun.Tx) error {
			if err := tx.NewRaw("UPDATE follow_version SET version = version + 1 RETURNING version").Scan(ctx, &v); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "SELECT pg_notify('portal_follow_test', ?)", strconv.FormatInt(v, 10))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tt := range []struct {
		name       string
		listen     bool
		checkEvery time.Duration
		cut        bool // terminate the LISTEN connection first
	}{
		{"notified", true, 0, false},
		{"notified after a reconnect", true, 0, true},
		{"checked", false, 50 * time.Millisecond, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var held atomic.Int64
			var reloads atomic.Int32
			f := &db.Follower{DB: d, Logger: slog.New(slog.DiscardHandler), Name: "test", Channel: "portal_follow_test",
				VersionQuery: "SELECT version FROM follow_version", Held: held.Load,
				Reload: func(ctx context.Context) error {
					var v int64
					if err := d.NewRaw("SELECT version FROM follow_version").Scan(ctx, &v); err != nil {
						return err
					}
					held.Store(v)
					reloads.Add(1)
					return nil
				}}
			if err := f.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			f.Start(ctx, tt.listen, tt.checkEvery)
			defer f.Close()
			// listener is the backend that LISTENs (0: none).
			listener := func() int {
				var pid int
				err := d.NewRaw(`SELECT coalesce(max(pid), 0) FROM pg_stat_activity WHERE datname = current_database()
					AND state = 'idle' AND query LIKE 'LISTEN portal_follow_test%'`).Scan(ctx, &pid)
				if err != nil {
					t.Fatal(err)
				}
				return pid
			}
			waitFor := func(what string, ok func() bool) {
				t.Helper()
				for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("%s: not within 10 s", what)
					}
				}
			}
			var pid int
			if tt.listen {
				waitFor("listening", func() bool { pid = listener(); return pid != 0 })
			}
			if tt.cut {
				if _, err := d.ExecContext(ctx, `SELECT pg_terminate_backend(?)`, pid); err != nil {
					t.Fatal(err)
				}
				waitFor("listening again", func() bool { p := listener(); return p != 0 && p != pid })
			}
			before := reloads.Load()
			v := bump(t)
			waitFor("reloaded", func() bool { return held.Load() == v })
			if got := reloads.Load() - before; got != 1 {
				t.Errorf("%d reloads for one change; want 1", got)
			}
		})
	}
}
