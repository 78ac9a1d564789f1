package pgcluster

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// testDataDir returns a fresh, empty directory for a cluster. As root,
// postgres runs as the postgres user, which must traverse every parent
// directory, and t.TempDir()'s per-test parent is made 0700 by os.MkdirTemp;
// so open that one up.
func testDataDir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	if os.Geteuid() == 0 {
		if err := os.Chmod(filepath.Dir(d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// start starts a Fast cluster in dir and stops it when the test ends
// (registered after testDataDir's cleanup, so it runs before the removal).
func start(t *testing.T, dir string) (*Cluster, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	began := time.Now()
	c, err := Start(ctx, Options{DataDir: dir, Fast: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	took := time.Since(began)
	t.Cleanup(func() { c.Stop() })
	return c, took
}

func openDB(t *testing.T, c *Cluster, database string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", c.URL(database))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func systemID(t *testing.T, db *sql.DB) int64 {
	t.Helper()
	var id int64
	if err := db.QueryRow(`SELECT system_identifier FROM pg_control_system()`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestStartStopRestart(t *testing.T) {
	dir := testDataDir(t)
	c, took := start(t, dir)
	t.Logf("first Start (initdb): %v", took)

	cfg, err := pgx.ParseConfig(c.URL("portal"))
	if err != nil {
		t.Fatalf("URL %q does not parse: %v", c.URL("portal"), err)
	}
	if cfg.Host != dir || cfg.Port != 5432 || cfg.Database != "portal" {
		t.Errorf("URL %q: host %q port %d database %q; want socket in data dir %q", c.URL("portal"), cfg.Host, cfg.Port, cfg.Database, dir)
	}

	db := openDB(t, c, "portal") // "portal" must exist without our help
	if _, err := db.Exec(`CREATE TABLE customer (id int PRIMARY KEY, name text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO customer VALUES (1, 'Müller GmbH')`); err != nil {
		t.Fatal(err)
	}
	// Character classes are Unicode-aware (lc_ctype C.UTF-8), collation is C.
	var lower string
	var ilike bool
	if err := db.QueryRow(`SELECT lower(name), name ILIKE 'MÜLLER%' FROM customer`).Scan(&lower, &ilike); err != nil {
		t.Fatal(err)
	}
	if lower != "müller gmbh" || !ilike {
		t.Errorf("lower = %q, ILIKE = %v; want Unicode case mapping", lower, ilike)
	}
	var who string
	if err := db.QueryRow(`SELECT current_user`).Scan(&who); err != nil {
		t.Fatal(err)
	}
	wantUser := "postgres"
	if os.Geteuid() != 0 {
		u, _ := user.Current()
		wantUser = u.Username
	}
	if who != wantUser {
		t.Errorf("superuser %q, want %q", who, wantUser)
	}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses root: the files must belong to postgres.
		pg, _ := user.Lookup("postgres")
		fi, err := os.Stat(filepath.Join(dir, "PG_VERSION"))
		if err != nil {
			t.Fatal(err)
		}
		if uid := fi.Sys().(*syscall.Stat_t).Uid; strconv.Itoa(int(uid)) != pg.Uid {
			t.Errorf("PG_VERSION owned by uid %d, want postgres (%s)", uid, pg.Uid)
		}
	}
	id := systemID(t, db)
	db.Close()

	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(ctx, c.URL("portal")); err == nil {
		conn.Close(ctx)
		t.Fatal("connected after Stop")
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("postmaster.pid still there after Stop: %v", err)
	}

	c2, took := start(t, dir)
	t.Logf("second Start (reuse): %v", took)
	db2 := openDB(t, c2, "portal")
	if got := systemID(t, db2); got != id {
		t.Errorf("system identifier %d after restart, was %d: cluster was re-initialised", got, id)
	}
	var name string
	if err := db2.QueryRow(`SELECT name FROM customer WHERE id = 1`).Scan(&name); err != nil {
		t.Fatalf("row gone after restart: %v", err)
	}
	if name != "Müller GmbH" {
		t.Errorf("name = %q", name)
	}
	if err := c2.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

func TestSecondStartOnRunningDataDirFails(t *testing.T) {
	dir := testDataDir(t)
	c, _ := start(t, dir)

	c2, err := Start(context.Background(), Options{DataDir: dir, Fast: true, Logger: testLogger(t)})
	if err == nil {
		c2.Stop()
		t.Fatal("second Start on a running data dir succeeded")
	}
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), "already running") || !strings.Contains(err.Error(), dir) {
		t.Errorf("error does not say the data dir is in use: %v", err)
	}
	// The failed attempt must not have disturbed the running one.
	if err := openDB(t, c, "portal").Ping(); err != nil {
		t.Errorf("first cluster broken by second Start: %v", err)
	}
}

// TestStartRightAfterCrash: when only the postmaster dies, a backend busy
// in a long query holds the shared memory until it notices: PostgreSQL
// refuses to start beside it. Start waits for it rather than fail (a
// server restarted at once by its supervisor after a crash).
func TestStartRightAfterCrash(t *testing.T) {
	dir := testDataDir(t)
	c, _ := start(t, dir)
	db := openDB(t, c, "portal")
	busy := make(chan error, 1)
	go func() {
		// Computing, it checks for the postmaster's death only when done.
		_, err := db.Exec(`SELECT count(*) FROM generate_series(1, 40000000)`)
		busy <- err
	}()
	time.Sleep(300 * time.Millisecond)
	pgid := c.cmd.Process.Pid
	defer syscall.Kill(-pgid, syscall.SIGKILL) // whatever is left of the first server
	syscall.Kill(pgid, syscall.SIGKILL)        // the postmaster alone
	<-c.done
	c2, _ := start(t, dir)
	if err := openDB(t, c2, "portal").Ping(); err != nil {
		t.Fatal(err)
	}
	<-busy
}

// A crash leaves postmaster.pid behind; after a restart its pid may be dead
// or, worse, taken by an unrelated process. Start must recover either way.
func TestStartAfterCrash(t *testing.T) {
	dir := testDataDir(t)
	c, _ := start(t, dir)
	if _, err := openDB(t, c, "portal").Exec(`CREATE TABLE t (x int)`); err != nil {
		t.Fatal(err)
	}
	// Crash: kill the postmaster and its children, no shutdown.
	syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	<-c.done
	// The backends die with the postmaster, but not at the same instant;
	// until the last is gone it holds the shared memory, and PostgreSQL
	// (rightly) refuses to start. A machine rebooting has no such wait.
	for deadline := time.Now().Add(10 * time.Second); syscall.Kill(-c.cmd.Process.Pid, 0) == nil && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if err := c.Stop(); err == nil {
		t.Error("Stop of a crashed postgres returned nil; want it to say it had exited")
	}

	// Pretend the pid was reused by something that is not postgres.
	sleeper := exec.Command("sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
	pidFile := filepath.Join(dir, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("crash left no postmaster.pid: %v", err)
	}
	lines := strings.SplitN(string(b), "\n", 2)
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(sleeper.Process.Pid)+"\n"+lines[1]), 0o600); err != nil {
		t.Fatal(err)
	}

	c2, _ := start(t, dir)
	if err := openDB(t, c2, "portal").Ping(); err != nil {
		t.Fatal(err)
	}
}

func TestLongDataDirUsesShortSocketDir(t *testing.T) {
	dir := filepath.Join(testDataDir(t), strings.Repeat("d", 110))
	c, _ := start(t, dir)
	cfg, err := pgx.ParseConfig(c.URL("portal"))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(cfg.Host) != filepath.Clean(os.TempDir()) || len(cfg.Host) >= len(dir) {
		t.Errorf("socket dir %q; want a short dir in %s", cfg.Host, os.TempDir())
	}
	if err := openDB(t, c, "portal").Ping(); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cfg.Host); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket dir %s left behind after Stop: %v", cfg.Host, err)
	}
}

func TestUnreachableDataDirAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root hands the cluster to another user")
	}
	locked := filepath.Join(testDataDir(t), "locked")
	if err := os.Mkdir(locked, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), Options{DataDir: filepath.Join(locked, "data"), Fast: true, Logger: testLogger(t)})
	if err == nil {
		t.Fatal("Start succeeded in a dir the postgres user cannot reach")
	}
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), "chmod o+x "+locked) {
		t.Errorf("error does not say how to fix it: %v", err)
	}
}

