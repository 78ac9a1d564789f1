package policies

import (
	"context"
	"database/sql"
	"database/sql/driver"
	_ "embed"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
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
// permission tables, indexed by (table, privilege). Checks never touch the
// database. The snapshot is replaced, never changed, when the policy
// changes: on NOTIFY portal_policy (sent by the transaction that changed
// it), when the periodic policy_version check finds it stale, and right
// after this instance's own Admin changes it. The zero Enforcer allows
// nothing.
type Enforcer struct {
	db     *bun.DB
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
}

// CheckEvery sets how often policy_version is compared (0: never).
func CheckEvery(d time.Duration) Option { return func(o *options) { o.checkEvery = d } }

// WithoutListen leaves out the LISTEN connection: short-lived commands
// need none, and tests use it to show the version check alone suffices.
func WithoutListen() Option { return func(o *options) { o.listen = false } }

// NewEnforcer loads the policy and starts following its changes (a LISTEN
// connection taken from db's pool, and the periodic version check) until
// Close.
func NewEnforcer(ctx context.Context, db *bun.DB, logger *slog.Logger, opts ...Option) (*Enforcer, error) {
	o := options{checkEvery: DefaultCheckEvery, listen: true}
	for _, f := range opts {
		f(&o)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e := &Enforcer{db: db, logger: logger}
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
	s, err := loadSnapshot(ctx, e.db)
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

// snapshot is one immutable version of the policy.
type snapshot struct {
	version  int64
	casbin   *casbin.Enforcer
	roles    map[string]*WebRole // by id
	roleKeys map[string]string   // built-in key → id
	perms    map[string]*TablePermission
	// rules index Casbin's p lines by table and privilege, so Scope looks
	// at the few lines that can match instead of evaluating the matcher
	// for each scope.
	rules map[ruleKey][]rule
	// memberOf are the roles assigned to each contact (Casbin's g lines).
	memberOf map[string][]string
}

type ruleKey struct {
	table string
	priv  Privilege
}

type rule struct {
	role string
	perm *TablePermission
}

func loadSnapshot(ctx context.Context, db *bun.DB) (*snapshot, error) {
	s := &snapshot{roles: map[string]*WebRole{}, roleKeys: map[string]string{}, perms: map[string]*TablePermission{},
		rules: map[ruleKey][]rule{}, memberOf: map[string][]string{}}
	// One consistent view: the version read is the version of the rows.
	err := db.RunInTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewRaw("SELECT version FROM policy_version").Scan(ctx, &s.version); err != nil {
			return err
		}
		m, err := model.NewModelFromString(modelText)
		if err != nil {
			return err
		}
		a := &adapter{ctx: ctx, db: tx}
		s.casbin, err = casbin.NewEnforcer(m, a)
		if err != nil {
			return err
		}
		for _, r := range a.roles {
			s.roles[r.ID] = r
			if r.Key != nil {
				s.roleKeys[*r.Key] = r.ID
			}
		}
		for _, p := range a.perms {
			s.perms[p.ID] = p
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	lines, err := s.casbin.GetPolicy()
	if err != nil {
		return nil, err
	}
	for _, l := range lines { // sub, obj, act, scope, perm, parent
		if p := s.perms[l[4]]; p != nil {
			k := ruleKey{l[1], Privilege(l[2])}
			s.rules[k] = append(s.rules[k], rule{role: l[0], perm: p})
		}
	}
	groups, err := s.casbin.GetNamedGroupingPolicy("g")
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		s.memberOf[g[0]] = append(s.memberOf[g[0]], g[1])
	}
	return s, nil
}

// subjects are the role ids the viewer acts with: the ids it carries, the
// built-in roles it names by key, Anonymous users for a visitor, and for a
// contact Authenticated users plus the roles assigned to it now (so an
// assignment or removal counts on the next request even if the viewer was
// built before it).
func (s *snapshot) subjects(v *portal.Viewer) map[string]bool {
	subs := make(map[string]bool, len(v.RoleIDs)+len(v.RoleKeys)+2)
	for _, id := range v.RoleIDs {
		subs[id] = true
	}
	for _, k := range v.RoleKeys {
		if id, ok := s.roleKeys[k]; ok {
			subs[id] = true
		}
	}
	if v.Anonymous() {
		subs[s.roleKeys[portal.RoleAnonymousUsers]] = true
	} else {
		subs[s.roleKeys[portal.RoleAuthenticatedUsers]] = true
		for _, id := range s.memberOf[v.ContactID] {
			subs[id] = true
		}
	}
	return subs
}

// maxParentDepth bounds PARENT chains; the tables have one level today.
const maxParentDepth = 4

// scope is the union of the rows the permissions granting priv on table to
// subs reach.
func (s *snapshot) scope(v *portal.Viewer, subs map[string]bool, table string, priv Privilege, depth int) Scope {
	var out Scope
	for _, r := range s.rules[ruleKey{table, priv}] {
		if subs[r.role] {
			out = out.union(s.reach(v, subs, r.perm, depth))
			if out.All {
				break
			}
		}
	}
	return out
}

// reach is the rows one permission reaches for the viewer.
func (s *snapshot) reach(v *portal.Viewer, subs map[string]bool, p *TablePermission, depth int) Scope {
	switch p.Scope {
	case Global:
		return Scope{All: true}
	case Account:
		return Scope{AccountID: v.CustomerAccount}
	case Contact, Self:
		if v.Anonymous() {
			return Scope{}
		}
		return Scope{ContactID: v.ContactID}
	case Parent:
		// Rows under the parent permission's rows, as far as the viewer
		// holds that parent permission with READ: lines of orders it can
		// read, addresses of accounts it can read.
		parent := s.perms[deref(p.ParentID)]
		if parent == nil || depth >= maxParentDepth || !parent.grants(Read) || !s.holds(subs, parent) {
			return Scope{}
		}
		ps := s.reach(v, subs, parent, depth+1)
		if ps.None() {
			return Scope{}
		}
		return Scope{Parent: &ps}
	}
	return Scope{}
}

// holds reports whether one of subs is a role of the permission.
func (s *snapshot) holds(subs map[string]bool, p *TablePermission) bool {
	for _, r := range p.RoleIDs {
		if subs[r] {
			return true
		}
	}
	return false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
