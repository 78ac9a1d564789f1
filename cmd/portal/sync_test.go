package main

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/dualwrite/erpsim"
	"github.com/openportal/portal/outbox"
)

// TestWorkerKilledMidDelivery: a `portal worker` process killed with
// SIGKILL while the ERP holds its requests loses nothing: started again,
// the events in flight are sent again with the same Idempotency-Key, and
// the ERP applies each once.
func TestWorkerKilledMidDelivery(t *testing.T) {
	t.Parallel()
	url := dbtest.NewURL(t)
	d, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const n = 20
	var ids []string
	err = db.Tx(context.Background(), d, func(ctx context.Context, tx bun.Tx) error {
		for i := 0; i < n; i++ {
			id, err := outbox.Enqueue(ctx, tx, outbox.Event{Type: outbox.ContactUpserted, AggregateID: uuid.NewString(), Data: map[string]int{"n": i}})
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
	// The ERP applies each first request and then sits on it, so the
	// worker is mid-delivery when it is killed.
	var hold atomic.Bool
	hold.Store(true)
	sim := &erpsim.Sim{Secret: "kill-test-secret", Slow: func(key string, attempt int) time.Duration {
		if hold.Load() {
			return 3 * time.Second
		}
		return 0
	}}
	erp := httptest.NewServer(sim)
	defer erp.Close()
	defer sim.Close()

	dir := t.TempDir()
	bin := filepath.Join(dir, "portal")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "worker", "--erp-timeout", "2s", "--erp-rescue-after", "12s", "--erp-max-backoff", "500ms")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "DATABASE_URL=" + url,
			"PORTAL_ERP_URL=" + erp.URL, "PORTAL_ERP_SECRET=kill-test-secret", "PORTAL_LOG_LEVEL=warn"}
		if testing.Verbose() {
			cmd.Stderr = os.Stderr
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	cmd := start()
	deadline := time.Now().Add(30 * time.Second)
	for sim.Requests() == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the worker sent nothing within 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	inFlight := sim.Applied()
	hold.Store(false)

	cmd = start()
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	deadline = time.Now().Add(90 * time.Second)
	for {
		var left int
		if err := d.NewRaw("SELECT count(*) FROM outbox_event WHERE delivered_at IS NULL").Scan(context.Background(), &left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events undelivered 90s after the restart", left)
		}
		time.Sleep(100 * time.Millisecond)
	}
	applied := map[string]int{}
	for _, k := range sim.Applied() {
		applied[k]++
	}
	for _, id := range ids {
		if applied[id] != 1 {
			t.Errorf("event %s applied %d times", id, applied[id])
		}
	}
	if len(inFlight) == 0 {
		t.Fatal("nothing was in flight at the kill")
	}
	for _, id := range inFlight {
		if sim.Attempts(id) < 2 {
			t.Errorf("event %s was in flight at the kill but sent %d times: its delivery was never confirmed, so it must go again", id, sim.Attempts(id))
		}
	}
	t.Logf("%d events in flight at the kill, all sent again with the same key and applied once", len(inFlight))
}
