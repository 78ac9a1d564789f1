package site_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openportal/portal/app"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/policies/policytest"
	"github.com/openportal/portal/site"
)

// The default site seeds, compiles and renders every page without a
// server error for each kind of viewer.
func TestDefaultSiteRenders(t *testing.T) {
	ts, st := newDefaultSite(t)
	w := ts.world
	paths := []string{}
	for _, p := range st.Engine.Current().Pages() {
		paths = append(paths, strings.ReplaceAll(p.Path, "{id}", w.Orders["alice"]))
	}
	for _, who := range []string{"anonymous", "admin", "rep", "alice", "nobody"} {
		t.Run(who, func(t *testing.T) {
			c := ts.client()
			if who != "anonymous" {
				c.signIn(who)
			}
			for _, p := range paths {
				status, body, _ := c.get(p)
				if status >= 500 {
					t.Errorf("%s: %d %s", p, status, body)
				}
			}
		})
	}
	if t.Failed() {
		t.Log(ts.logs.String())
	}
}

// BenchmarkOrdersPage is one whole request for the default Orders page,
// signed in, with 20 orders: session lookup, viewer, the page's GraphQL
// and the render, over real HTTP, from parallel clients.
func BenchmarkOrdersPage(b *testing.B) {
	ts, _ := newDefaultSite(b)
	for range 19 {
		ts.world.AddOrder(b, "alice")
	}
	c := ts.client()
	c.signIn("alice")
	if status, body, _ := c.get("/orders"); status != 200 || strings.Count(body, "/orders/") < 20 {
		b.Fatalf("%d %s", status, body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.c.Get(ts.srv.URL + "/orders")
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}

func newDefaultSite(t testing.TB) (*testServer, *site.Running) {
	ctx := context.Background()
	d := dbtest.New(t)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	a, err := app.New(ctx, d, app.Config{}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	w := policytest.New(t, d, a.Identity)
	if err := a.Policy.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	st := a.Site
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	return &testServer{t: t, db: d, world: w, srv: srv, logs: logs}, st
}
