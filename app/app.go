// Package app is Portal's composition root: it builds every service over
// one database, in one place, for the server (portal serve), the one-shot
// commands (migrate, demo, admin create) and the tests. Nothing else wires
// services together by hand.
//
// A new part plugs in here: it gets a field on App, a line in New that
// builds it from the services above it (and, if it serves HTTP, a
// server.Route), and a line in Close if it runs in the background. The
// places are marked "Upcoming parts".
package app

import (
	"cmp"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	gqlgraphql "github.com/99designs/gqlgen/graphql"
	"github.com/uptrace/bun"

	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/dualwrite"
	"github.com/openportal/portal/engine"
	"github.com/openportal/portal/graph"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/manage"
	"github.com/openportal/portal/metrics"
	"github.com/openportal/portal/orders"
	"github.com/openportal/portal/pagetemplates"
	"github.com/openportal/portal/policies"
	"github.com/openportal/portal/server"
	"github.com/openportal/portal/site"
)

// Config is what the services need from the command line and environment.
// The zero Config is a server on a test database: it follows policy changes,
// hands sign-up URLs over instead of mailing them, and trusts no proxy.
type Config struct {
	// BaseURL is the site's public URL, for links in invitations.
	BaseURL string
	// SMTPURL mails invitations through this server; empty: the sign-up
	// URL is handed over. Mailer, when set, is used instead (tests).
	SMTPURL string
	Mailer  identity.Mailer
	// SecureCookies marks the session cookie Secure even on plain HTTP
	// requests: set it when the public URL is https, that is when TLS ends
	// at a proxy in front of Portal.
	SecureCookies bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed (server.ParseProxies reads them).
	TrustedProxies []netip.Prefix
	// OneShot is for commands that run once (demo, admin create): the
	// policy is loaded as it is, without following later changes.
	OneShot bool
	// PolicyOptions tune the enforcer further (tests).
	PolicyOptions []policies.Option
	// AllowIntrospection opens GraphQL introspection to every caller;
	// without it only administrators may introspect.
	AllowIntrospection bool
	// SessionTTL bounds how long a cached session or viewer is trusted
	// without a NOTIFY; zero: identity's default.
	SessionTTL time.Duration
	// ERP is the ERP sync: its URL and Secret (PORTAL_ERP_URL,
	// PORTAL_ERP_SECRET) and delivery settings. The secret also checks the
	// ERP's inbound events.
	ERP dualwrite.Config
	// RunWorker delivers events to the ERP from this process (serve), when
	// ERP.URL is set and the App is not OneShot. DatabaseURL is db's URL:
	// the worker opens its own pgx pool (LISTEN).
	RunWorker   bool
	DatabaseURL string
	// MetricsToken is the bearer token /metrics requires; empty: only
	// unproxied requests from the machine itself.
	MetricsToken string
	// MaxInFlight bounds the requests served at once (server.Server's
	// MaxInFlight); zero: server.DefaultInFlight.
	MaxInFlight int
	// EngineOptions tune how the page engine follows template changes (tests).
	EngineOptions []engine.Option
	// SiteAssets is the default site to seed and serve static files from;
	// nil means pagetemplates.FS (tests give a small site of their own).
	SiteAssets fs.FS
}

// App is Portal over one database: the domain services, the GraphQL API
// and the HTTP server over them.
type App struct {
	DB     *bun.DB
	Logger *slog.Logger

	Policy      *policies.Enforcer
	Catalog     *catalog.Service
	Identity    *identity.Service
	Roles       *policies.Roles
	Permissions *policies.Admin
	Orders      *orders.Service
	// Sync is the ERP sync's operations view; Metrics the process's
	// Prometheus registry (/metrics).
	Sync        *dualwrite.Ops
	Metrics     *metrics.Metrics
	SyncMetrics *dualwrite.Metrics

	// Resolver is the GraphQL API's root; GraphQL its /graphql endpoint,
	// which runs for the viewer in the request's context (tests put one
	// there directly; Server authenticates first).
	Resolver *graph.Resolver
	GraphQL  http.Handler

	// Site is the customer site on the page engine (Site.Engine), mounted
	// on "/"; nil for one-shot commands.
	Site *site.Running

	// Manage is the administration app at /manage/ (administrators only;
	// it works through /graphql).
	Manage *manage.UI

	// Upcoming parts add their field here.

	// Server is the HTTP surface; Handler is Server.Handler(), what
	// http.Server serves.
	Server  *server.Server
	Handler http.Handler

	closers []func() error // run in reverse order by Close
}

