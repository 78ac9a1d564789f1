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

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/pgcluster"
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
	// Introspection opens GraphQL introspection to every caller.
	Introspection bool
	LogLevel      string
	LogFormat     string
	PprofAddr     string
	// MaxInFlight bounds the requests served at once (0: the default).
	MaxInFlight int
	ERP         erpConfig
	// MetricsToken guards /metrics (PORTAL_METRICS_TOKEN).
	MetricsToken string
}

// dbFlags registers the settings every command that touches the database
// shares.
func dbFlags(fs *flag.FlagSet, c *config, getenv func(string) string) {
	fs.StringVar(&c.DataDir, "data-dir", or(getenv("PORTAL_DATA_DIR"), "portal-data"),
		"directory of the private PostgreSQL cluster, used when no database URL is set (env PORTAL_DATA_DIR)")
	secretFlag(fs, &c.DatabaseURL, "database-url", "DATABASE_URL", getenv,
		"PostgreSQL `URL`, e.g. postgres://user:pass@host/db; empty: run a private PostgreSQL")
	fs.StringVar(&c.LogLevel, "log-level", or(getenv("PORTAL_LOG_LEVEL"), "info"), "debug, info, warn or error (env PORTAL_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", or(getenv("PORTAL_LOG_FORMAT"), "text"), "text or json (env PORTAL_LOG_FORMAT)")
}

// secretFlag registers a flag whose environment variable may hold a
// password. Its value is read from the environment only after parsing (see
// parse), never as the flag's default: the flag package prints defaults in
// --help and after a mistyped flag, and a password does not belong in a
// terminal's scrollback or a CI log. The usage says only whether it is set.
func secretFlag(fs *flag.FlagSet, p *string, name, env string, getenv func(string) string, usage string) {
	state := "not set"
	if getenv(env) != "" {
		state = "set, value not shown"
	}
	fs.Var(&envSecret{p: p, env: env, getenv: getenv}, name, fmt.Sprintf("%s (env %s: %s)", usage, env, state))
}

// envSecret is a string flag that falls back to an environment variable.
// String is empty so that no default, and so no secret, is ever printed.
type envSecret struct {
	p      *string
	env    string
	getenv func(string) string
}

func (s *envSecret) String() string     { return "" }
func (s *envSecret) Set(v string) error { *s.p = v; return nil }

// fromEnv fills a secret flag that was not given on the command line.
func (s *envSecret) fromEnv() { *s.p = s.getenv(s.env) }

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
