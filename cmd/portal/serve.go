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

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/demo"
	"github.com/openportal/portal/pagetemplates"
	"github.com/openportal/portal/server"
	"github.com/openportal/portal/site"
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
	svc  *services
	site *site.Running
	ln   net.Listener
	http *http.Server
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
	svc, err := newServices(ctx, m.db.DB, &m.Config, m.Logger, true)
	if err != nil {
		return err
	}
	m.svc = svc
	if m.Config.Demo {
		if err := loadDemo(ctx, m.db, svc, m.Stdout); err != nil {
			return err
		}
	}
	m.ln, err = net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	if m.Config.BaseURL == "" {
		svc.identity.BaseURL = "http://" + m.ln.Addr().String()
	}
	secure := strings.HasPrefix(strings.ToLower(m.Config.BaseURL), "https://")
	resolver := svc.resolver()
	m.site, err = site.Start(ctx, site.Options{DB: m.db.DB, Policy: svc.policy, Resolver: resolver, Identity: svc.identity,
		Assets: pagetemplates.FS, Logger: m.Logger, SecureCookies: secure})
	if err != nil {
		return err
	}
	s := &server.Server{DB: m.db.DB, Logger: m.Logger, Resolver: resolver, Identity: svc.identity,
		SecureCookies: secure, TrustedProxies: proxies, Site: m.site}
	m.http = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	return nil
}

// Addr is the address the server listens on.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// Serve answers requests until Close.
func (m *Main) Serve() error {
	m.Logger.Info("portal listening", "url", "http://"+m.Addr(), "graphiql", "http://"+m.Addr()+"/graphiql")
	if err := m.http.Serve(m.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close stops accepting connections, lets in-flight requests finish, then
// closes the database and stops the private cluster.
func (m *Main) Close() error {
	var errs []error
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		if err := m.http.Shutdown(ctx); err != nil {
			// The grace period ran out: cut the remaining connections
			// rather than close the database under running handlers.
			errs = append(errs, err, m.http.Close())
		}
		cancel()
	}
	if m.site != nil {
		errs = append(errs, m.site.Close())
	}
	if m.svc != nil {
		errs = append(errs, m.svc.Close())
	}
	if m.db != nil {
		errs = append(errs, m.db.Close())
	}
	m.Logger.Info("portal stopped")
	return errors.Join(errs...)
}

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	m := &Main{Stdout: stdout}
	fs := newFlags("serve", "portal serve [flags]", stderr)
	fs.StringVar(&m.Config.Addr, "addr", or(getenv("PORTAL_ADDR"), "127.0.0.1:8080"), "address to listen on (env PORTAL_ADDR)")
	fs.BoolVar(&m.Config.Demo, "demo", envBool(getenv("PORTAL_DEMO")), "load demo data when the database is empty (env PORTAL_DEMO)")
	fs.StringVar(&m.Config.BaseURL, "base-url", getenv("PORTAL_BASE_URL"),
		"the site's public URL, for links in invitations (env PORTAL_BASE_URL); default http://ADDR")
	fs.StringVar(&m.Config.SMTPURL, "smtp-url", getenv("PORTAL_SMTP_URL"),
		"mail invitations through this SMTP server: smtp://user:pass@host:587?from=portal@example.com (env PORTAL_SMTP_URL); empty: hand over the sign-up URL yourself")
	fs.StringVar(&m.Config.TrustedProxies, "trusted-proxies", getenv("PORTAL_TRUSTED_PROXIES"),
		"reverse proxies whose X-Forwarded-For names the client, e.g. 10.0.0.0/8,127.0.0.1 (env PORTAL_TRUSTED_PROXIES)")
	dbFlags(fs, &m.Config, getenv)
	if err := parse(fs, args); err != nil {
		return err
	}
	var err error
	if m.Logger, err = m.Config.logger(stderr); err != nil {
		return err
	}
	if err := m.Open(ctx); err != nil {
		if m.svc != nil {
			m.svc.Close()
		}
		if m.db != nil {
			m.db.Close()
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
func loadDemo(ctx context.Context, d *database, svc *services, stdout io.Writer) error {
	empty, err := demo.Empty(ctx, d.DB)
	if err != nil {
		return err
	}
	if !empty {
		fmt.Fprintln(stdout, "Demo data: the database already has data; nothing loaded.")
		return nil
	}
	creds, err := demo.Load(ctx, svc.catalog, svc.identity)
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
