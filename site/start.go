package site

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/uptrace/bun"

	"github.com/openportal/portal/engine"
	"github.com/openportal/portal/graph"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/policies"
)

// Options are what Start wires together.
type Options struct {
	DB       *bun.DB
	Policy   *policies.Enforcer
	Resolver *graph.Resolver // gets its Engine set; serve /graphql with the same one
	Identity *identity.Service
	// Assets is the default site (pagetemplates.FS): seeded into the
	// store, static files served from it.
	Assets        fs.FS
	Logger        *slog.Logger
	SecureCookies bool
	// EngineOptions tune how the engine follows changes (tests).
	EngineOptions []engine.Option
}

// Running is the site with the engine it runs on.
type Running struct {
	*Site
	Engine *engine.Engine
}

// Close stops following template changes.
func (r *Running) Close() error { return r.Engine.Close() }

// Start seeds the default site (adding what is missing, never overwriting
// an administrator's edit), starts the engine and returns the site.
func Start(ctx context.Context, o Options) (*Running, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Assets != nil {
		res, err := engine.Seed(ctx, o.DB, o.Assets)
		if err != nil {
			return nil, fmt.Errorf("seed the default site: %w", err)
		}
		if len(res.Added)+len(res.Upgraded) > 0 {
			o.Logger.Info("default site templates seeded", "added", res.Added, "upgraded", res.Upgraded)
		}
		if len(res.Kept) > 0 {
			o.Logger.Info("edited templates kept; their shipped default changed", "templates", res.Kept)
		}
	}
	eng, err := engine.New(ctx, o.DB, o.Policy, o.Logger, o.EngineOptions...)
	if err != nil {
		return nil, err
	}
	eng.Defaults = o.Assets
	o.Resolver.Engine = eng
	eng.API = graph.NewExecutor(o.Resolver, o.Logger)
	s, err := New(Config{Engine: eng, API: eng.API, Loaders: o.Resolver.ContextWithLoaders, Identity: o.Identity,
		Assets: o.Assets, Logger: o.Logger, SecureCookies: o.SecureCookies})
	if err != nil {
		eng.Close()
		return nil, err
	}
	return &Running{Site: s, Engine: eng}, nil
}
