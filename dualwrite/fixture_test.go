package dualwrite_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/app"
	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/demo"
	"github.com/openportal/portal/dualwrite"
	"github.com/openportal/portal/dualwrite/erpsim"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/metrics"
	"github.com/openportal/portal/orders"
	"github.com/openportal/portal/policies"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const secret = "test-shared-secret"

// env is Portal over a fresh database with the demo data, served over real
// HTTP, and a simulated ERP on its own HTTP server.
type env struct {
	t       *testing.T
	url     string // database URL
	db      *bun.DB
	catalog *catalog.Service
	ids     *identity.Service
	orders  *orders.Service
	roles   *policies.Roles
	portal  *httptest.Server
	erp     *erpsim.Sim
	erpSrv  *httptest.Server
	metrics *metrics.Metrics
	sync    *dualwrite.Metrics
	admin   context.Context
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, url: dbtest.NewURL(t)}
	e.db = open(t, e.url)
	ctx := context.Background()
	a, err := app.New(ctx, e.db, app.Config{ERP: dualwrite.Config{Secret: secret}}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	e.roles, e.catalog, e.ids, e.orders = a.Roles, a.Catalog, a.Identity, a.Orders
	e.metrics, e.sync = a.Metrics, a.SyncMetrics
	if _, err := demo.Load(ctx, e.catalog, e.ids); err != nil {
		t.Fatal(err)
	}
	e.admin = portal.WithViewer(ctx, &portal.Viewer{ContactID: e.contactID("admin@portal.example"), RoleKeys: []string{portal.RoleAdministrators}})
	e.portal = httptest.NewServer(a.Handler)
	t.Cleanup(e.portal.Close)
	e.erp = &erpsim.Sim{Secret: secret, PortalURL: e.portal.URL, StatusDelay: 50 * time.Millisecond}
	e.erpSrv = httptest.NewServer(e.erp)
	t.Cleanup(func() { e.erp.Close(); e.erpSrv.Close() })
	return e
}