func TestDataDirOwnedByAnotherUser(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("as root the data dir is handed to postgres instead")
	}
	// "/" belongs to root; as a normal user nothing there can be changed,
	// so the test is harmless even if the check were missing.
	_, err := Start(context.Background(), Options{DataDir: "/", Fast: true, Logger: testLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "owned by uid 0") {
		t.Errorf("err = %v; want it to name the owner", err)
	}
}

func TestStartRequiresDataDir(t *testing.T) {
	if _, err := Start(context.Background(), Options{}); err == nil {
		t.Fatal("Start without DataDir succeeded")
	}
}

func TestFindBinaries(t *testing.T) {
	dir, err := FindBinaries("")
	if err != nil {
		t.Fatalf("FindBinaries: %v", err)
	}
	if !hasBinaries(dir) {
		t.Errorf("FindBinaries = %s, which lacks initdb or postgres", dir)
	}
	if got, err := FindBinaries(dir); err != nil || got != dir {
		t.Errorf("FindBinaries(%q) = %q, %v", dir, got, err)
	}
}

func TestFindBinariesNotFound(t *testing.T) {
	old := binGlobs
	t.Cleanup(func() { binGlobs = old })
	binGlobs = []string{filepath.Join(t.TempDir(), "*", "bin")}
	t.Setenv("PATH", "")

	_, err := FindBinaries("")
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("err = %v, want ErrNoBinaries", err)
	}
	want := "PostgreSQL server binaries (initdb, postgres) not found on PATH or in /usr/lib/postgresql/*/bin: install them (Debian/Ubuntu: apt-get install -y postgresql) or set DATABASE_URL to an existing PostgreSQL"
	if err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
	// Start passes it through unchanged.
	if _, err := Start(context.Background(), Options{DataDir: t.TempDir()}); err == nil || err.Error() != want {
		t.Errorf("Start err = %v", err)
	}

	_, err = FindBinaries("/nonexistent/bin")
	if !errors.Is(err, ErrNoBinaries) || !strings.Contains(err.Error(), "/nonexistent/bin") || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("bogus hint: err = %v", err)
	}
}

