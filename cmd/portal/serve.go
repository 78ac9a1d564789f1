package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/openportal/portal/app"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/demo"
	"github.com/openportal/portal/server"
)

// shutdownGrace is how long in-flight requests may take to finish on
// SIGINT/SIGTERM before connections are closed.
const shutdownGrace = 20 * time.Second

// Main is a running Portal server. Tests start it on 127.0.0.1:0 in-process.
type Main struct {
	Config config
	Logger *slog.Logger
	// Stdout receives the demo credentials.
	Stdout io.Writer

	db   *database
	app  *app.App
	ln   net.Listener
	http *http.Server
	// pprof serves profiles when Config.PprofAddr is set.
	pprof   *http.Server
	pprofLn net.Listener
	// stopDemoERP stops the in-process ERP simulator of serve --demo.
	stopDemoERP func()
}

// Open connects to (or starts) the database, migrates it, loads demo data
// when asked and the database is empty, and listens.
func (m *Main) Open(ctx context.Context) error {
	proxies, err := server.ParseProxies(m.Config.TrustedProxies)
	if err != nil {
		return err
	}
	m.db, err = openDatabase(ctx, &m.Config, m.Logger)
	if err != nil {
		return err
	}
	applied, err := db.Migrate(ctx, m.db.DB)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		m.Logger.Info("migrations applied", "migrations", applied)
	}
	// Listen before building the app: with no base URL configured, the
	// links in invitations point at the address actually bound.
	m.ln, err = net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	if err := m.openSync(); err != nil {
		return err
	}
	cfg := app.Config{BaseURL: m.Config.BaseURL, SMTPURL: m.Config.SMTPURL, TrustedProxies: proxies,
		AllowIntrospection: m.Config.Introspection,
		SecureCookies:      strings.HasPrefix(strings.ToLower(m.Config.BaseURL), "https://"),
		ERP:                m.Config.ERP.worker(), RunWorker: m.Config.ERP.Worker, DatabaseURL: m.db.URL,
		MetricsToken: m.Config.MetricsToken, MaxInFlight: m.Config.MaxInFlight}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + m.ln.Addr().String()
	}
	m.app, err = app.New(ctx, m.db.DB, cfg, m.Logger)
	if err != nil {
		return err
	}
	if m.Config.Demo {
		if err := loadDemo(ctx, m.app, m.Stdout); err != nil {
			return err
		}
	}
	if m.Config.PprofAddr != "" {
		if m.pprof, m.pprofLn, err = listenPprof(m.Config.PprofAddr); err != nil {
			return err
		}
	}
	m.http = &http.Server{
		Handler:           m.app.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	return nil
}

// openSync completes the ERP settings: serve --demo without an ERP starts
// the simulator in-process (with a random secret unless one is set).
func (m *Main) openSync() error {
	c := &m.Config.ERP
	if !m.Config.Demo || c.URL != "" {
		if c.URL != "" && c.Secret == "" {
			return errors.New("PORTAL_ERP_URL is set but PORTAL_ERP_SECRET is not: events to the ERP must be signed")
		}
		return nil
	}
	if c.Secret == "" {
		c.Secret = randomSecret()
	}
	url, stop, err := demoERP(c, "http://"+m.ln.Addr().String(), m.Logger)
	if err != nil {
		return err
	}
	c.URL, m.stopDemoERP = url, stop
	return nil
}

