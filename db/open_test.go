package db_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/dbtest"
)

// TestPoolKeepsConnections: connections released after a burst that used
// the whole pool stay open for the next one. With fewer idle than open
// slots, the surplus was closed and the next burst opened new backends and
// prepared every statement again.
func TestPoolKeepsConnections(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	size := d.DB.Stats().MaxOpenConnections
	if size < 8 {
		t.Fatalf("pool of %d connections, want at least 8 for concurrent requests", size)
	}
	burst := func() {
		conns := make([]*sql.Conn, size)
		for i := range conns {
			c, err := d.DB.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns[i] = c
		}
		for _, c := range conns {
			c.Close()
		}
	}
	for _, round := range []string{"first burst", "second burst"} {
		t.Run(round, func(t *testing.T) {
			burst()
			st := d.DB.Stats()
			if st.Idle != size || st.MaxIdleClosed != 0 || st.OpenConnections != size {
				t.Errorf("after a burst of %d: %d idle, %d open, %d closed for want of an idle slot; want all %d kept",
					size, st.Idle, st.OpenConnections, st.MaxIdleClosed, size)
			}
		})
	}
}

// TestTimesUTC: a timestamptz reads as a UTC time through bun and through
// Query, whatever the process's local zone, with the same instant.
func TestTimesUTC(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	const q = "SELECT '2026-11-29 12:00:00+01'::timestamptz"
	want := time.Date(2026, 11, 29, 11, 0, 0, 0, time.UTC)
	var viaBun time.Time
	if err := d.NewRaw(q).Scan(ctx, &viaBun); err != nil {
		t.Fatal(err)
	}
	viaQuery, err := db.Query(ctx, d, nil, func(rows pgx.Rows) (time.Time, error) {
		var at time.Time
		err := rows.Scan(&at)
		return at, err
	}, q)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]time.Time{"bun": viaBun, "Query": viaQuery[0]} {
		t.Run(name, func(t *testing.T) {
			if !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("got %v in %v, want %v in UTC", got, got.Location(), want)
			}
		})
	}
}

// TestGenericPlans: Portal's connections keep one generic plan per
// prepared statement (PostgreSQL's auto mode re-planned the account-scope
// page of orders on every request), unless the database URL says
// otherwise.
func TestGenericPlans(t *testing.T) {
	ctx := context.Background()
	u := dbtest.NewURL(t)
	for _, c := range []struct{ name, url, want string }{
		{"default", u, "force_generic_plan"},
		{"the URL's setting wins", u + "&plan_cache_mode=auto", "auto"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := db.Open(ctx, c.url)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			var mode string
			if err := d.DB.QueryRowContext(ctx, "SHOW plan_cache_mode").Scan(&mode); err != nil {
				t.Fatal(err)
			}
			if mode != c.want {
				t.Errorf("plan_cache_mode %s, want %s", mode, c.want)
			}
		})
	}
}
