package catalog

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/openportal/portal/db"
)

// ProductCache keeps the products an instance has read, by id: every line
// of every page of orders names one, and they change seldom. Reading them
// from memory saved a statement per page of orders and a fifth of its
// cost (issue 9).
//
// It follows catalog_version (migration 20261129000080): every statement
// that changes a product or its units bumps the version and sends NOTIFY
// portal_catalog, on which every instance drops its copy; a version check
// every few seconds catches a lost notification. The instance that saves a
// product drops its own copy at once (SaveProduct). Permissions are not
// cached: ProductsByID asks the policy on every call.
type ProductCache struct {
	mu       sync.RWMutex
	version  int64 // catalog_version the entries were read under
	products map[string]*Product
	follow   db.Follower
	// For Stats: products found and not found, and how often the cache
	// was emptied by a change to the catalog.
	hits, misses, drops atomic.Uint64
}

// CacheStats is what a ProductCache has done since it started: Hits and
// Misses count products looked up (a page of 20 orders of 3 lines looks
// up 60), Drops the times a catalog change emptied it; Products is how
// many it holds now.
type CacheStats struct {
	Hits, Misses, Drops uint64
	Products            int
}

// Stats reports the cache's counts, for the metrics (/metrics).
func (c *ProductCache) Stats() CacheStats {
	c.mu.RLock()
	n := len(c.products)
	c.mu.RUnlock()
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Drops: c.drops.Load(), Products: n}
}

// maxCachedProducts bounds the cache: past it, products are read from the
// database as if uncached.
const maxCachedProducts = 100_000

// versionQuery reads the catalog's version.
const versionQuery = "SELECT version FROM catalog_version"

// ProductCheckEvery is how often a ProductCache compares catalog_version,
// in case a notification was lost.
const ProductCheckEvery = 5 * time.Second

// NewProductCache starts following catalog changes: with listen, over a
// LISTEN connection; with checkEvery > 0, by comparing the version that
// often. Close stops it.
func NewProductCache(ctx context.Context, bdb *bun.DB, logger *slog.Logger, listen bool, checkEvery time.Duration) (*ProductCache, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &ProductCache{products: map[string]*Product{}}
	c.follow = db.Follower{
		DB:           bdb,
		Logger:       logger,
		Name:         "product cache",
		Channel:      "portal_catalog",
		VersionQuery: versionQuery,
		Held:         c.held,
		Reload: func(ctx context.Context) error {
			if err := c.drop(ctx, bdb); err != nil {
				return err
			}
			c.drops.Add(1)
			return nil
		},
	}
	if err := c.drop(ctx, bdb); err != nil {
		return nil, err
	}
	c.follow.Start(ctx, listen, checkEvery)
	return c, nil
}

// Close stops following changes.
func (c *ProductCache) Close() error {
	c.follow.Close()
	return nil
}

func (c *ProductCache) held() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.version
}

// drop empties the cache and notes the version it now holds.
func (c *ProductCache) drop(ctx context.Context, bdb *bun.DB) error {
	var v int64
	if err := bdb.NewRaw(versionQuery).Scan(ctx, &v); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version = v
	clear(c.products)
	return nil
}

// invalidate empties the cache without asking the database for the
// version: entries read before are not stored, and the version check or
// the next notification sets the version again (held differs from any).
func (c *ProductCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version = -1
	clear(c.products)
	c.drops.Add(1)
}

// lookup returns the cached products of ids (nil where not cached), the
// ids to read, and the version to store them under.
func (c *ProductCache) lookup(ids []string) (got []*Product, missing []string, version int64) {
	got = make([]*Product, len(ids))
	c.mu.RLock()
	defer c.mu.RUnlock()
	for i, id := range ids {
		if p := c.products[id]; p != nil {
			got[i] = p
		} else {
			missing = append(missing, id)
		}
	}
	c.hits.Add(uint64(len(ids) - len(missing)))
	c.misses.Add(uint64(len(missing)))
	return got, missing, c.version
}

// store keeps products read under version. A read that began before a
// change and ends after the cache dropped its copy would store what the
// change replaced: the version it began under no longer matches, and it is
// not stored.
func (c *ProductCache) store(version int64, products []*Product) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != c.version {
		return
	}
	for _, p := range products {
		if p != nil && len(c.products) < maxCachedProducts {
			c.products[p.ID] = p
		}
	}
}