func TestFindBinariesPicksHighestVersion(t *testing.T) {
	root := t.TempDir()
	for _, v := range []string{"9.6", "15", "10"} {
		fakeBinaries(t, filepath.Join(root, v, "bin"), "initdb", "postgres")
	}
	fakeBinaries(t, filepath.Join(root, "16", "bin"), "initdb") // client-only: no postgres
	old := binGlobs
	t.Cleanup(func() { binGlobs = old })
	binGlobs = []string{filepath.Join(root, "*", "bin")}
	t.Setenv("PATH", "")

	got, err := FindBinaries("")
	if want := filepath.Join(root, "15", "bin"); err != nil || got != want {
		t.Errorf("FindBinaries = %q, %v; want %q", got, err, want)
	}
}

func fakeBinaries(t *testing.T, dir string, names ...string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// A link planted where the log goes is refused, not followed (as root,
// following it would hand the target file to the postgres account).
func TestLogLinkRefused(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "postgres.log")
	if err := os.Symlink(victim, log); err != nil {
		t.Fatal(err)
	}
	if f, _, err := openLog(log, &account{}); err == nil {
		f.Close()
		t.Fatal("openLog followed a symlink")
	}
	hard := filepath.Join(dir, "hard.log")
	if err := os.Link(victim, hard); err != nil {
		t.Fatal(err)
	}
	if f, _, err := openLog(hard, &account{}); err == nil {
		f.Close()
		t.Fatal("openLog accepted a file with two names")
	}
	if b, _ := os.ReadFile(victim); string(b) != "secret" {
		t.Error("the victim file changed")
	}
}

