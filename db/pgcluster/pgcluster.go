// Package pgcluster runs a private PostgreSQL cluster from the system's
// PostgreSQL server binaries. Portal uses it when no DATABASE_URL is given,
// so a single binary plus the distribution's postgresql package is a working
// install; the test harness uses it to get a real, disposable database.
//
// The cluster listens only on a unix socket in a 0700 directory (no TCP), so
// it can use trust authentication: only the owning OS user (and root) can
// reach the socket at all.
//
// PostgreSQL refuses to run as root. Portal often is root (in a container,
// or under a plain systemd unit), so when this process is root, initdb and
// postgres run as the "postgres" system user instead: the data directory is
// chowned to it and the processes get its credentials. The directories above
// the data directory must then be traversable by that user; Start checks
// this and says how to fix it. Since root changes what it finds there, the
// data directory must not be a link and no directory above it may be one
// that other users can write (see checkParents).
//
// postgres is started directly as our child, in its own process group, so
// that a Ctrl-C on the terminal reaches Portal, which then stops PostgreSQL
// cleanly (fast shutdown) instead of both dying at once. If Portal dies
// without calling Stop, postgres gets SIGINT through the parent-death
// signal, so a crashed Portal does not leave a server holding the data
// directory.
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Options for Start.
type Options struct {
	DataDir string       // cluster lives in DataDir (created if missing); required
	Logger  *slog.Logger // nil: slog.Default()
	Fast    bool         // tests: fsync=off, synchronous_commit=off, full_page_writes=off
	BinDir  string       // optional: directory with initdb/postgres/pg_ctl; "" = find them
}

// Cluster is a running private PostgreSQL server. Stop it when done.
type Cluster struct {
	dataDir       string
	socketDir     string
	tempSocketDir bool // socketDir was made by us under os.TempDir(); removed on Stop
	user          string
	log           *slog.Logger

	cmd      *exec.Cmd
	logFile  *os.File
	logPath  string
	logStart int64 // offset in logFile where this run's output begins

	done    chan struct{} // closed when postgres has exited and been reaped
	waitErr error         // postgres's exit status; read only after done

	stopOnce sync.Once
	stopErr  error
}

const (
	// port only names the socket file (.s.PGSQL.5432): there is no TCP
	// listener. It is fixed, and passed explicitly, so PGPORT in the
	// environment cannot move the server away from the URL we hand out.
	port     = 5432
	sockName = ".s.PGSQL.5432"

	// maxSocketPath is sizeof(sockaddr_un.sun_path) less its NUL: the
	// longest socket path the kernel (and PostgreSQL) accepts.
	maxSocketPath = 107

	// readyTimeout bounds how long postgres may go without answering at
	// all; while it answers "starting up" (crash recovery) we keep waiting.
	readyTimeout = 30 * time.Second
	// stopTimeout is how long a fast shutdown may take before we escalate.
	stopTimeout = 30 * time.Second

	// logRotateSize: postgres.log is appended across runs; past this size
	// the old one is moved to postgres.log.1 so it cannot grow forever.
	logRotateSize = 16 << 20

	portalDB = "portal"
)