// Addr is the address the server listens on.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// Serve answers requests until Close.
func (m *Main) Serve() error {
	m.Logger.Info("portal listening", "url", "http://"+m.Addr(), "graphiql", "http://"+m.Addr()+"/graphiql")
	if m.pprof != nil {
		m.Logger.Info("pprof listening", "url", "http://"+m.pprofLn.Addr().String()+"/debug/pprof/")
		go m.pprof.Serve(m.pprofLn)
	}
	if err := m.http.Serve(m.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close stops accepting connections, lets in-flight requests finish, then
// closes the database and stops the private cluster.
func (m *Main) Close() error {
	var errs []error
	if m.pprof != nil {
		m.pprof.Close()
	} else if m.pprofLn != nil {
		m.pprofLn.Close()
	}
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		if err := m.http.Shutdown(ctx); err != nil {
			// The grace period ran out: cut the remaining connections
			// rather than close the database under running handlers.
			errs = append(errs, err, m.http.Close())
		}
		cancel()
	}
	if m.app != nil {
		errs = append(errs, m.app.Close())
	}
	if m.stopDemoERP != nil {
		m.stopDemoERP()
	}
	if m.db != nil {
		errs = append(errs, m.db.Close())
	}
	m.Logger.Info("portal stopped")
	return errors.Join(errs...)
}

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	tuneGC(getenv)
	m := &Main{Stdout: stdout}
	fs := newFlags("serve", "portal serve [flags]", stderr)
	fs.StringVar(&m.Config.Addr, "addr", or(getenv("PORTAL_ADDR"), "127.0.0.1:8080"), "address to listen on (env PORTAL_ADDR)")
	fs.BoolVar(&m.Config.Demo, "demo", envBool(getenv("PORTAL_DEMO")), "load demo data when the database is empty (env PORTAL_DEMO)")
	fs.StringVar(&m.Config.BaseURL, "base-url", getenv("PORTAL_BASE_URL"),
		"the site's public URL, for links in invitations (env PORTAL_BASE_URL); default http://ADDR")
	secretFlag(fs, &m.Config.SMTPURL, "smtp-url", "PORTAL_SMTP_URL", getenv,
		"mail invitations through the SMTP server at `URL`: smtp://user:pass@host:587?from=portal@example.com; empty: hand over the sign-up URL yourself")
	fs.StringVar(&m.Config.TrustedProxies, "trusted-proxies", getenv("PORTAL_TRUSTED_PROXIES"),
		"reverse proxies whose X-Forwarded-For names the client, e.g. 10.0.0.0/8,127.0.0.1 (env PORTAL_TRUSTED_PROXIES)")
	fs.StringVar(&m.Config.PprofAddr, "pprof-addr", getenv("PORTAL_PPROF_ADDR"),
		"serve Go profiles (/debug/pprof/) on this loopback address, e.g. 127.0.0.1:6060 (env PORTAL_PPROF_ADDR); empty: off")
	fs.IntVar(&m.Config.MaxInFlight, "max-in-flight", envInt(getenv("PORTAL_MAX_IN_FLIGHT")),
		fmt.Sprintf("requests served at once, the others waiting their turn in arrival order (env PORTAL_MAX_IN_FLIGHT); 0: %d, four per core", server.DefaultInFlight()))
	fs.BoolVar(&m.Config.Introspection, "introspection", envBool(getenv("PORTAL_INTROSPECTION")),
		"let every caller introspect the GraphQL schema; off: administrators only (env PORTAL_INTROSPECTION)")
	fs.BoolVar(&m.Config.ERP.Worker, "worker", true, "also deliver events to the ERP from this process (see portal worker)")
	dbFlags(fs, &m.Config, getenv)
	erpFlags(fs, &m.Config.ERP, getenv)
	if err := parse(fs, args); err != nil {
		return err
	}
	if m.Config.MaxInFlight < 0 {
		return fmt.Errorf("--max-in-flight (or PORTAL_MAX_IN_FLIGHT=%q) must be a whole number, 0 or more", getenv("PORTAL_MAX_IN_FLIGHT"))
	}
	m.Config.MetricsToken = getenv("PORTAL_METRICS_TOKEN")
	var err error
	if m.Logger, err = m.Config.logger(stderr); err != nil {
		return err
	}
	if err := m.Open(ctx); err != nil {
		if m.ln != nil {
			m.ln.Close()
		}
		if m.app != nil {
			m.app.Close()
		}
		if m.db != nil {
			m.db.Close()
		}
		if m.pprofLn != nil {
			m.pprofLn.Close()
		}
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- m.Serve() }()
	select {
	case <-ctx.Done():
		m.Logger.Info("shutting down", "grace", shutdownGrace)
	case err = <-errc:
	}
	return errors.Join(err, m.Close())
}

// loadDemo loads the demo data when the database has none yet and prints
// the sign-ins.
func loadDemo(ctx context.Context, a *app.App, stdout io.Writer) error {
	empty, err := demo.Empty(ctx, a.DB)
	if err != nil {
		return err
	}
	if !empty {
		fmt.Fprintln(stdout, "Demo data: the database already has data; nothing loaded.")
		return nil
	}
	creds, err := demo.Load(ctx, a.Catalog, a.Identity)
	if err != nil {
		return fmt.Errorf("load demo data: %w", err)
	}
	printCredentials(stdout, creds)
	return nil
}

func printCredentials(w io.Writer, creds []demo.Credential) {
	fmt.Fprintln(w, "Demo data loaded. Sign in with:")
	for _, c := range creds {
		fmt.Fprintf(w, "  %-26s %-28s %-20s %s\n", c.Role, c.Email, c.Password, c.Account)
	}
}
