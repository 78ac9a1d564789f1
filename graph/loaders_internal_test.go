package graph

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestContextWithLoadersShared: the loaders a context is given, by the
// site (ContextWithLoaders) or by /graphql (WithLoaders), are the ones every
// resolver of every query run with that context finds (loadersFor): a page
// of orders primes them before its lists are marshalled in line
// (prefetchOrders), and a resolver that found fresh ones would wait for a
// batch of its own, one after the other.
func TestContextWithLoadersShared(t *testing.T) {
	r := &Resolver{}
	t.Run("site", func(t *testing.T) {
		ctx := r.ContextWithLoaders(context.Background())
		first := r.loadersFor(ctx)
		if got := r.loadersFor(ctx); got != first {
			t.Fatal("loadersFor made new loaders for a context given some by ContextWithLoaders")
		}
		if again := r.ContextWithLoaders(ctx); r.loadersFor(again) != first {
			t.Fatal("ContextWithLoaders replaced the loaders the context had")
		}
	})
	t.Run("graphql", func(t *testing.T) {
		var got [2]*loaders
		h := r.WithLoaders(http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) {
			ctx := r.ContextWithLoaders(req.Context()) // as an in-process query would
			got[0], got[1] = r.loadersFor(req.Context()), r.loadersFor(ctx)
		}))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/graphql", nil))
		if got[0] == nil || got[0] != got[1] {
			t.Fatal("the request's loaders differ from those its in-process queries find")
		}
	})
}