// Start initdb's the cluster if DataDir has none (reuses it otherwise),
// starts postgres listening only on a unix socket inside the data dir
// (listen_addresses is empty: no TCP), waits until it accepts connections,
// and ensures a database named "portal" exists. When the process runs as
// root, initdb and postgres run as the unprivileged "postgres" system user,
// since PostgreSQL refuses root. As a normal user it runs as that user.
//
// ctx bounds the start only; the server keeps running until Stop.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	began := time.Now()
	if opts.DataDir == "" {
		return nil, errors.New("pgcluster: Options.DataDir is required")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	binDir, err := FindBinaries(opts.BinDir)
	if err != nil {
		return nil, err // already says what to do; no prefix
	}
	acct, err := lookupAccount()
	if err != nil {
		return nil, err
	}

	initialised, err := prepareDataDir(dataDir, acct)
	if err != nil {
		return nil, err
	}
	if initialised {
		if err := clearStaleLock(dataDir, log); err != nil {
			return nil, err
		}
	} else {
		if err := initdb(ctx, binDir, dataDir, acct, opts.Fast, log); err != nil {
			return nil, err
		}
	}

	crashDeadline := time.Now().Add(crashWait)
	for attempt := 1; ; attempt++ {
		c, err := launch(ctx, dataDir, binDir, acct, opts.Fast, log)
		if err == nil {
			log.Info("postgres started",
				"data_dir", dataDir, "socket_dir", c.socketDir, "pid", c.cmd.Process.Pid,
				"bin_dir", binDir, "user", acct.name, "initdb", !initialised, "fast", opts.Fast,
				"took", time.Since(began).Round(time.Millisecond))
			return c, nil
		}
		// After a crash, the old postmaster's backends die a moment after
		// it and hold its shared memory until they have: PostgreSQL
		// (rightly) refuses to start beside them. A server restarted at
		// once after a crash waits for them, up to crashWait.
		if c == nil || !strings.Contains(c.logTail(), "pre-existing shared memory block") || time.Now().After(crashDeadline) {
			return nil, err
		}
		if attempt == 1 {
			log.Info("waiting for the processes of a postgres that crashed to exit", "data_dir", dataDir, "up_to", crashWait)
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(crashRetry):
		}
		if err := clearStaleLock(dataDir, log); err != nil {
			return nil, err
		}
	}
}

// crashRetry and crashWait pace Start's wait for the backends of a crashed
// postgres to exit.
const (
	crashRetry = 250 * time.Millisecond
	crashWait  = 15 * time.Second
)

// launch starts postgres on an initialised data directory and waits until
// it accepts connections. On failure it returns the stopped cluster too,
// for its log.
func launch(ctx context.Context, dataDir, binDir string, acct *account, fast bool, log *slog.Logger) (*Cluster, error) {
	socketDir, temp, err := makeSocketDir(dataDir, acct)
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		dataDir:       dataDir,
		socketDir:     socketDir,
		tempSocketDir: temp,
		user:          acct.name,
		log:           log,
		logPath:       filepath.Join(dataDir, "postgres.log"),
		done:          make(chan struct{}),
	}
	if err := c.spawn(binDir, acct, fast); err != nil {
		if temp {
			os.RemoveAll(socketDir)
		}
		return nil, err
	}
	if err := c.waitReadyAndCreateDB(ctx); err != nil {
		_ = c.Stop()
		return c, err
	}
	return c, nil
}

// URL returns a connection URL for database on this cluster, e.g.
// postgres://postgres@/portal?host=%2Fdata%2Fpg&port=5432&sslmode=disable,
// understood by pgx (and its database/sql driver) and by libpq. port is
// spelled out so a PGPORT in the environment cannot redirect it.
func (c *Cluster) URL(database string) string {
	u := url.URL{
		Scheme: "postgres",
		User:   url.User(c.user),
		Path:   "/" + database,
		RawQuery: url.Values{
			"host":    {c.socketDir},
			"port":    {strconv.Itoa(port)},
			"sslmode": {"disable"},
		}.Encode(),
	}
	return u.String()
}

// Stop shuts postgres down in "fast" mode (SIGINT: roll back open
// transactions, disconnect clients, checkpoint, exit) and waits for it. If
// it has not exited after 30s it gets SIGQUIT (immediate shutdown; crash
// recovery on next start), then SIGKILL. Stop is idempotent and safe to call
// concurrently; every call returns the first call's result. It returns an
// error if postgres had died on its own or had to be forced down.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() { c.stopErr = c.stop() })
	return c.stopErr
}

func (c *Cluster) stop() error {
	began := time.Now()
	var err error
	select {
	case <-c.done:
		err = fmt.Errorf("pgcluster: postgres had already exited (%v); last lines of %s:\n%s",
			c.waitErr, c.logPath, c.logTail())
	default:
		err = c.shutdown()
	}
	c.logFile.Close()
	if c.tempSocketDir {
		os.RemoveAll(c.socketDir)
	}
	c.log.Info("postgres stopped", "data_dir", c.dataDir, "took", time.Since(began).Round(time.Millisecond))
	return err
}

