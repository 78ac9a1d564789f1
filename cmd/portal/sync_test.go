package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/dualwrite/erpsim"
	"github.com/openportal/portal/orders"
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
	// Without profile-guided optimization (default.pgo): the test is about
	// the worker's behaviour, and PGO compiles every package again.
	if out, err := exec.Command("go", "build", "-pgo=off", "-o", bin, ".").CombinedOutput(); err != nil {
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

// TestServeDemoSyncsOrders: serve --demo without an ERP runs the simulator
// in-process and the worker: a submitted demo order is SYNCED with an ERP
// number and moves to CONFIRMED on the simulator's report.
func TestServeDemoSyncsOrders(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	m := &Main{Config: config{DatabaseURL: dbtest.NewURL(t), Demo: true, Addr: "127.0.0.1:0",
		ERP: erpConfig{Worker: true, Timeout: 2 * time.Second, MaxBackoff: time.Second}},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Stdout: &out}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	go m.Serve()
	defer m.Close()
	ctx := context.Background()
	var contactID string
	if err := m.db.DB.NewRaw("SELECT id FROM contact WHERE email = 'alice@forest.example'").Scan(ctx, &contactID); err != nil {
		t.Fatal(err)
	}
	v, err := m.app.Identity.ViewerFor(ctx, contactID)
	if err != nil {
		t.Fatal(err)
	}
	ctx = portal.WithViewer(ctx, v)
	o, err := m.app.Orders.Create(ctx, orders.InformationInput{RequestedReceiptDate: time.Now().AddDate(0, 0, 7)})
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ ID, Unit string }
	if err := m.db.DB.NewRaw(`SELECT p.id, pr.unit FROM price pr JOIN product p ON p.id = pr.product_id
		WHERE pr.price_list_id = ? LIMIT 1`, o.PriceListID).Scan(ctx, &p); err != nil {
		t.Fatal(err)
	}
	if _, err := m.app.Orders.AddLine(ctx, o.ID, orders.LineInput{ProductID: p.ID, Quantity: decimal.NewFromInt(1), Unit: p.Unit}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.app.Orders.Submit(ctx, o.ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(40 * time.Second)
	for {
		got, err := m.app.Orders.Order(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == orders.Confirmed && got.SyncState == "SYNCED" && got.ErpOrderNumber != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("order not confirmed by the demo ERP within 40s: %s %s", got.Status, got.SyncState)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestERPSecretNotInUsage: the secret and URL come from the environment
// after parsing; usage never shows them.
func TestERPSecretNotInUsage(t *testing.T) {
	env := map[string]string{"PORTAL_ERP_SECRET": "s3cr3t-value", "PORTAL_ERP_URL": "https://user:pw-in-url@erp.example/hook"}
	for _, cmd := range []string{"serve", "worker", "erp-sim"} {
		t.Run(cmd, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			run(context.Background(), []string{cmd, "--help"}, func(k string) string { return env[k] }, nil, &stdout, &stderr)
			all := stdout.String() + stderr.String()
			if !strings.Contains(all, "erp") || strings.Contains(all, "s3cr3t-value") || strings.Contains(all, "pw-in-url") {
				t.Errorf("usage of %s:\n%s", cmd, all)
			}
		})
	}
}
