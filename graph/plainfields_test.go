package graph_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/openportal/portal/graph"
)

// fieldSpy is an extension that wants to see every field.
type fieldSpy struct{}

func (fieldSpy) ExtensionName() string                   { return "fieldSpy" }
func (fieldSpy) Validate(graphql.ExecutableSchema) error { return nil }
func (fieldSpy) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	return next(ctx)
}

// TestFieldInterceptorRefused: plain fields are marshalled without gqlgen's
// field middleware (graph/internal/plainfields), so an extension that
// intercepts fields would miss most of them: the handler refuses it at
// start rather than run with it half applied.
func TestFieldInterceptorRefused(t *testing.T) {
	defer func() {
		p := recover()
		if p == nil || !strings.Contains(p.(string), "fieldSpy intercepts fields") {
			t.Fatalf("panic %v, want the extension refused", p)
		}
	}()
	graph.NewHandler(&graph.Resolver{Extensions: []graphql.HandlerExtension{fieldSpy{}}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
}