func (c *Cluster) shutdown() error {
	p := c.cmd.Process
	// Only the postmaster is signalled: it tells its backends itself.
	// Signalling the whole group would cancel backends' queries out of order.
	_ = p.Signal(syscall.SIGINT)
	if c.exited(stopTimeout) {
		if c.waitErr != nil {
			return fmt.Errorf("pgcluster: postgres exited with %v on shutdown; see %s", c.waitErr, c.logPath)
		}
		return nil
	}
	c.log.Warn("postgres did not finish fast shutdown in time; forcing immediate shutdown", "data_dir", c.dataDir, "waited", stopTimeout)
	_ = p.Signal(syscall.SIGQUIT)
	if c.exited(5 * time.Second) {
		return fmt.Errorf("pgcluster: postgres needed an immediate shutdown after %v; it will run crash recovery on next start", stopTimeout)
	}
	// The group takes any backends left behind with it.
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	<-c.done
	return fmt.Errorf("pgcluster: postgres did not stop and was killed; it will run crash recovery on next start")
}

func (c *Cluster) exited(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.done:
		return true
	case <-t.C:
		return false
	}
}

// prepareDataDir creates dataDir if needed and makes it usable by the
// account postgres runs as. It reports whether a cluster already lives there.
//
// As root it hands dataDir to the postgres account, so it must never be
// steered onto another file: the directories above dataDir must be ones
// nobody else can change (see checkParents), and dataDir itself is opened
// without following a link and changed through that descriptor only.
func prepareDataDir(dataDir string, acct *account) (initialised bool, err error) {
	parent := filepath.Dir(dataDir)
	// Checked before anything is created, so a planted link cannot make us
	// create directories elsewhere, and again once the path exists.
	if err := checkParents(parent); err != nil {
		return false, err
	}
	// Parents we create (e.g. ./portal-data) are 0755 so that, when we run
	// as root, the postgres account can pass through them to the data dir,
	// which itself stays 0700 as PostgreSQL requires.
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return false, fmt.Errorf("pgcluster: create data directory: %w", err)
	}
	if err := checkParents(parent); err != nil {
		return false, err
	}
	if err := os.Mkdir(dataDir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return false, fmt.Errorf("pgcluster: create data directory: %w", err)
	}
	dir, err := os.OpenFile(dataDir, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		if fi, lerr := os.Lstat(dataDir); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
			return false, fmt.Errorf("pgcluster: data directory %s is a symbolic link, which Portal does not follow: remove it, or give the real directory as the data directory", dataDir)
		}
		return false, fmt.Errorf("pgcluster: data directory %s must be a directory, not a link or a file: %w", dataDir, err)
	}
	defer dir.Close()
	fi, err := dir.Stat()
	if err != nil {
		return false, fmt.Errorf("pgcluster: %w", err)
	}
	_, err = os.Lstat(filepath.Join(dataDir, "PG_VERSION"))
	initialised = err == nil

	if acct.cred != nil { // we are root; postgres runs as acct
		if err := checkReachable(dataDir, acct); err != nil {
			return false, err
		}
		if owner := int(fi.Sys().(*syscall.Stat_t).Uid); owner != acct.uid {
			if initialised {
				// A cluster made by another user has that user as its
				// superuser; chowning it would start but not connect.
				return false, fmt.Errorf("pgcluster: data directory %s holds a cluster owned by uid %d, but as root PostgreSQL must run as %q (uid %d): use a new data directory, or run Portal as uid %d",
					dataDir, owner, acct.name, acct.uid, owner)
			}
			if err := dir.Chown(acct.uid, acct.gid); err != nil {
				return false, fmt.Errorf("pgcluster: hand data directory to user %s: %w", acct.name, err)
			}
		}
	}
	if owner := int(fi.Sys().(*syscall.Stat_t).Uid); acct.cred == nil && owner != acct.uid {
		// postgres only runs on a data directory its own user owns.
		return false, fmt.Errorf("pgcluster: data directory %s is owned by uid %d, not by this process's user %s (uid %d), and PostgreSQL only runs on a data directory its user owns: run Portal as uid %d, or use another data directory",
			dataDir, owner, acct.name, acct.uid, owner)
	}
	// postgres refuses a data directory that others can read (it must be
	// 0700 or 0750); a directory made by hand is often 0755.
	if fi.Mode().Perm()&^0o750 != 0 {
		_ = dir.Chmod(0o700) // if this fails postgres says why
	}
	return initialised, nil
}

