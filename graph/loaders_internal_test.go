package graph

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	portal "github.com/openportal/portal"
)

// TestContextWithLoadersShared: the loaders the site gives a request
// (ContextWithLoaders) are the ones every resolver of every query run with
// that context finds (loadersFor): a page of orders primes them before its
// lists are marshalled in line (prefetchOrders), and a resolver that found
// fresh ones would wait for a batch of its own, one after the other. A
// context for another viewer (a preview as another contact), or a
// template run inside a /graphql request, gets loaders of its own: a
// loader's cache holds what its viewer may read.
func TestContextWithLoadersShared(t *testing.T) {
	r := &Resolver{}
	alice := &portal.Viewer{ContactID: "00000000-0000-0000-0000-00000000a11c"}
	bob := &portal.Viewer{ContactID: "00000000-0000-0000-0000-000000000b0b"}
	t.Run("site", func(t *testing.T) {
		ctx := r.ContextWithLoaders(portal.WithViewer(context.Background(), alice))
		first := r.loadersFor(ctx)
		if got := r.loadersFor(ctx); got != first {
			t.Fatal("loadersFor made new loaders for a context given some by ContextWithLoaders")
		}
		if again := r.ContextWithLoaders(ctx); r.loadersFor(again) != first {
			t.Fatal("ContextWithLoaders replaced the loaders the context had for the same viewer")
		}
		if other := r.ContextWithLoaders(portal.WithViewer(ctx, bob)); r.loadersFor(other) == first {
			t.Fatal("another viewer's context kept alice's loaders")
		}
	})
	t.Run("anonymous", func(t *testing.T) {
		ctx := r.ContextWithLoaders(context.Background())
		if again := r.ContextWithLoaders(ctx); r.loadersFor(again) != r.loadersFor(ctx) {
			t.Fatal("an anonymous visitor's page made loaders for each of its queries")
		}
	})
	t.Run("inside /graphql", func(t *testing.T) {
		var outer, inner *loaders
		h := r.WithLoaders(http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) {
			ctx := r.ContextWithLoaders(req.Context()) // a template the request previews
			outer, inner = r.loadersFor(req.Context()), r.loadersFor(ctx)
			if r.loadersFor(ctx) != inner {
				t.Error("the preview's queries do not share their loaders")
			}
		}))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/graphql", nil).WithContext(portal.WithViewer(context.Background(), alice)))
		if outer == nil || outer == inner {
			t.Fatal("a template run inside a /graphql request shares the request's loaders, whatever viewer it previews as")
		}
	})
}
