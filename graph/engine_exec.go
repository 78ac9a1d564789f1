package graph

import (
	"context"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2/ast"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/graph/generated"
)

// Executor runs GraphQL documents in-process against the same executable
// schema, limits and error presenter as /graphql: the page engine's
// {% graphql %} tag and form posts go through it, as the viewer of their
// context, so a template can read and write only what the API lets its
// viewer.
type Executor struct {
	r    *Resolver
	es   graphql.ExecutableSchema
	exec *executor.Executor
}

// NewExecutor returns an Executor over r. Documents are parsed and
// validated once (templates validate theirs when saved) and then cached.
func NewExecutor(r *Resolver, logger *slog.Logger) *Executor {
	// The same limits as /graphql (handler.go): a template's document is
	// an administrator's, but its variables come from the visitor.
	es := costedSchema{generated.NewExecutableSchema(generated.Config{Resolvers: newRoot(r)})}
	x := executor.New(es)
	configure(x, logger, false)
	return &Executor{r: r, es: es, exec: x}
}

// Schema is the schema documents are validated against.
func (x *Executor) Schema() *ast.Schema { return x.es.Schema() }

// Exec runs query with vars as the viewer of ctx, with the request's
// loaders when ctx has them (see ContextWithLoaders).
func (x *Executor) Exec(ctx context.Context, query string, vars map[string]any) *graphql.Response {
	ctx = x.r.ContextWithLoaders(ctx)
	ctx = graphql.StartOperationTrace(ctx)
	params := &graphql.RawParams{Query: query, Variables: vars, ReadTime: graphql.TraceTiming{Start: graphql.Now(), End: graphql.Now()}}
	oc, errs := x.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		return x.exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs)
	}
	h, ctx := x.exec.DispatchOperation(ctx, oc)
	return h(ctx)
}

// ContextWithLoaders gives ctx its own loaders unless it has some for the
// same viewer: the site puts one set in each request, shared by all the
// GraphQL a page runs. A preview as another contact (asContactId), or a
// template run inside a /graphql request, gets loaders of its own: a
// loader's cache holds what its viewer may read.
//
// They are requestLoaders, as WithLoaders gives: loadersFor finds no other
// kind, and would make fresh loaders for every field (no batching, nothing
// prefetched found).
func (r *Resolver) ContextWithLoaders(ctx context.Context) context.Context {
	v := portal.ViewerFrom(ctx)
	if rl, ok := ctx.Value(loadersKey{}).(*requestLoaders); ok && rl.viewer != nil && sameViewer(rl.viewer, v) {
		return ctx
	}
	return context.WithValue(ctx, loadersKey{}, &requestLoaders{r: r, viewer: v})
}

// sameViewer reports whether a and b read the same rows: the same viewer,
// or both anonymous (portal.ViewerFrom makes a new one each time).
func sameViewer(a, b *portal.Viewer) bool {
	return a == b || a.Anonymous() && b.Anonymous()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