// clearStaleLock deals with a postmaster.pid left by a postgres that did
// not shut down (crash, kill -9, power loss). postgres removes a stale one
// itself only if the pid in it is free; after a reboot or container restart
// that pid is often taken by an unrelated process (even by us), and postgres
// would then refuse to start. So we decide: if no postgres runs under that
// pid, the file and the socket lock files are stale and go.
func clearStaleLock(dataDir string, log *slog.Logger) error {
	pidFile := filepath.Join(dataDir, "postmaster.pid")
	// The postgres account owns the data directory: as root, read its
	// file, not whatever a link there points to.
	f, err := os.OpenFile(pidFile, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pgcluster: %s must be a plain file: %w", pidFile, err)
	}
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	f.Close()
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	// Lines: pid, data dir, start time, port, socket dir, listen addr, ...
	lines := strings.Split(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(lines[0]))
	if pid < 0 {
		pid = -pid // single-user mode writes -pid
	}
	oldSocketDir := ""
	if len(lines) > 4 {
		oldSocketDir = strings.TrimSpace(lines[4])
	}
	if pid > 0 && postgresRunning(pid) {
		return fmt.Errorf("pgcluster: a postgres server (pid %d) is already running on data directory %s (socket in %s), most likely another Portal process: stop that one first, or give this one a different data directory",
			pid, dataDir, oldSocketDir)
	}
	log.Info("removing stale postmaster.pid left by a postgres that did not shut down", "data_dir", dataDir, "old_pid", pid)
	if err := os.Remove(pidFile); err != nil {
		return fmt.Errorf("pgcluster: remove stale %s: %w", pidFile, err)
	}
	// Same reasoning for the socket lock file; and a short socket dir we
	// made in TMPDIR for that run would otherwise be left behind.
	if oldSocketDir == dataDir {
		os.Remove(filepath.Join(dataDir, sockName))
		os.Remove(filepath.Join(dataDir, sockName+".lock"))
	} else if oldSocketDir != "" && filepath.Dir(oldSocketDir) == filepath.Clean(os.TempDir()) &&
		strings.HasPrefix(filepath.Base(oldSocketDir), socketDirPrefix) {
		os.RemoveAll(oldSocketDir)
	}
	return nil
}

// postgresRunning reports whether pid is a live postgres process. A live pid
// whose command is not postgres is a reused pid, not a server.
func postgresRunning(pid int) bool {
	if pid == os.Getpid() {
		return false
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	// /proc/PID/stat is "PID (COMM) STATE ...". A zombie is an exited
	// postgres whose parent (a dead Portal, reparented to an init that
	// does not reap) has not collected it: it holds nothing.
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		s := string(b)
		lp, rp := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if lp >= 0 && rp > lp {
			comm, rest := s[lp+1:rp], strings.TrimSpace(s[rp+1:])
			if strings.HasPrefix(rest, "Z") {
				return false
			}
			return comm == "postgres" || comm == "postmaster"
		}
	}
	return true // exists, cannot tell what it is: assume the worst
}

// initdb creates a new cluster in dataDir.
func initdb(ctx context.Context, binDir, dataDir string, acct *account, fast bool, log *slog.Logger) error {
	began := time.Now()
	// Collation C: byte order, so text indexes serve LIKE 'abc%' and never
	// need rebuilding after a glibc upgrade. Character classes C.UTF-8, so
	// lower(), upper() and ILIKE handle non-ASCII letters ("Müller").
	// Local (socket) connections are trusted: the socket sits in a 0700
	// directory. TCP is not listened on at all, and rejected if it ever were.
	base := []string{"-D", dataDir, "-U", acct.name, "--auth-local=trust", "--auth-host=reject", "-E", "UTF8", "--locale=C"}
	if fast {
		base = append(base, "--no-sync")
	}
	out, err := runInitdb(ctx, binDir, dataDir, acct, append(base, "--lc-ctype=C.UTF-8"))
	if err != nil && strings.Contains(string(out), "invalid locale name") {
		// No C.UTF-8 locale on this system (old or minimal libc): plain C
		// still works, only case mapping is ASCII-only. initdb has already
		// emptied the directory again.
		log.Warn("C.UTF-8 locale unavailable; creating cluster with locale C (case-insensitive matching will be ASCII-only)", "data_dir", dataDir)
		out, err = runInitdb(ctx, binDir, dataDir, acct, base)
	}
	if err != nil {
		return fmt.Errorf("pgcluster: initdb %s failed: %w\n%s", dataDir, err, lastLines(out, 30))
	}
	log.Info("created new postgres cluster", "data_dir", dataDir, "took", time.Since(began).Round(time.Millisecond))
	return nil
}

