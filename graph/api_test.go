package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/app"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/policies"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// api is the real GraphQL handler over real HTTP on a fresh database.
type api struct {
	t      testing.TB
	db     *bun.DB
	app    *app.App
	policy *policies.Enforcer
	srv    *httptest.Server
	viewer *portal.Viewer
	// queries counts the SQL statements run, for query-count assertions.
	queries *queryCounter
}

var admin = &portal.Viewer{ContactID: "00000000-0000-0000-0000-00000000a0a0", RoleKeys: []string{portal.RoleAdministrators}}

func newAPI(t testing.TB) *api {
	t.Helper()
	return newAPIOn(t, dbtest.New(t))
}

// newAPIOn is newAPI on a given database, for a second server on the same
// one: it has its own enforcer, as a second process would.
func newAPIOn(t testing.TB, d *bun.DB) *api {
	t.Helper()
	queries := &queryCounter{} // orders_test.go
	d = d.WithQueryHook(queries)
	ap, err := app.New(context.Background(), d, app.Config{}, slog.New(slog.NewTextHandler(testLog, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ap.Close() })
	a := &api{t: t, db: d, app: ap, policy: ap.Policy, queries: queries}
	h := ap.GraphQL
	// The test says who the viewer is; site_test.go's newSite goes through
	// real sign-in and sessions instead.
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := req.Context()
		if a.viewer != nil {
			ctx = portal.WithViewer(ctx, a.viewer)
		}
		h.ServeHTTP(w, req.WithContext(portal.WithRequestID(ctx, "test")))
	}))
	t.Cleanup(a.srv.Close)
	return a
}

type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

type response struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

func (a *api) do(query string, vars map[string]any) response {
	a.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	res, err := http.Post(a.srv.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	var r response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		a.t.Fatalf("decode response: %v", err)
	}
	return r
}

// ok runs a query that must succeed and decodes its data into out.
func (a *api) ok(query string, vars map[string]any, out any) {
	a.t.Helper()
	r := a.do(query, vars)
	if len(r.Errors) > 0 {
		a.t.Fatalf("unexpected errors: %+v", r.Errors)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			a.t.Fatalf("decode data %s: %v", r.Data, err)
		}
	}
}

// fails runs a query that must fail with code, and returns the error.
func (a *api) fails(query string, vars map[string]any, code string) gqlError {
	a.t.Helper()
	r := a.do(query, vars)
	if len(r.Errors) == 0 {
		a.t.Fatalf("succeeded, want %s: %s", code, r.Data)
	}
	if got := r.Errors[0].Extensions["code"]; got != code {
		a.t.Fatalf("code %v, want %s: %+v", got, code, r.Errors)
	}
	return r.Errors[0]
}

// snapshot fingerprints every row of the master-data tables, to prove that
// a refused mutation wrote nothing.
func snapshot(t testing.TB, d *bun.DB) string {
	t.Helper()
	var out string
	for _, table := range []string{"legal_entity", "customer_account", "delivery_address", "product",
		"product_unit", "price_list", "price", "unit", "contact"} {
		var sum string
		err := d.NewRaw("SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM "+table+" t").
			Scan(context.Background(), &sum)
		if err != nil {
			t.Fatal(err)
		}
		out += table + "=" + sum + " "
	}
	return out
}

// testLog receives the handler's log; set PORTAL_TEST_LOG=1 to see it.
var testLog = func() io.Writer {
	if os.Getenv("PORTAL_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}()