// A data directory that is a link is refused, and nothing it points to is
// chowned or chmodded (as root, following it handed the target to the
// postgres account).
func TestDataDirLinkRefused(t *testing.T) {
	base := testDataDir(t)
	victim := filepath.Join(base, "victim")
	if err := os.Mkdir(victim, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(victim, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "data")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	c, err := Start(context.Background(), Options{DataDir: link, Fast: true, Logger: testLogger(t)})
	if err == nil {
		c.Stop()
		t.Fatal("Start followed a link as the data directory")
	}
	if !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("error does not say why: %v", err)
	}
	fi, err := os.Stat(victim)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != os.Geteuid() || fi.Mode().Perm() != 0o755 {
		t.Errorf("link target changed: owner %d mode %04o, want %d 0755", st.Uid, fi.Mode().Perm(), os.Geteuid())
	}
	if entries, _ := os.ReadDir(victim); len(entries) != 0 {
		t.Errorf("something was created in the link target: %v", entries)
	}
}

// A data directory under a directory others may write is refused before
// anything is created.
func TestDataDirUnderWritableParentRefused(t *testing.T) {
	open := filepath.Join(testDataDir(t), "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(open, "portal-data", "postgres")
	_, err := Start(context.Background(), Options{DataDir: data, Fast: true, Logger: testLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "may be written by other users") || !strings.Contains(err.Error(), "chmod go-w "+open) {
		t.Fatalf("err = %v; want a refusal naming %s", err, open)
	}
	if _, err := os.Lstat(filepath.Join(open, "portal-data")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("refused, but created the data directory's parent: %v", err)
	}
}

// checkParents' rule: nobody but root and us may change the path; sticky
// directories (like /tmp) are fine, entries other users made in them not.
func TestCheckParents(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("handing directories to another user needs root")
	}
	const nobody = 65534
	base := testDataDir(t)
	dir := func(name string, mode os.FileMode, uid, gid int) string {
		p := filepath.Join(base, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Lchown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link := func(name, target string, uid int) string {
		p := filepath.Join(base, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		if err := os.Lchown(p, uid, 0); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok := dir("ok", 0o755, 0, 0)
	worldWritable := dir("ww", 0o777, 0, 0)
	sticky := dir("sticky", 0o777|os.ModeSticky, 0, 0)
	othersDir := dir("others", 0o755, nobody, nobody)
	groupWritable := dir("gw", 0o775, 0, nobody)
	rootGroupWritable := dir("rgw", 0o775, 0, 0)
	stickyOthers := filepath.Join(sticky, "planted")
	if err := os.Mkdir(stickyOthers, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(stickyOthers, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	plantedLink := filepath.Join(sticky, "link")
	if err := os.Symlink(ok, plantedLink); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(plantedLink, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		wantErr    string // "" means accepted
	}{
		{"plain", ok, ""},
		{"not yet created", filepath.Join(ok, "a", "b"), ""},
		{"world-writable", worldWritable, "may be written by other users"},
		{"below world-writable", filepath.Join(worldWritable, "x"), "may be written by other users"},
		{"sticky owned by root", filepath.Join(sticky, "x"), ""},
		{"other user's directory in a sticky one", filepath.Join(stickyOthers, "x"), "belongs to uid 65534"},
		{"other user's link in a sticky one", filepath.Join(plantedLink, "x"), "link " + plantedLink},
		{"other user's directory", othersDir, "belongs to uid 65534"},
		{"writable by another group", groupWritable, "may be written by other users"},
		{"writable by root's group", rootGroupWritable, ""},
		{"our link to a safe place", filepath.Join(link("safe-link", ok, 0), "x"), ""},
		{"our relative link", filepath.Join(link("rel-link", "ok", 0), "x"), ""},
		{"our link through a world-writable place", filepath.Join(link("ww-link", worldWritable, 0), "x"), "may be written by other users"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkParents(tt.path)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
