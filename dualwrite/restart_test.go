package dualwrite_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/pgcluster"
	"github.com/openportal/portal/dualwrite"
	"github.com/openportal/portal/dualwrite/erpsim"
)

// TestPostgresRestart: PostgreSQL restarted while events are pending (and
// while the worker retries them) loses none and doubles none; the worker
// carries on without a restart of its own.
func TestPostgresRestart(t *testing.T) {
	t.Parallel()
	// A server of its own, since it is restarted. Short path: the socket
	// lives in the data directory, so the URL survives the restart.
	dir, err := os.MkdirTemp("", "pgr-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	opts := pgcluster.Options{DataDir: filepath.Join(dir, "data"), Fast: true, Logger: quiet()}
	c, err := pgcluster.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	url := c.URL("portal")
	d := open(t, url)
	if _, err := db.Migrate(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, url: url, db: d, sync: dualwrite.NewMetrics(nil, nil)}
	var down atomic.Bool
	down.Store(true)
	e.erp = &erpsim.Sim{Secret: secret, Fault: func(string, int) int {
		if down.Load() {
			return http.StatusServiceUnavailable
		}
		return 0
	}}
	e.erpSrv = httptest.NewServer(e.erp)
	t.Cleanup(func() { e.erp.Close(); e.erpSrv.Close() })

	ids := enqueueIn(t, d, 50)
	e.worker(fastConfig(e.erpSrv.URL))
	waitFor(t, 10*time.Second, "the worker retrying", func() bool { return e.erp.Requests() >= 50 })

	if err := c.Stop(); err != nil {
		t.Logf("stop: %v", err)
	}
	time.Sleep(500 * time.Millisecond)
	if c, err = pgcluster.Start(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	if c.URL("portal") != url {
		t.Fatalf("the URL changed over the restart: %s", c.URL("portal"))
	}
	// The pool's connections died with the server: the first statements
	// on them fail (as a request would) until the pool has fresh ones.
	waitFor(t, 10*time.Second, "the database back", func() bool { return d.PingContext(context.Background()) == nil && e.undelivered() == 50 })
	ids = append(ids, enqueueIn(t, d, 50)...)
	down.Store(false)
	waitFor(t, 60*time.Second, "every event delivered after the restart", func() bool { return e.undelivered() == 0 })
	e.checkExactlyOnce(t, ids, nil)
}
