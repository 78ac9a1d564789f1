package policies

import (
	"context"
	"database/sql/driver"
	_ "embed"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
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
	cancel context.CancelFunc
	wg     sync.WaitGroup
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
// connection taken from db's pool, and the periodic version check) until
// Close.
func NewEnforcer(ctx context.Context, db *bun.DB, logger *slog.Logger, opts ...Option) (*Enforcer, error) {
	o := options{checkEvery: DefaultCheckEvery, listen: true, model: modelText}
	for _, f := range opts {
		f(&o)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e := &Enforcer{db: db, logger: logger, model: o.model}
	if err := e.Reload(ctx); err != nil {
		return nil, err
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.cancel = cancel
	if o.listen {
		e.wg.Go(func() { e.listen(bg) })
	}
	if o.checkEvery > 0 {
		e.wg.Go(func() { e.check(bg, o.checkEvery) })
	}
	return e, nil
}

// Close stops following changes; the last snapshot stays usable.
func (e *Enforcer) Close() error {
	if e.cancel != nil {
		e.cancel()
	}
	e.wg.Wait()
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

// reloadIfStale reloads when the database holds a newer version than
// known (or, with known < 0, asks the database).
func (e *Enforcer) reloadIfStale(ctx context.Context, known int64) {
	if known < 0 {
		if err := e.db.NewRaw("SELECT version FROM policy_version").Scan(ctx, &known); err != nil {
			if ctx.Err() == nil {
				e.logger.Warn("policy version check failed", "err", err)
			}
			return
		}
	}
	if known == e.Version() {
		return
	}
	if err := e.Reload(ctx); err != nil && ctx.Err() == nil {
		e.logger.Error("policy reload failed; keeping the previous policy", "err", err)
		return
	}
	e.logger.Info("permission policy reloaded", "version", e.Version())
}

// check is the fallback for lost notifications.
func (e *Enforcer) check(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			e.reloadIfStale(ctx, -1)
		}
	}
}

// listen keeps a LISTEN connection open, reconnecting after a failure.
func (e *Enforcer) listen(ctx context.Context) {
	const first = 100 * time.Millisecond
	backoff := first
	for ctx.Err() == nil {
		started := time.Now()
		err := e.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) > time.Minute {
			backoff = first // it had been working: a fresh failure
		}
		e.logger.Warn("policy notifications interrupted; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// listenOnce borrows one connection of the pool for good (bun's database/sql
// runs over pgx, whose connection can wait for notifications), and hands
// it back as broken when done, so it is never reused with LISTEN on.
func (e *Enforcer) listenOnce(ctx context.Context) error {
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
			return fmt.Errorf("%w: %w", driver.ErrBadConn, err)
		}
		// Changes made while nobody listened were not announced.
		e.reloadIfStale(ctx, -1)
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				return fmt.Errorf("%w: %w", driver.ErrBadConn, err)
			}
			v, err := strconv.ParseInt(n.Payload, 10, 64)
			if err != nil {
				v = -1
			}
			e.reloadIfStale(ctx, v)
		}
	})
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
