package identity

import (
	"context"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/policies"
)

// ViewerNotifyChannel is the PostgreSQL channel on which triggers announce
// changes that make a cached session or viewer stale (migration
// 20261129000050): "c:<contact id>", "a:<account id>" or "*".
const ViewerNotifyChannel = "portal_viewer"

// DefaultSessionCacheTTL bounds how long a cached session is used without
// reading it again, should a notification be lost.
const DefaultSessionCacheTTL = 5 * time.Second

// SessionCache keeps the sessions and viewers of recent tokens in memory,
// so a signed-in request costs no statement to know who is asking. It
// stays coherent across instances: triggers NOTIFY portal_viewer on
// sign-out, session revocation, a contact disabled, deleted or moved to
// another account or price list, role assignments and account price list
// changes, and every instance drops the entries concerned when the
// notification arrives. An entry is also dropped when the permission
// policy version changes (role assignments made through policies), when
// this instance itself signs out, disables or updates a contact, and after
// TTL whatever happens, in case a notification was lost; the LISTEN
// connection dropping clears everything. The zero value is not usable:
// use NewSessionCache. A nil *SessionCache caches nothing.
type SessionCache struct {
	db     *bun.DB
	policy *policies.Enforcer
	logger *slog.Logger
	ttl    time.Duration

	mu      sync.RWMutex
	entries map[[32]byte]*cachedSession
	// gen counts invalidations: a read that started before one must not
	// store what it read, since it may be what was just invalidated.
	gen atomic.Uint64

	cancel context.CancelFunc
	wg     sync.WaitGroup
	// live is set while the LISTEN connection is in place: only then is
	// anything stored. ready is closed the first time (tests wait on it).
	live      atomic.Bool
	ready     chan struct{}
	readyOnce sync.Once
}

type cachedSession struct {
	viewer        *portal.Viewer
	expiresAt     time.Time // the session's absolute expiry
	fetched       time.Time
	policyVersion int64
	// lastSeen is the session's last_seen_at as this instance knows it
	// (unix nanoseconds), to write it about once a minute, not per request.
	lastSeen atomic.Int64
}

// NewSessionCache starts a cache that follows changes on a LISTEN
// connection taken from db's pool until Close. ttl 0 means
// DefaultSessionCacheTTL.
func NewSessionCache(ctx context.Context, db *bun.DB, policy *policies.Enforcer, logger *slog.Logger, ttl time.Duration) *SessionCache {
	if ttl <= 0 {
		ttl = DefaultSessionCacheTTL
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &SessionCache{db: db, policy: policy, logger: logger, ttl: ttl,
		entries: map[[32]byte]*cachedSession{}, ready: make(chan struct{})}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c.cancel = cancel
	c.wg.Go(func() { c.listen(bg) })
	return c
}

// Close stops following changes and empties the cache.
func (c *SessionCache) Close() error {
	if c == nil {
		return nil
	}
	c.cancel()
	c.wg.Wait()
	c.clear()
	return nil
}

// Ready is closed once the cache listens for changes; until then nothing
// is cached (an entry stored before LISTEN could miss a change).
func (c *SessionCache) Ready() <-chan struct{} { return c.ready }

// get returns the cached viewer of a token hash, if it is still good.
func (c *SessionCache) get(hash [32]byte, now time.Time, idle time.Duration) (*cachedSession, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.RLock()
	e := c.entries[hash]
	c.mu.RUnlock()
	if e == nil {
		return nil, false
	}
	if now.Sub(e.fetched) > c.ttl || !now.Before(e.expiresAt) ||
		now.Sub(time.Unix(0, e.lastSeen.Load())) > idle || e.policyVersion != c.policy.Version() {
		c.mu.Lock()
		if c.entries[hash] == e {
			delete(c.entries, hash)
		}
		c.mu.Unlock()
		return nil, false
	}
	return e, true
}

// generation is read before a database read whose result put may store.
func (c *SessionCache) generation() uint64 {
	if c == nil {
		return 0
	}
	return c.gen.Load()
}

// put stores what was read, unless something was invalidated since gen.
func (c *SessionCache) put(hash [32]byte, gen uint64, e *cachedSession) {
	if c == nil || !c.live.Load() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	if len(c.entries) >= maxCachedSessions {
		// Far more signed-in users than one instance serves at once:
		// start over rather than track recency.
		clear(c.entries)
	}
	c.entries[hash] = e
}

// maxCachedSessions bounds the cache's memory (a few hundred bytes each).
const maxCachedSessions = 100000

// forget drops what a notification payload names: "c:<contact>",
// "a:<account>", anything else everything.
func (c *SessionCache) forget(payload string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	kind, id, _ := strings.Cut(payload, ":")
	for h, e := range c.entries {
		switch {
		case kind == "c" && e.viewer.ContactID != id:
		case kind == "a" && e.viewer.CustomerAccount != id:
		default:
			delete(c.entries, h)
		}
	}
}

// ForgetContact drops a contact's sessions at once on this instance; the
// trigger's notification does it on the others.
func (c *SessionCache) ForgetContact(contactID string) { c.forget("c:" + contactID) }

func (c *SessionCache) clear() { c.forget("*") }

// listen keeps a LISTEN connection open, reconnecting after a failure.
func (c *SessionCache) listen(ctx context.Context) {
	const first = 100 * time.Millisecond
	backoff := first
	for ctx.Err() == nil {
		started := time.Now()
		err := c.listenOnce(ctx)
		// Notifications are missed while nobody listens.
		c.live.Store(false)
		c.clear()
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) > time.Minute {
			backoff = first
		}
		c.logger.Warn("session notifications interrupted; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// listenOnce borrows one pool connection for good and hands it back as
// broken when done, so it is never reused with LISTEN on.
func (c *SessionCache) listenOnce(ctx context.Context) error {
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+ViewerNotifyChannel); err != nil {
			return fmt.Errorf("%w: %w", driver.ErrBadConn, err)
		}
		c.live.Store(true)
		c.readyOnce.Do(func() { close(c.ready) })
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				return fmt.Errorf("%w: %w", driver.ErrBadConn, err)
			}
			c.forget(n.Payload)
		}
	})
}
