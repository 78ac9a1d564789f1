package db

import (
	"context"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
)

// Follower keeps an instance's in-memory copy of some tables (the
// permission policy, the site's templates) in step with a one-row version
// table: the transaction that changes the tables bumps the version and
// announces it with NOTIFY on Channel (payload: the new version), and a
// periodic check of the version catches notifications that were lost.
// Set the fields, then Start; Close stops following.
type Follower struct {
	DB     *bun.DB
	Logger *slog.Logger
	// Name says what is followed in log lines, e.g. "policy".
	Name string
	// Channel is the NOTIFY channel.
	Channel string
	// VersionQuery reads the current version, e.g.
	// "SELECT version FROM policy_version".
	VersionQuery string
	// Held is the version of the copy in use.
	Held func() int64
	// Reload reads the tables and swaps the copy.
	Reload func(context.Context) error

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start follows changes in the background until Close: with listen, over a
// LISTEN connection taken from DB's pool; with checkEvery > 0, by comparing
// the version that often.
func (f *Follower) Start(ctx context.Context, listen bool, checkEvery time.Duration) {
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f.cancel = cancel
	if listen {
		f.wg.Go(func() { f.listen(bg) })
	}
	if checkEvery > 0 {
		f.wg.Go(func() { f.check(bg, checkEvery) })
	}
}

// Close stops following changes and waits for the background work to end.
// A Follower never started closes at once.
func (f *Follower) Close() {
	if f.cancel != nil {
		f.cancel()
	}
	f.wg.Wait()
}

// reloadIfStale reloads when the database holds another version than the
// one in use (known, or, with known < 0, asked of the database).
func (f *Follower) reloadIfStale(ctx context.Context, known int64) {
	if known < 0 {
		if err := f.DB.NewRaw(f.VersionQuery).Scan(ctx, &known); err != nil {
			if ctx.Err() == nil {
				f.Logger.Warn(f.Name+" version check failed", "err", err)
			}
			return
		}
	}
	if known == f.Held() {
		return
	}
	if err := f.Reload(ctx); err != nil && ctx.Err() == nil {
		f.Logger.Error(f.Name+" reload failed; keeping the previous one", "err", err)
		return
	}
	f.Logger.Info(f.Name+" reloaded", "version", f.Held())
}

// check is the fallback for lost notifications.
func (f *Follower) check(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f.reloadIfStale(ctx, -1)
		}
	}
}

// listen keeps a LISTEN connection open, reconnecting after a failure.
func (f *Follower) listen(ctx context.Context) {
	const first = 100 * time.Millisecond
	backoff := first
	for ctx.Err() == nil {
		started := time.Now()
		err := f.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) > time.Minute {
			backoff = first // it had been working: a fresh failure
		}
		f.Logger.Warn(f.Name+" notifications interrupted; reconnecting", "err", err, "in", backoff)
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
func (f *Follower) listenOnce(ctx context.Context) error {
	conn, err := f.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+f.Channel); err != nil {
			return fmt.Errorf("%w: %w", driver.ErrBadConn, err)
		}
		// Changes made while nobody listened were not announced.
		f.reloadIfStale(ctx, -1)
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				return fmt.Errorf("%w: %w", driver.ErrBadConn, err)
			}
			v, err := strconv.ParseInt(n.Payload, 10, 64)
			if err != nil {
				v = -1
			}
			f.reloadIfStale(ctx, v)
		}
	})
}
