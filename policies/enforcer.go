package policies

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/openportal/portal/db"
)

//go:embed model.conf
var modelText string

// NotifyChannel is the PostgreSQL channel on which a change of roles,
// memberships or permissions is announced; the payload is the new
// policy_version.
const NotifyChannel = "portal_policy"

// DefaultCheckEvery is how often an enforcer compares policy_version with
// the version it holds, in case a notification was lost.
const DefaultCheckEvery = 5 * time.Second

// Enforcer answers permission questions for the viewer in a context from
// an in-memory snapshot of the policy: a Casbin enforcer loaded from the
// permission tables, whose answers are cached per role set (see snapshot).
// Checks never touch the database. The snapshot is replaced, never changed, when the policy
// changes: on NOTIFY portal_policy (sent by the transaction that changed
// it), when the periodic policy_version check finds it stale, and right
// after this instance's own Admin changes it. The zero Enforcer allows
// nothing.
type Enforcer struct {
	db     *bun.DB
	model  string // model.conf's text
	logger *slog.Logger
	snap   atomic.Pointer[snapshot]
	mu     sync.Mutex // one reload at a time
	follow db.Follower
}

// Option configures NewEnforcer.
type Option func(*options)

type options struct {
	checkEvery time.Duration
	listen     bool
	model      string
}

// CheckEvery sets how often policy_version is compared (0: never).
func CheckEvery(d time.Duration) Option { return func(o *options) { o.checkEvery = d } }

// WithoutListen leaves out the LISTEN connection: short-lived commands
// need none, and tests use it to show the version check alone suffices.
func WithoutListen() Option { return func(o *options) { o.listen = false } }

// WithModel replaces the embedded model.conf by another Casbin model with
// the same request and policy definitions, e.g. a matcher that an
// integrator narrowed or extended; every decision follows it. NewEnforcer
// fails when the model does not load or its matcher cannot be evaluated.
func WithModel(text string) Option { return func(o *options) { o.model = text } }

// NewEnforcer loads the policy and starts following its changes (a LISTEN
// connection taken from bdb's pool, and the periodic version check) until
// Close.
func NewEnforcer(ctx context.Context, bdb *bun.DB, logger *slog.Logger, opts ...Option) (*Enforcer, error) {
	o := options{checkEvery: DefaultCheckEvery, listen: true, model: modelText}
	for _, f := range opts {
		f(&o)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e := &Enforcer{db: bdb, logger: logger, model: o.model}
	if err := e.Reload(ctx); err != nil {
		return nil, err
	}
	e.follow = db.Follower{
		DB:           bdb,
		Logger:       logger,
		Name:         "policy",
		Channel:      NotifyChannel,
		VersionQuery: "SELECT version FROM policy_version",
		Held:         e.Version,
		Reload:       e.Reload,
	}
	e.follow.Start(ctx, o.listen, o.checkEvery)
	return e, nil
}

// Close stops following changes; the last snapshot stays usable.
func (e *Enforcer) Close() error {
	e.follow.Close()
	return nil
}

// Version is the policy_version of the snapshot in use.
func (e *Enforcer) Version() int64 {
	if s := e.current(); s != nil {
		return s.version
	}
	return 0
}

func (e *Enforcer) current() *snapshot {
	if e == nil {
		return nil
	}
	return e.snap.Load()
}

// Reload reads the policy from the database and swaps it in.
func (e *Enforcer) Reload(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := loadSnapshot(ctx, e.db, e.model)
	if err != nil {
		return fmt.Errorf("load the permission policy: %w", err)
	}
	if old := e.snap.Load(); old != nil && old.version > s.version {
		return nil // a newer one got in first
	}
	e.snap.Store(s)
	return nil
}

// notify bumps policy_version and announces it, inside the transaction
// that changes roles, memberships or permissions: the notification is
// delivered at commit, and not at all on rollback.
func notify(ctx context.Context, tx bun.IDB) error {
	var v int64
	if err := tx.NewRaw("UPDATE policy_version SET version = version + 1 RETURNING version").Scan(ctx, &v); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "SELECT pg_notify(?, ?)", NotifyChannel, strconv.FormatInt(v, 10))
	return err
}