func runInitdb(ctx context.Context, binDir, dataDir string, acct *account, args []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"), args...)
	// initdb cleans up a half-made cluster on SIGINT; SIGKILL (the
	// CommandContext default) would leave one that never starts.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Dir = dataDir // our cwd may be unreadable for the postgres user (/root)
	cmd.Env = childEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: acct.cred}
	return cmd.CombinedOutput()
}

const socketDirPrefix = "portal-pg-"

// makeSocketDir picks the directory for the unix socket: the data dir
// itself (already 0700 and private), unless its path is too long for a
// socket address, then a fresh short dir under os.TempDir().
func makeSocketDir(dataDir string, acct *account) (dir string, temp bool, err error) {
	if len(dataDir)+1+len(sockName) <= maxSocketPath {
		return dataDir, false, nil
	}
	// MkdirTemp makes it 0700 with an unguessable name, so nobody else can
	// have planted it.
	dir, err = os.MkdirTemp("", socketDirPrefix)
	if err != nil {
		return "", false, fmt.Errorf("pgcluster: data directory path is too long for a unix socket, and making a short socket dir failed: %w", err)
	}
	if len(dir)+1+len(sockName) > maxSocketPath {
		os.RemoveAll(dir)
		return "", false, fmt.Errorf("pgcluster: data directory path %s is too long for a unix socket (max %d bytes), and so is TMPDIR %s: use a shorter data directory or TMPDIR", dataDir, maxSocketPath, os.TempDir())
	}
	if acct.cred != nil {
		if err := checkReachable(dir, acct); err != nil {
			os.RemoveAll(dir)
			return "", false, err
		}
		// Through a descriptor opened without following links, like the
		// data directory: TMPDIR may be a place others can write.
		if err := chownDir(dir, acct); err != nil {
			os.RemoveAll(dir)
			return "", false, fmt.Errorf("pgcluster: hand socket dir to user %s: %w", acct.name, err)
		}
	}
	return dir, true, nil
}

// chownDir hands the directory path, never what a link there points to,
// to acct.
func chownDir(path string, acct *account) error {
	d, err := os.OpenFile(path, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Chown(acct.uid, acct.gid)
}

// spawn starts the postmaster as our child.
func (c *Cluster) spawn(binDir string, acct *account, fast bool) error {
	lf, start, err := openLog(c.logPath, acct)
	if err != nil {
		return err
	}
	c.logFile, c.logStart = lf, start

	args := []string{
		"-D", c.dataDir,
		"-p", strconv.Itoa(port),
		"-k", c.socketDir,
		"-c", "listen_addresses=", // no TCP at all
		"-c", "unix_socket_permissions=0700",
		// Everything goes to stderr, i.e. our log file, whatever
		// postgresql.conf says, so a failed start can be explained.
		"-c", "logging_collector=off",
		"-c", "log_destination=stderr",
	}
	if fast {
		// Durability is worthless for a test database and costs most of
		// its time; a crash just means a fresh one.
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(filepath.Join(binDir, "postgres"), args...)
	cmd.Dir = c.dataDir
	cmd.Env = childEnv()
	cmd.Stdout = lf
	cmd.Stderr = lf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: acct.cred,
		// Own process group: the terminal's Ctrl-C goes to Portal only,
		// which then stops postgres in order.
		Setpgid: true,
		// If Portal dies without Stop, postgres does a fast shutdown
		// instead of lingering and locking the data dir.
		Pdeathsig: syscall.SIGINT,
	}
	c.cmd = cmd

	// The parent-death signal fires when the OS thread that forked the
	// child exits, not the process (go.dev/issue/27505), and Go may retire
	// threads. So fork from a thread this goroutine holds, locked and never
	// unlocked, for exactly as long as postgres runs.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		c.waitErr = cmd.Wait()
		close(c.done)
	}()
	if err := <-started; err != nil {
		lf.Close()
		return fmt.Errorf("pgcluster: start postgres: %w", err)
	}
	return nil
}

