// Package dbtest gives tests a real PostgreSQL: one server per test binary
// (the private cluster of package pgcluster, or the server named by
// PORTAL_TEST_DATABASE_URL / DATABASE_URL), one migrated template database,
// and a fresh database per test cloned from that template, which takes
// milliseconds instead of re-running the migrations.
//
// A package that uses it has
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/pgcluster"
)

var (
	once     sync.Once
	setupErr error
	cluster  *pgcluster.Cluster
	tmpDir   string
	// serverURL connects to the maintenance database ("postgres" or the
	// one in the configured URL); urlFor derives other databases' URLs.
	serverURL string
	template  string
)

// Main runs the tests and then stops the private server, if one was started.
func Main(m *testing.M) {
	code := m.Run()
	teardown()
	os.Exit(code)
}

func teardown() {
	if template != "" && setupErr == nil {
		ctx := context.Background()
		if admin, err := db.Open(ctx, serverURL); err == nil {
			admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+template+" WITH (FORCE)")
			admin.Close()
		}
	}
	if cluster != nil {
		cluster.Stop()
	}
	if tmpDir != "" {
		os.RemoveAll(tmpDir)
	}
}

func setup() {
	ctx := context.Background()
	serverURL = os.Getenv("PORTAL_TEST_DATABASE_URL")
	if serverURL == "" {
		serverURL = os.Getenv("DATABASE_URL")
	}
	if serverURL == "" {
		dir, err := os.MkdirTemp("", "portal-test-pg-")
		if err != nil {
			setupErr = err
			return
		}
		tmpDir = dir
		// When tests run as root, PostgreSQL runs as the postgres user,
		// which must be able to pass through this directory.
		if err := os.Chmod(dir, 0o755); err != nil {
			setupErr = err
			return
		}
		quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		cluster, err = pgcluster.Start(ctx, pgcluster.Options{DataDir: dir + "/data", Fast: true, Logger: quiet})
		if err != nil {
			setupErr = fmt.Errorf("start the test PostgreSQL: %w", err)
			return
		}
		serverURL = cluster.URL("postgres")
	}

	template = "portal_template_" + randomName()
	admin, err := db.Open(ctx, serverURL)
	if err != nil {
		setupErr = err
		return
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+template); err != nil {
		setupErr = fmt.Errorf("create template database: %w", err)
		return
	}
	tdb, err := db.Open(ctx, urlFor(template))
	if err != nil {
		setupErr = err
		return
	}
	defer tdb.Close()
	if _, err := db.Migrate(ctx, tdb); err != nil {
		setupErr = fmt.Errorf("migrate template database: %w", err)
	}
}

func randomName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func urlFor(database string) string {
	u, err := url.Parse(serverURL)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + database
	return u.String()
}

// NewURL creates a fresh, migrated database for this test, dropped when the
// test ends, and returns its URL (for a server process under test).
func NewURL(t testing.TB) string {
	t.Helper()
	return createDatabase(t, "portal_test_", true)
}

// New returns a connection to a fresh, migrated database for this test.
func New(t testing.TB) *bun.DB {
	t.Helper()
	u := NewURL(t)
	bdb, err := db.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	// Registered after NewURL's cleanup, so it runs first: close, then drop.
	t.Cleanup(func() { bdb.Close() })
	return bdb
}

// Empty returns the URL of a fresh database with no migrations applied, for
// tests of migrating itself.
func Empty(t testing.TB) string {
	t.Helper()
	return createDatabase(t, "portal_empty_", false)
}

func createDatabase(t testing.TB, prefix string, fromTemplate bool) string {
	t.Helper()
	once.Do(setup)
	if setupErr != nil {
		t.Fatalf("test database: %v", setupErr)
	}
	ctx := context.Background()
	name := prefix + randomName()
	options := ""
	if fromTemplate {
		options = "TEMPLATE " + template
	}
	admin, err := db.Open(ctx, serverURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" "+options); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if admin, err := db.Open(ctx, serverURL); err == nil {
			admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			admin.Close()
		}
	})
	return urlFor(name)
}