func open(t testing.TB, url string) *bun.DB {
	d, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func quiet() *slog.Logger {
	if os.Getenv("PORTAL_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// fastConfig retries within a test's patience.
func fastConfig(url string) dualwrite.Config {
	return dualwrite.Config{URL: url, Secret: secret, Timeout: 500 * time.Millisecond, MinBackoff: 20 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond, MaxAttempts: 50, OrderWait: 20 * time.Millisecond,
		PollInterval: 200 * time.Millisecond, RescueAfter: 2 * time.Second, Logger: quiet()}
}

// worker starts a delivery worker until the test ends (or stop is called).
func (e *env) worker(cfg dualwrite.Config) (stop func()) {
	e.t.Helper()
	if cfg.Metrics == nil {
		cfg.Metrics = e.sync
	}
	ctx, cancel := context.WithCancel(context.Background())
	w, err := dualwrite.New(ctx, e.db, e.url, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.Run(ctx); err != nil && ctx.Err() == nil {
			e.t.Errorf("worker: %v", err)
		}
		w.Close()
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	e.t.Cleanup(stop)
	return stop
}

func (e *env) contactID(email string) string {
	var id string
	if err := e.db.NewRaw("SELECT id FROM contact WHERE lower(email) = lower(?)", email).Scan(context.Background(), &id); err != nil {
		e.t.Fatalf("contact %s: %v", email, err)
	}
	return id
}

// as acts as the contact with this email.
func (e *env) as(email string) context.Context {
	v, err := e.ids.ViewerFor(context.Background(), e.contactID(email))
	if err != nil {
		e.t.Fatal(err)
	}
	return portal.WithViewer(context.Background(), v)
}

// customer is a demo authorized user.
const customer, customerPassword = "alice@forest.example", "demo-alice-pass"

// submit creates, fills and submits an order as ctx's contact.
func (e *env) submit(ctx context.Context) *orders.Order {
	e.t.Helper()
	o, err := e.orders.Create(ctx, orders.InformationInput{RequestedReceiptDate: time.Now().AddDate(0, 0, 7)})
	if err != nil {
		e.t.Fatal(err)
	}
	var product struct{ ID, Unit string }
	if err := e.db.NewRaw(`SELECT p.id, pr.unit FROM price pr JOIN product p ON p.id = pr.product_id
		WHERE pr.price_list_id = ? ORDER BY p.number LIMIT 1`, o.PriceListID).Scan(ctx, &product); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.orders.AddLine(ctx, o.ID, orders.LineInput{ProductID: product.ID, Quantity: decimal.NewFromInt(2), Unit: product.Unit}); err != nil {
		e.t.Fatal(err)
	}
	o, err = e.orders.Submit(ctx, o.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

// eventOf is the id of the outbox event about a record (its latest).
func (e *env) eventOf(aggregateID string) string {
	var id string
	if err := e.db.NewRaw("SELECT id FROM outbox_event WHERE aggregate_id = ? ORDER BY seq DESC LIMIT 1", aggregateID).
		Scan(context.Background(), &id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// undelivered counts events neither delivered nor dead.
func (e *env) undelivered() int {
	var n int
	if err := e.db.NewRaw("SELECT count(*) FROM outbox_event WHERE delivered_at IS NULL AND NOT dead").Scan(context.Background(), &n); err != nil {
		e.t.Logf("count undelivered: %v", err)
		return -1
	}
	return n
}

// checkExactlyOnce: every event is delivered and the ERP applied each key
// once (Applied lists a key once however often it came).
func (e *env) checkExactlyOnce(t *testing.T, ids []string, maxRequests func(id string) int) {
	t.Helper()
	applied := map[string]int{}
	for _, k := range e.erp.Applied() {
		applied[k]++
	}
	for _, id := range ids {
		if applied[id] != 1 {
			t.Errorf("event %s applied %d times by the ERP", id, applied[id])
		}
		if maxRequests != nil && e.erp.Attempts(id) > maxRequests(id) {
			t.Errorf("event %s sent %d times, want at most %d", id, e.erp.Attempts(id), maxRequests(id))
		}
		var delivered bool
		if err := e.db.NewRaw("SELECT delivered_at IS NOT NULL FROM outbox_event WHERE id = ?", id).Scan(context.Background(), &delivered); err != nil || !delivered {
			t.Errorf("event %s not recorded as delivered (%v)", id, err)
		}
	}
}

// gql is a GraphQL client with its own cookie jar (its own session).
type gql struct {
	t   *testing.T
	url string
	c   *http.Client
}

func (e *env) client() *gql {
	jar, _ := cookiejar.New(nil)
	return &gql{t: e.t, url: e.portal.URL + "/graphql", c: &http.Client{Jar: jar}}
}

func (g *gql) do(query string, vars map[string]any, out any) []map[string]any {
	g.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	res, err := g.c.Post(g.url, "application/json", bytes.NewReader(body))
	if err != nil {
		g.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var r struct {
		Data   json.RawMessage  `json:"data"`
		Errors []map[string]any `json:"errors"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		g.t.Fatalf("graphql answer %s: %v", b, err)
	}
	if out != nil && len(r.Data) > 0 {
		if err := json.Unmarshal(r.Data, out); err != nil {
			g.t.Fatal(err)
		}
	}
	return r.Errors
}

func (g *gql) signIn(email, password string) {
	g.t.Helper()
	if errs := g.do(`mutation($i: SignInInput!) { signIn(input: $i) { token } }`,
		map[string]any{"i": map[string]any{"email": email, "password": password}}, nil); len(errs) > 0 {
		g.t.Fatalf("sign in %s: %v", email, errs)
	}
}

func adminCtx() context.Context {
	return portal.WithViewer(context.Background(), &portal.Viewer{ContactID: dualwrite.ERPContactID, RoleKeys: []string{portal.RoleAdministrators}})
}
