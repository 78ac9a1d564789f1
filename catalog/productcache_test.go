package catalog_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/app"
	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/dbtest"
)

// statements counts the statements sent for a context.
type statements struct{ n atomic.Int64 }

func (s *statements) Statement(string) { s.n.Add(1) }

// TestProductCache: a server reads a product once and then from memory,
// and every instance sees a change at once, however it is made: through
// the API on this instance or another, or by SQL (the ERP's master data,
// a bulk load), names and units alike.
func TestProductCache(t *testing.T) {
	d := dbtest.New(t)
	a, b := newApp(t, d), newApp(t, d)
	ctx := asAdmin
	if _, err := a.Catalog.SaveLegalEntity(ctx, catalog.LegalEntityInput{Code: "JPMF", Name: "Contoso Japan"}); err != nil {
		t.Fatal(err)
	}
	save := func(name string) string {
		t.Helper()
		p, err := a.Catalog.SaveProduct(ctx, catalog.ProductInput{Number: "W1", Name: name, Company: "JPMF", Units: []string{"kg", "ea"}, DefaultUnit: "ea"})
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	id := save("Widget")
	read := func(in *app.App) (*catalog.Product, int64) {
		t.Helper()
		var n statements
		ps, err := in.Catalog.ProductsByID(db.ObserveStatements(ctx, &n), []string{id})
		if err != nil || len(ps) != 1 || ps[0] == nil {
			t.Fatalf("ProductsByID: %v, %v", ps, err)
		}
		return ps[0], n.n.Load()
	}
	// eventually waits for what a notification brings.
	eventually := func(what string, ok func(*catalog.Product) bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; {
			p, _ := read(b)
			if ok(p) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the other instance still reads %+v", what, p)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	if _, n := read(b); n != 1 {
		t.Fatalf("first read: %d statements, want 1", n)
	}
	// The notification of the product's creation may reach b after that
	// read and drop it: from then on it stays.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		p, n := read(b)
		if n == 0 {
			if p.Name != "Widget" {
				t.Fatalf("read from memory: %q", p.Name)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the product is read from the database every time")
		}
	}
	if _, n := read(b); n != 0 {
		t.Fatalf("read again: %d statements, want 0", n)
	}

	t.Run("saved on this instance", func(t *testing.T) {
		read(a)
		save("Widget 2")
		if p, _ := read(a); p.Name != "Widget 2" {
			t.Fatalf("the saving instance reads %q right after saving", p.Name)
		}
	})
	t.Run("saved on another instance", func(t *testing.T) {
		eventually("renamed through the API", func(p *catalog.Product) bool { return p.Name == "Widget 2" })
	})
	t.Run("changed by SQL", func(t *testing.T) {
		if _, err := d.ExecContext(context.Background(), `UPDATE product SET name = 'Widget 3' WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}
		eventually("renamed by SQL", func(p *catalog.Product) bool { return p.Name == "Widget 3" })
	})
	t.Run("units changed by SQL", func(t *testing.T) {
		if _, err := d.ExecContext(context.Background(), `DELETE FROM product_unit WHERE product_id = ? AND unit = 'kg'`, id); err != nil {
			t.Fatal(err)
		}
		eventually("a unit removed by SQL", func(p *catalog.Product) bool { return len(p.Units) == 1 && p.Units[0] == "ea" })
	})
	t.Run("permission still asked", func(t *testing.T) {
		anonymous := portal.WithViewer(context.Background(), &portal.Viewer{RoleKeys: []string{portal.RoleAnonymousUsers}})
		if ps, err := b.Catalog.ProductsByID(anonymous, []string{id}); err != nil || ps[0] == nil {
			t.Fatalf("the catalog is public by default: %v %v", ps, err)
		}
		// The catalog closed to visitors: the cached product is not theirs.
		if _, err := d.ExecContext(context.Background(), `DELETE FROM table_permission WHERE name = 'Everyone: product catalog'`); err != nil {
			t.Fatal(err)
		}
		if err := b.Policy.Reload(context.Background()); err != nil {
			t.Fatal(err)
		}
		ps, err := b.Catalog.ProductsByID(anonymous, []string{id})
		if err != nil || len(ps) != 1 || ps[0] != nil {
			t.Fatalf("an anonymous visitor reads %+v (%v) from the cache; want nothing", ps, err)
		}
	})
}

// TestProductCacheChecksVersion: with notifications lost (no listener),
// the periodic version check drops a stale copy.
func TestProductCacheChecksVersion(t *testing.T) {
	d := dbtest.New(t)
	a := newApp(t, d)
	ctx := asAdmin
	if _, err := a.Catalog.SaveLegalEntity(ctx, catalog.LegalEntityInput{Code: "JPMF", Name: "Contoso Japan"}); err != nil {
		t.Fatal(err)
	}
	p, err := a.Catalog.SaveProduct(ctx, catalog.ProductInput{Number: "W1", Name: "Widget", Company: "JPMF", Units: []string{"ea"}, DefaultUnit: "ea"})
	if err != nil {
		t.Fatal(err)
	}
	cache, err := catalog.NewProductCache(context.Background(), d, nil, false, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	deaf := &catalog.Service{DB: d, Policy: a.Policy, ProductCache: cache}
	name := func() string {
		ps, err := deaf.ProductsByID(ctx, []string{p.ID})
		if err != nil || ps[0] == nil {
			t.Fatalf("ProductsByID: %v %v", ps, err)
		}
		return ps[0].Name
	}
	name()
	if _, err := d.ExecContext(context.Background(), `UPDATE product SET name = 'Widget 2' WHERE id = ?`, p.ID); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); name() != "Widget 2"; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the version check never dropped the stale product")
		}
	}
}

// TestProductCacheStats: the cache counts the products it found and did
// not, and the times a catalog change emptied it; the server's /metrics
// shows them (portal_cache_*{cache="products"}).
func TestProductCacheStats(t *testing.T) {
	d := dbtest.New(t)
	a := newApp(t, d)
	if _, err := a.Catalog.SaveLegalEntity(asAdmin, catalog.LegalEntityInput{Code: "JPMF", Name: "Contoso Japan"}); err != nil {
		t.Fatal(err)
	}
	p, err := a.Catalog.SaveProduct(asAdmin, catalog.ProductInput{Number: "W1", Name: "Widget", Company: "JPMF", Units: []string{"ea"}, DefaultUnit: "ea"})
	if err != nil {
		t.Fatal(err)
	}
	pc := a.Catalog.ProductCache
	// Reads until the product stays in memory (the notification of its
	// creation may drop the first copy).
	for deadline := time.Now().Add(10 * time.Second); pc.Stats().Products == 0; time.Sleep(10 * time.Millisecond) {
		if _, err := a.Catalog.ProductsByID(asAdmin, []string{p.ID}); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the product is never kept")
		}
	}
	before := pc.Stats()
	if before.Misses == 0 {
		t.Fatalf("the first read counted no miss: %+v", before)
	}
	unknown := "00000000-0000-0000-0000-000000000000"
	if _, err := a.Catalog.ProductsByID(asAdmin, []string{p.ID, p.ID, unknown}); err != nil {
		t.Fatal(err)
	}
	after := pc.Stats()
	hits, misses := after.Hits-before.Hits, after.Misses-before.Misses
	if hits+misses != 3 || misses < 1 {
		t.Fatalf("three lookups, one unknown: %+v then %+v", before, after)
	}
	// (A notification of the product's creation, late, may have dropped
	// the copy in between.)
	if after.Drops == before.Drops && hits != 2 {
		t.Fatalf("two lookups of a cached product and no drop, yet %d hits: %+v then %+v", hits, before, after)
	}

	// A change made by SQL reaches the cache by notification: it is dropped.
	if _, err := d.ExecContext(context.Background(), `UPDATE product SET name = 'Widget 2' WHERE id = ?`, p.ID); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); pc.Stats().Drops == after.Drops; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no drop counted after a change: %+v", pc.Stats())
		}
	}
	if s := pc.Stats(); s.Products != 0 {
		t.Errorf("dropped, yet %d products held", s.Products)
	}

	r := httptest.NewRequest("GET", "/metrics", nil)
	r.RemoteAddr = "127.0.0.1:5000"
	w := httptest.NewRecorder()
	a.Metrics.Handler().ServeHTTP(w, r)
	s := pc.Stats()
	for _, want := range []string{
		fmt.Sprintf(`portal_cache_hits_total{cache="products"} %d`, s.Hits),
		fmt.Sprintf(`portal_cache_misses_total{cache="products"} %d`, s.Misses),
		fmt.Sprintf(`portal_cache_drops_total{cache="products"} %d`, s.Drops),
		`portal_cache_entries{cache="products"} 0`,
	} {
		if !strings.Contains(w.Body.String(), want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