// New builds the services over db (already migrated). Close the App before
// the database. logger nil means slog.Default().
func New(ctx context.Context, db *bun.DB, cfg Config, logger *slog.Logger) (*App, error) {
	if logger == nil {
		logger = slog.Default()
	}
	a := &App{DB: db, Logger: logger}
	opts := cfg.PolicyOptions
	if cfg.OneShot {
		opts = append([]policies.Option{policies.WithoutListen(), policies.CheckEvery(0)}, opts...)
	}
	var err error
	if a.Policy, err = policies.NewEnforcer(ctx, db, logger, opts...); err != nil {
		return nil, err
	}
	a.onClose(a.Policy.Close)

	a.Roles = &policies.Roles{DB: db, Policy: a.Policy}
	a.Permissions = &policies.Admin{DB: db, Policy: a.Policy}
	a.Catalog = &catalog.Service{DB: db, Policy: a.Policy}
	if !cfg.OneShot {
		// Servers keep products in memory, coherent across instances
		// through NOTIFY (see catalog.ProductCache).
		if a.Catalog.ProductCache, err = catalog.NewProductCache(ctx, db, logger, true, catalog.ProductCheckEvery); err != nil {
			a.Close()
			return nil, err
		}
		a.onClose(a.Catalog.ProductCache.Close)
	}
	a.Identity = &identity.Service{DB: db, Policy: a.Policy, Roles: a.Roles, Catalog: a.Catalog,
		BaseURL: cfg.BaseURL, Logger: logger, Mailer: cfg.Mailer}
	if !cfg.OneShot {
		// Servers keep sessions and viewers in memory, coherent across
		// instances through NOTIFY (see identity.SessionCache).
		a.Identity.Sessions = identity.NewSessionCache(ctx, db, a.Policy, logger, cfg.SessionTTL)
		a.onClose(a.Identity.Sessions.Close)
	}
	if cfg.Mailer == nil && cfg.SMTPURL != "" {
		if a.Identity.Mailer, err = identity.NewSMTPMailer(cfg.SMTPURL); err != nil {
			a.Close()
			return nil, err
		}
	}
	a.Orders = &orders.Service{DB: db, Policy: a.Policy}

	a.Metrics = metrics.New()
	a.Metrics.Token = cfg.MetricsToken
	a.Metrics.DB("portal", db.DB)
	if pc := a.Catalog.ProductCache; pc != nil {
		a.Metrics.Cache("products", func() metrics.CacheStats {
			s := pc.Stats()
			return metrics.CacheStats{Hits: s.Hits, Misses: s.Misses, Drops: s.Drops, Entries: s.Products}
		})
	}
	a.SyncMetrics = dualwrite.NewMetrics(a.Metrics.Registry, db)
	a.Sync = &dualwrite.Ops{DB: db}

	a.Resolver = &graph.Resolver{Catalog: a.Catalog, Identity: a.Identity, Roles: a.Roles,
		Permissions: a.Permissions, Orders: a.Orders, Sync: a.Sync,
		Extensions: []gqlgraphql.HandlerExtension{a.Metrics.GraphQL()}}
	a.GraphQL = graph.NewHandler(a.Resolver, logger, graph.AllowIntrospection(cfg.AllowIntrospection))

	// Upcoming parts are built here, after the services they use, e.g.
	//	a.Site = site.New(a.Catalog, a.Orders, ...)
	// and add their routes to routes below.
	routes := []server.Route{{Pattern: "/erp/events", MaxBody: dualwrite.MaxInboundBody,
		Handler: dualwrite.InboundHandler(db, cfg.ERP.Secret, a.Catalog, a.Orders, logger)}}
	if !cfg.OneShot && cfg.RunWorker && cfg.ERP.URL != "" {
		erp := cfg.ERP
		erp.Logger, erp.Metrics = logger, a.SyncMetrics
		stop, err := dualwrite.Start(ctx, db, cfg.DatabaseURL, erp)
		if err != nil {
			a.Close()
			return nil, err
		}
		a.onClose(stop)
	}
	if !cfg.OneShot {
		// Seeds the default site (never over an administrator's edit) and
		// sets a.Resolver.Engine, so /graphql administers the templates.
		a.Site, err = site.Start(ctx, site.Options{DB: db, Policy: a.Policy, Resolver: a.Resolver, Identity: a.Identity,
			Assets: cmp.Or[fs.FS](cfg.SiteAssets, pagetemplates.FS), Logger: logger, SecureCookies: cfg.SecureCookies, EngineOptions: cfg.EngineOptions})
		if err != nil {
			a.Close()
			return nil, err
		}
		a.onClose(a.Site.Close)
		routes = append(routes, server.Route{Pattern: "/", Handler: a.Site, Viewer: true})
	}

	if a.Manage, err = manage.New(); err != nil {
		a.Close()
		return nil, err
	}
	routes = append(routes, server.Route{Pattern: manage.Prefix, Handler: a.Manage, Viewer: true})

	a.Server = &server.Server{DB: db, Logger: logger, GraphQL: a.GraphQL, Identity: a.Identity,
		SecureCookies:  cfg.SecureCookies,
		TrustedProxies: cfg.TrustedProxies, Routes: routes, Metrics: a.Metrics,
		MaxInFlight: cfg.MaxInFlight}
	a.Handler = a.Server.Handler()
	return a, nil
}

// onClose registers f to run on Close, after everything registered later.
func (a *App) onClose(f func() error) { a.closers = append(a.closers, f) }

// Close stops what runs in the background (the policy listener, and the
// workers to come), newest first. The database stays open: it belongs to
// the caller.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	a.closers = nil
	return errors.Join(errs...)
}