// openLog opens postgres.log for appending. We open it (not postgres) so
// that even output from a postgres that dies at once is kept.
func openLog(path string, acct *account) (*os.File, int64, error) {
	// The data directory belongs to the postgres account, which could plant
	// a link here (postgres.log -> /etc/shadow) for root to open and chown:
	// never follow one, and only ever chown a plain file of one name.
	if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() && fi.Size() > logRotateSize {
		_ = os.Rename(path, path+".1")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("pgcluster: open postgres log %s (it must be a plain file, not a link): %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("pgcluster: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !fi.Mode().IsRegular() || (ok && st.Nlink != 1) {
		f.Close()
		return nil, 0, fmt.Errorf("pgcluster: postgres log %s is not a plain file with one name; remove it and start again", path)
	}
	if acct.cred != nil {
		_ = f.Chown(acct.uid, acct.gid) // readable by whoever owns the cluster
	}
	return f, fi.Size(), nil
}

// waitReadyAndCreateDB connects until postgres accepts connections, then
// makes sure the portal database exists.
func (c *Cluster) waitReadyAndCreateDB(ctx context.Context) error {
	conn, err := c.waitReady(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())

	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", portalDB).Scan(&exists); err != nil {
		return fmt.Errorf("pgcluster: look for database %s: %w", portalDB, err)
	}
	if !exists {
		_, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{portalDB}.Sanitize())
		var pgErr *pgconn.PgError
		if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "42P04") { // duplicate_database
			return fmt.Errorf("pgcluster: create database %s: %w", portalDB, err)
		}
	}
	return nil
}

func (c *Cluster) waitReady(ctx context.Context) (*pgx.Conn, error) {
	dsn := c.URL("postgres")
	deadline := time.Now().Add(readyTimeout)
	delay := 10 * time.Millisecond
	var lastErr error
	for {
		attemptCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(attemptCtx, dsn)
		cancel()
		if err == nil {
			return conn, nil
		}
		lastErr = err
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			if pgErr.Code != "57P03" { // cannot_connect_now: starting up / recovering
				// The server answered with a real error (e.g. unknown role):
				// waiting will not fix it.
				return nil, fmt.Errorf("pgcluster: connect to postgres: %w", err)
			}
			// Answering "starting up" means it is alive and replaying WAL,
			// which after a crash may legitimately take longer than
			// readyTimeout; only ctx limits that.
			deadline = time.Now().Add(readyTimeout)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("pgcluster: postgres did not accept connections within %v (last error: %v); last lines of %s:\n%s",
				readyTimeout, lastErr, c.logPath, c.logTail())
		}
		t := time.NewTimer(delay)
		select {
		case <-c.done:
			t.Stop()
			return nil, fmt.Errorf("pgcluster: postgres exited during startup (%v); last lines of %s:\n%s",
				c.waitErr, c.logPath, c.logTail())
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("pgcluster: waiting for postgres to accept connections: %w (last error: %v)", ctx.Err(), lastErr)
		case <-t.C:
		}
		delay = min(delay*2, 200*time.Millisecond)
	}
}

// logTail returns the end of what postgres logged during this run.
func (c *Cluster) logTail() string {
	f, err := os.Open(c.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer f.Close()
	const maxBytes = 16 << 10
	from := c.logStart
	if fi, err := f.Stat(); err == nil && fi.Size()-from > maxBytes {
		from = fi.Size() - maxBytes
	}
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return "(no log: " + err.Error() + ")"
	}
	b, _ := io.ReadAll(f)
	if len(b) == 0 {
		return "(postgres logged nothing)"
	}
	return lastLines(b, 30)
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// childEnv is our environment less PG* variables: PGDATA, PGPORT,
// PGOPTIONS and the like would otherwise change what initdb and postgres do
// behind our explicit flags.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}
