package graph_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/graph"
)

// TestExecutorOrdersPageQueryCount: the page engine's in-process Executor,
// which a site page's GraphQL runs through with the loaders the site gives
// the request (ContextWithLoaders), answers a page of orders with the
// statements /graphql takes (TestOrdersPageQueryCount): one per kind,
// however many orders. With loaders that resolvers could not find, each
// order's company, accounts, contact and price list were a statement of
// their own, one after the other.
func TestExecutorOrdersPageQueryCount(t *testing.T) {
	w := newWorld(t)
	w.placeOrders(w.alice, 5)
	x := graph.NewExecutor(w.app.Resolver, slog.New(slog.NewTextHandler(testLog, nil)))
	counter := &queryCounter{}
	counter.record.Store(true)
	for _, first := range []int{1, 5} {
		t.Run(fmt.Sprint(first), func(t *testing.T) {
			counter.n.Store(0)
			counter.queries = nil
			ctx := w.app.Resolver.ContextWithLoaders(portal.WithViewer(portal.WithRequestID(context.Background(), "test"), w.alice))
			res := x.Exec(db.ObserveStatements(ctx, counter), orderPage, map[string]any{"first": first})
			if len(res.Errors) > 0 {
				t.Fatalf("errors: %v", res.Errors)
			}
			if n := strings.Count(string(res.Data), `"lineNumber"`); n != 3*first {
				t.Fatalf("%d lines in a page of %d orders of 3: %s", n, first, res.Data)
			}
			if n := counter.n.Load(); n != 6 && n != 7 {
				t.Errorf("a page of %d orders took %d statements, want 6 (7 reading the products):\n%s", first, n, strings.Join(counter.queries, "\n"))
			}
		})
	}
}
