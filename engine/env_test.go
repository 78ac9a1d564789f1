package engine_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/engine"
	"github.com/openportal/portal/graph"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/orders"
	"github.com/openportal/portal/policies"
	"github.com/openportal/portal/policies/policytest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// env is one instance of Portal's engine on a database: its own policy
// enforcer, resolver, executor and engine, as a server process has.
type env struct {
	t        testing.TB
	db       *bun.DB
	policy   *policies.Enforcer
	ids      *identity.Service
	resolver *graph.Resolver
	eng      *engine.Engine
}

var testLog io.Writer = io.Discard

func init() {
	if os.Getenv("PORTAL_TEST_LOG") != "" {
		testLog = os.Stderr
	}
}

func newEnvOn(t testing.TB, d *bun.DB, opts ...engine.Option) *env {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(testLog, nil))
	policy, err := policies.NewEnforcer(ctx, d, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { policy.Close() })
	roles := &policies.Roles{DB: d, Policy: policy}
	cat := &catalog.Service{DB: d, Policy: policy}
	ids := &identity.Service{DB: d, Policy: policy, Roles: roles, Catalog: cat}
	r := &graph.Resolver{Catalog: cat, Identity: ids, Roles: roles, Permissions: &policies.Admin{DB: d, Policy: policy},
		Orders: &orders.Service{DB: d, Policy: policy}}
	eng, err := engine.New(ctx, d, policy, logger, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	r.Engine = eng
	eng.API = graph.NewExecutor(r, logger)
	return &env{t: t, db: d, policy: policy, ids: ids, resolver: r, eng: eng}
}

// world fills the database with policytest's people and orders.
func (e *env) world() *policytest.World {
	e.t.Helper()
	w := policytest.New(e.t, e.db, e.ids)
	// The world's roles were written behind the enforcer's back.
	if err := e.policy.Reload(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	return w
}

// save saves a template as the system administrator of w.
func (e *env) save(ctx context.Context, name, src string) {
	e.t.Helper()
	if _, err := e.eng.SaveWebTemplate(ctx, name, src); err != nil {
		e.t.Fatalf("save %s: %v", name, err)
	}
}

// render renders a stored template as the viewer of ctx.
func (e *env) render(ctx context.Context, name string, data map[string]any) (string, error) {
	e.t.Helper()
	b, err := e.eng.Render(ctx, nil, engine.Render{Template: name, Data: data, CSRFToken: "tok"})
	return string(b), err
}

func code(err error) string {
	var pe *portal.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func contains(t testing.TB, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("%q\ndoes not contain %q", got, want)
	}
}
