package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/uptrace/bun"

	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/pgcluster"
	"github.com/openportal/portal/dualwrite"
	"github.com/openportal/portal/graph"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/orders"
	"github.com/openportal/portal/policies"
)

// config is every setting, from flags with PORTAL_* environment defaults.
type config struct {
	Addr           string
	DataDir        string
	DatabaseURL    string
	Demo           bool
	BaseURL        string
	SMTPURL        string
	TrustedProxies string
	LogLevel       string
	LogFormat      string
	ERP            erpConfig
	// MetricsToken guards /metrics (PORTAL_METRICS_TOKEN).
	MetricsToken string
}

// dbFlags registers the settings every command that touches the database
// shares.
func dbFlags(fs *flag.FlagSet, c *config, getenv func(string) string) {
	fs.StringVar(&c.DataDir, "data-dir", or(getenv("PORTAL_DATA_DIR"), "portal-data"),
		"directory of the private PostgreSQL cluster, used when no database URL is set (env PORTAL_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", getenv("DATABASE_URL"),
		"PostgreSQL URL, e.g. postgres://user:pass@host/db (env DATABASE_URL); empty: run a private PostgreSQL")
	fs.StringVar(&c.LogLevel, "log-level", or(getenv("PORTAL_LOG_LEVEL"), "info"), "debug, info, warn or error (env PORTAL_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", or(getenv("PORTAL_LOG_FORMAT"), "text"), "text or json (env PORTAL_LOG_FORMAT)")
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func (c *config) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(c.LogFormat) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: use text or json", c.LogFormat)
}

// database is an open database and, when Portal runs its own, the cluster.
type database struct {
	DB      *bun.DB
	URL     string
	cluster *pgcluster.Cluster
}

// openDatabase connects to DatabaseURL, or starts the private cluster under
// DataDir and connects to it.
func openDatabase(ctx context.Context, c *config, logger *slog.Logger) (*database, error) {
	d := &database{}
	url := c.DatabaseURL
	if url == "" {
		dir, err := filepath.Abs(filepath.Join(c.DataDir, "postgres"))
		if err != nil {
			return nil, err
		}
		d.cluster, err = pgcluster.Start(ctx, pgcluster.Options{DataDir: dir, Logger: logger})
		if err != nil {
			return nil, err
		}
		url = d.cluster.URL("portal")
	}
	var err error
	d.URL = url
	d.DB, err = db.Open(ctx, url)
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Close disconnects and stops the private cluster, if any.
func (d *database) Close() error {
	if d.DB != nil {
		d.DB.Close()
	}
	if d.cluster != nil {
		return d.cluster.Stop()
	}
	return nil
}

// services are the domain services over one database.
type services struct {
	policy      *policies.Enforcer
	catalog     *catalog.Service
	identity    *identity.Service
	roles       *policies.Roles
	permissions *policies.Admin
	orders      *orders.Service
}

// newServices loads the permission policy and builds the services. A
// server follows policy changes (LISTEN and the version check); a one-shot
// command (follow false) only needs the policy as it is. Close the
// services before the database.
func newServices(ctx context.Context, bdb *bun.DB, c *config, logger *slog.Logger, follow bool) (*services, error) {
	var opts []policies.Option
	if !follow {
		opts = append(opts, policies.WithoutListen(), policies.CheckEvery(0))
	}
	policy, err := policies.NewEnforcer(ctx, bdb, logger, opts...)
	if err != nil {
		return nil, err
	}
	roles := &policies.Roles{DB: bdb}
	cat := &catalog.Service{DB: bdb, Policy: policy}
	ids := &identity.Service{DB: bdb, Policy: policy, Roles: roles, Catalog: cat, BaseURL: c.BaseURL, Logger: logger}
	if c.SMTPURL != "" {
		m, err := identity.NewSMTPMailer(c.SMTPURL)
		if err != nil {
			policy.Close()
			return nil, err
		}
		ids.Mailer = m
	}
	return &services{
		policy:      policy,
		catalog:     cat,
		identity:    ids,
		roles:       roles,
		permissions: &policies.Admin{DB: bdb, Policy: policy},
		orders:      &orders.Service{DB: bdb, Policy: policy},
	}, nil
}

// Close stops following policy changes.
func (s *services) Close() error { return s.policy.Close() }

func (s *services) resolver() *graph.Resolver {
	return &graph.Resolver{Catalog: s.catalog, Identity: s.identity, Roles: s.roles, Permissions: s.permissions, Orders: s.orders,
		Sync: &dualwrite.Ops{DB: s.catalog.DB}}
}
