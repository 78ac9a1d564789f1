package dualwrite_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/dualwrite"
	"github.com/openportal/portal/dualwrite/erpsim"
	"github.com/openportal/portal/outbox"
)

// bare is a database, a simulated ERP and workers, without the rest of
// Portal: the events are enqueued directly, as orders and contacts do.
type bare struct {
	*env
}

func newBare(t *testing.T) *bare {
	e := &env{t: t, url: dbtest.NewURL(t)}
	e.db = open(t, e.url)
	e.sync = dualwrite.NewMetrics(nil, nil)
	e.erp = &erpsim.Sim{Secret: secret}
	e.erpSrv = httptest.NewServer(e.erp)
	t.Cleanup(func() { e.erp.Close(); e.erpSrv.Close() })
	return &bare{e}
}

// enqueue writes n contact events (one per new aggregate) in batches and
// returns their ids in order.
func (b *bare) enqueue(n int) []string {
	b.t.Helper()
	return enqueueIn(b.t, b.db, n)
}

func enqueueIn(t testing.TB, d *bun.DB, n int) []string {
	t.Helper()
	ids := make([]string, 0, n)
	for len(ids) < n {
		err := db.Tx(context.Background(), d, func(ctx context.Context, tx bun.Tx) error {
			for i := 0; i < 200 && len(ids) < n; i++ {
				id, err := outbox.Enqueue(ctx, tx, outbox.Event{Type: outbox.ContactUpserted, AggregateID: uuid.NewString(),
					Data: map[string]any{"n": len(ids)}})
				if err != nil {
					return err
				}
				ids = append(ids, id)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func (b *bare) waitDelivered(within time.Duration) {
	b.t.Helper()
	waitFor(b.t, within, "every event delivered", func() bool { return b.undelivered() == 0 })
}

// TestERPFaults: whatever the ERP does that may pass, every event arrives,
// and the ERP applies each once.
func TestERPFaults(t *testing.T) {
	t.Parallel()
	t.Run("ERP answering 500 on the first tries", func(t *testing.T) {
		t.Parallel()
		b := newBare(t)
		b.erp.Fault = func(key string, attempt int) int {
			if attempt <= 2 {
				return http.StatusInternalServerError
			}
			return 0
		}
		ids := b.enqueue(20)
		b.worker(fastConfig(b.erpSrv.URL))
		b.waitDelivered(20 * time.Second)
		b.checkExactlyOnce(t, ids, func(string) int { return 3 })
		var attempts, status int
		if err := b.db.NewRaw("SELECT attempts, last_status FROM outbox_event WHERE id = ?", ids[0]).Scan(context.Background(), &attempts, &status); err != nil {
			t.Fatal(err)
		}
		if attempts != 3 || status != 200 {
			t.Errorf("attempts %d, last status %d; want 3, 200", attempts, status)
		}
	})
	t.Run("429 with Retry-After, 408 and 503", func(t *testing.T) {
		t.Parallel()
		b := newBare(t)
		b.erp.Fault = func(key string, attempt int) int {
			return map[int]int{1: http.StatusTooManyRequests, 2: http.StatusRequestTimeout, 3: http.StatusServiceUnavailable}[attempt]
		}
		ids := b.enqueue(5)
		b.worker(fastConfig(b.erpSrv.URL))
		b.waitDelivered(20 * time.Second)
		b.checkExactlyOnce(t, ids, func(string) int { return 4 })
	})
	t.Run("ERP slower than the timeout", func(t *testing.T) {
		t.Parallel()
		b := newBare(t)
		// The ERP applies the first request but answers after Portal gave
		// up: the retry carries the same key and is not applied again.
		b.erp.Slow = func(key string, attempt int) time.Duration {
			if attempt == 1 {
				return time.Second
			}
			return 0
		}
		ids := b.enqueue(5)
		b.worker(fastConfig(b.erpSrv.URL))
		b.waitDelivered(20 * time.Second)
		b.checkExactlyOnce(t, ids, nil)
		for _, id := range ids {
			if n := b.erp.Attempts(id); n < 2 {
				t.Errorf("event %s sent %d times; the timeout should have made Portal send it again", id, n)
			}
		}
	})
	t.Run("ERP down then back", func(t *testing.T) {
		t.Parallel()
		b := newBare(t)
		// An address where nothing listens yet.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		ids := b.enqueue(20)
		b.worker(fastConfig("http://" + addr + "/"))
		waitFor(t, 10*time.Second, "several failed attempts", func() bool {
			var n int
			b.db.NewRaw("SELECT min(attempts) FROM outbox_event").Scan(context.Background(), &n)
			return n >= 2
		})
		if b.undelivered() != len(ids) {
			t.Fatalf("undelivered %d while the ERP is down", b.undelivered())
		}
		var lastErr string
		b.db.NewRaw("SELECT last_error FROM outbox_event WHERE id = ?", ids[0]).Scan(context.Background(), &lastErr)
		if lastErr == "" {
			t.Error("no error recorded for the administrator while the ERP is down")
		}
		ln, err = net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: b.erp}}
		srv.Start()
		defer srv.Close()
		b.waitDelivered(20 * time.Second)
		b.checkExactlyOnce(t, ids, func(string) int { return 1 })
	})
	t.Run("refused and out of attempts are dead, replay delivers", func(t *testing.T) {
		t.Parallel()
		b := newBare(t)
		var refuse atomic.Bool
		refuse.Store(true)
		b.erp.Fault = func(key string, attempt int) int {
			if refuse.Load() {
				return http.StatusUnprocessableEntity
			}
			return 0
		}
		ids := b.enqueue(1)
		b.worker(fastConfig(b.erpSrv.URL))
		waitFor(t, 10*time.Second, "event dead", func() bool {
			var dead bool
			b.db.NewRaw("SELECT dead FROM outbox_event WHERE id = ?", ids[0]).Scan(context.Background(), &dead)
			return dead
		})
		time.Sleep(200 * time.Millisecond)
		if n := b.erp.Attempts(ids[0]); n != 1 {
			t.Errorf("a 422 was retried: %d attempts", n)
		}
		var ev struct {
			LastStatus int
			LastAnswer string
		}
		b.db.NewRaw("SELECT last_status, last_answer FROM outbox_event WHERE id = ?", ids[0]).Scan(context.Background(), &ev)
		if ev.LastStatus != 422 || ev.LastAnswer == "" {
			t.Errorf("the ERP's answer is not kept: %+v", ev)
		}
		refuse.Store(false)
		ops := &dualwrite.Ops{DB: b.db}
		if _, err := ops.Replay(adminCtx(), ids[0]); err != nil {
			t.Fatal(err)
		}
		b.waitDelivered(10 * time.Second)
		b.checkExactlyOnce(t, ids, nil)
	})
}

// TestOutOfAttempts: an event the ERP keeps failing is dead after
// MaxAttempts, with the ERP's last answer kept.
func TestOutOfAttempts(t *testing.T) {
	b := newBare(t)
	b.erp.Fault = func(string, int) int { return http.StatusBadGateway }
	ids := b.enqueue(1)
	cfg := fastConfig(b.erpSrv.URL)
	cfg.MaxAttempts = 3
	b.worker(cfg)
	var ev struct {
		Dead       bool
		Attempts   int
		LastStatus int
	}
	waitFor(t, 10*time.Second, "event dead", func() bool {
		b.db.NewRaw("SELECT dead, attempts, last_status FROM outbox_event WHERE id = ?", ids[0]).Scan(context.Background(), &ev)
		return ev.Dead
	})
	time.Sleep(300 * time.Millisecond)
	if ev.Attempts != 3 || ev.LastStatus != http.StatusBadGateway || b.erp.Attempts(ids[0]) != 3 {
		t.Errorf("dead after %d attempts (ERP saw %d), last status %d; want 3, 3, 502", ev.Attempts, b.erp.Attempts(ids[0]), ev.LastStatus)
	}
}

// TestTwoWorkers: two workers on one database deliver 1,000 events, each
// exactly once.
func TestTwoWorkers(t *testing.T) {
	t.Parallel()
	b := newBare(t)
	ids := b.enqueue(1000)
	b.worker(fastConfig(b.erpSrv.URL))
	b.worker(fastConfig(b.erpSrv.URL))
	b.waitDelivered(60 * time.Second)
	b.checkExactlyOnce(t, ids, func(string) int { return 1 })
	if n := b.erp.Requests(); n != 1000 {
		t.Errorf("the ERP got %d requests for 1000 events", n)
	}
}

// TestWorkerStoppedAtOnce: a worker stopped before it got going (a server
// shut down right after start) stops cleanly, without an error.
func TestWorkerStoppedAtOnce(t *testing.T) {
	b := newBare(t)
	for _, after := range []time.Duration{0, time.Millisecond, 50 * time.Millisecond} {
		ctx, cancel := context.WithCancel(context.Background())
		w, err := dualwrite.New(ctx, b.db, b.url, fastConfig(b.erpSrv.URL))
		if err != nil {
			t.Fatal(err)
		}
		time.AfterFunc(after, cancel)
		if err := w.Run(ctx); err != nil {
			t.Errorf("stopped after %s: %v", after, err)
		}
		w.Close()
	}
}

// TestWakesOnCommit: an idle worker delivers a new event within a second of
// the commit, woken by LISTEN/NOTIFY: its fallback poll is set to a minute.
func TestWakesOnCommit(t *testing.T) {
	b := newBare(t)
	cfg := fastConfig(b.erpSrv.URL)
	cfg.PollInterval = time.Minute
	b.worker(cfg)
	b.enqueue(1)
	b.waitDelivered(10 * time.Second) // the first one may race the worker's start
	for i := 0; i < 3; i++ {
		time.Sleep(300 * time.Millisecond) // idle again
		start := time.Now()
		b.enqueue(1)
		b.waitDelivered(5 * time.Second)
		if d := time.Since(start); d > time.Second {
			t.Errorf("delivered %s after the commit, want within a second", d)
		}
	}
}

// TestRetryAfterHonoured: a 429's Retry-After sets the wait, not the
// (here much shorter) backoff.
func TestRetryAfterHonoured(t *testing.T) {
	b := newBare(t)
	var mu sync.Mutex
	var times []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		n := len(times)
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	cfg := fastConfig(srv.URL)
	cfg.MaxBackoff = 5 * time.Second
	b.worker(cfg)
	b.enqueue(1)
	b.waitDelivered(10 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	if len(times) != 2 {
		t.Fatalf("%d requests, want 2", len(times))
	}
	if gap := times[1].Sub(times[0]); gap < 950*time.Millisecond {
		t.Errorf("retried %s after a 429 with Retry-After: 1", gap)
	}
}

// TestEventsFromBeforeRiver: events written before this version (no River
// job) are adopted and delivered when a worker starts.
func TestEventsFromBeforeRiver(t *testing.T) {
	b := newBare(t)
	var id string
	if err := b.db.NewRaw(`INSERT INTO outbox_event (type, aggregate_id, payload)
		VALUES ('contact.upserted', gen_random_uuid(), '{"old": true}') RETURNING id`).Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	b.worker(fastConfig(b.erpSrv.URL))
	b.waitDelivered(10 * time.Second)
	b.checkExactlyOnce(t, []string{id}, func(string) int { return 1 })
}
