package graph

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/paging"
)

// What one request may make the server do. Parsing is linear in the
// tokens; validation is not (overlapping-field checks compare fields that
// share a response name pairwise), so the shape of a document is checked
// on a cheap parse before gqlgen validates it, and execution is bounded by
// a cost that multiplies by page sizes.
const (
	// maxTokens stops the parser: GraphiQL's introspection query has
	// about 300 tokens, the largest query of the UI far fewer than 2,000.
	maxTokens = 5000
	// maxFields bounds the fields of an operation with every fragment
	// spread expanded (GraphiQL's introspection query: about 250).
	maxFields = 1000
	// maxSelections bounds one selection set, fragments expanded.
	maxSelections = 200
	// maxDepth bounds nesting outside introspection (a sales order's line's
	// product's company is 7 deep, connection edges and node included).
	maxDepth = 12
	// maxRootFields bounds the top-level fields of an operation: each is
	// at least one statement, whatever its cost.
	maxRootFields = 20
	// maxAliases bounds aliased fields; an alias is how one field is asked
	// for many times.
	maxAliases = 50
	// maxName bounds names (fields, aliases, arguments, variables, types,
	// fragments): ours are under 30 characters, and the validator's "did
	// you mean" compares an unknown name with every known one, in time
	// that grows with its length.
	maxName = 100
	// maxIntrospectionFields bounds __schema and __type fields per operation:
	// the schema is the same for every one of them.
	maxIntrospectionFields = 3

	// Cost limits (see costedSchema): anonymous visitors read the catalog
	// only; a signed-in contact may ask for a page of orders with their
	// lines.
	anonymousCostLimit = 3000
	signedInCostLimit  = 30000

	// listCost is the assumed length of a list without paging (an order's
	// lines, an account's addresses).
	listCost = 10
	// connectionCost is the base cost of a paged field: a count and a page
	// query.
	connectionCost = 10

	// maxCachedQuery bounds the documents the query cache keeps, and
	// queryCacheSize their number, so it holds at most a few MiB of text
	// (and its parsed form) whatever clients send.
	maxCachedQuery = 8 << 10
	queryCacheSize = 500
)

// errLimit is a refusal for size or cost: the client must send less.
func errLimit(format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	errcode.Set(err, "COMPLEXITY_LIMIT_EXCEEDED")
	return err
}

func errLongName() *gqlerror.Error {
	return errLimit("A name in the document is longer than %d characters.", maxName)
}

// boundedCache is gqlgen's LRU query cache that does not keep huge
// documents: they are parsed afresh each time, which is linear and capped
// by maxTokens, instead of pinning their memory.
type boundedCache struct {
	lru *lru.LRU[*ast.QueryDocument]
}

func newBoundedCache() *boundedCache {
	return &boundedCache{lru: lru.New[*ast.QueryDocument](queryCacheSize)}
}

func (c *boundedCache) Get(ctx context.Context, query string) (*ast.QueryDocument, bool) {
	if len(query) > maxCachedQuery {
		return nil, false
	}
	return c.lru.Get(ctx, query)
}

func (c *boundedCache) Add(ctx context.Context, query string, doc *ast.QueryDocument) {
	if len(query) > maxCachedQuery {
		return
	}
	c.lru.Add(ctx, query, doc)
}

// shapeCheck refuses, before gqlgen validates a document, one that is too
// big or too deep. Documents already in the cache passed it.
type shapeCheck struct {
	cache *boundedCache
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = shapeCheck{}

func (shapeCheck) ExtensionName() string                          { return "ShapeCheck" }
func (shapeCheck) Validate(schema graphql.ExecutableSchema) error { return nil }

func (s shapeCheck) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if _, ok := s.cache.Get(ctx, p.Query); ok {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, maxTokens)
	if err != nil {
		// gqlgen parses again and reports the syntax error (or the token
		// limit) with its position.
		return nil
	}
	return checkShape(doc)
}

// checkShape walks each operation with its fragments expanded. Every
// selection visited (field, spread, inline fragment) counts towards
// maxFields, which stops the walk: fragments that spread each other many
// times over cannot make it run long.
func checkShape(doc *ast.QueryDocument) *gqlerror.Error {
	w := shapeWalker{doc: doc, visiting: map[string]bool{}}
	for _, f := range doc.Fragments {
		if len(f.Name) > maxName || len(f.TypeCondition) > maxName {
			return errLongName()
		}
	}
	for _, op := range doc.Operations {
		if len(op.Name) > maxName {
			return errLongName()
		}
		for _, v := range op.VariableDefinitions {
			if len(v.Variable) > maxName || len(v.Type.Name()) > maxName {
				return errLongName()
			}
		}
		w.fields, w.aliases, w.introspection, w.err = 0, 0, 0, nil
		roots := w.count(op.SelectionSet, 0, false)
		if w.err != nil {
			return w.err
		}
		switch {
		case roots > maxRootFields:
			return errLimit("The operation asks for %d top-level fields; at most %d are allowed. Split it into several requests.", roots, maxRootFields)
		case w.introspection > maxIntrospectionFields:
			return errLimit("The operation asks for __schema or __type %d times; at most %d are allowed.", w.introspection, maxIntrospectionFields)
		}
	}
	return nil
}

type shapeWalker struct {
	doc      *ast.QueryDocument
	visiting map[string]bool
	// fields counts every selection visited, fragments expanded.
	fields  int
	aliases int
	// introspection counts __schema and __type fields.
	introspection int
	err           *gqlerror.Error
}

// count returns the selections of set with fragment spreads expanded, and
// records fields, aliases and depth on the way.
func (w *shapeWalker) count(set ast.SelectionSet, depth int, inIntrospection bool) int {
	n := 0
	for _, sel := range set {
		if w.err != nil {
			return n
		}
		switch s := sel.(type) {
		case *ast.Field:
			n++
			w.fields++
			if len(s.Name) > maxName || len(s.Alias) > maxName || slices.ContainsFunc(s.Arguments, func(a *ast.Argument) bool {
				return len(a.Name) > maxName
			}) {
				w.err = errLongName()
				return n
			}
			if s.Alias != "" && s.Alias != s.Name {
				w.aliases++
			}
			intro := inIntrospection
			if s.Name == "__schema" || s.Name == "__type" {
				w.introspection++
				intro = true
			}
			if !intro && depth+1 > maxDepth {
				w.err = errLimit("The operation nests fields more than %d deep.", maxDepth)
				return n
			}
			w.count(s.SelectionSet, depth+1, intro)
		case *ast.InlineFragment:
			w.fields++
			n += w.count(s.SelectionSet, depth, inIntrospection)
		case *ast.FragmentSpread:
			w.fields++
			n += w.spread(s.Name, depth, inIntrospection)
		}
		switch {
		case w.err != nil:
		case w.fields > maxFields:
			w.err = errLimit("The operation asks for more than %d fields (fragments counted each time they are spread).", maxFields)
		case n > maxSelections:
			w.err = errLimit("A selection set asks for more than %d fields.", maxSelections)
		case w.aliases > maxAliases:
			w.err = errLimit("The operation uses more than %d aliases.", maxAliases)
		}
	}
	return n
}

// spread counts a fragment's selections where it is spread. Its fields are
// counted again each time (that is the work it makes validation and
// execution do); maxFields stops the walk.
func (w *shapeWalker) spread(name string, depth int, inIntrospection bool) int {
	f := w.doc.Fragments.ForName(name)
	if f == nil || w.visiting[name] {
		return 0 // unknown or cyclic: validation reports it
	}
	w.visiting[name] = true
	defer delete(w.visiting, name)
	return w.count(f.SelectionSet, depth, inIntrospection)
}

// costedSchema gives every field a cost that follows the rows it makes the
// server read: a paged field costs a base plus its page size (first) times
// its children, an unpaged list a nominal length times its children.
// gqlgen's default (1 per field, plus children) ignores page sizes.
type costedSchema struct {
	graphql.ExecutableSchema
}

func (s costedSchema) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	def := s.Schema().Types[typeName]
	if def == nil {
		return 0, false
	}
	f := def.Fields.ForName(field)
	if f == nil {
		return 0, false
	}
	if f.Arguments.ForName("first") != nil {
		n := paging.DefaultFirst
		if v, ok := intArg(args["first"]); ok {
			// Out of range is refused by paging, with a better message.
			n = min(max(v, 1), paging.MaxFirst)
		}
		return saturate(connectionCost + n*max(child, 1)), true
	}
	// An unpaged list of objects multiplies; a connection's edges do not
	// (its first did), nor does a list of scalars (one column).
	if f.Type.Elem != nil && child > 0 && !strings.HasSuffix(typeName, "Connection") {
		return saturate(1 + listCost*child), true
	}
	return 0, false // gqlgen's default: 1 plus the children
}

// saturate caps a cost so that products of page sizes cannot overflow.
func saturate(n int) int {
	const ceiling = 1 << 40
	if n < 0 || n > ceiling {
		return ceiling
	}
	return n
}

func intArg(v any) (int, bool) {
	switch v := v.(type) {
	case int:
		return v, true
	case int64:
		return int(min(max(v, -1<<31), 1<<31)), true
	case json.Number:
		n, err := v.Int64()
		return int(min(max(n, -1<<31), 1<<31)), err == nil
	case float64:
		return int(min(max(v, -1<<31), 1<<31)), true
	}
	return 0, false
}

// costLimit is the complexity limit for the viewer of ctx.
func costLimit(ctx context.Context, _ *graphql.OperationContext) int {
	if portal.ViewerFrom(ctx).Anonymous() {
		return anonymousCostLimit
	}
	return signedInCostLimit
}

// introspectionGate opens introspection (__schema, __type) to
// administrators, or to everyone when the site allows it; others are told
// so before anything runs. __typename is always allowed.
type introspectionGate struct {
	allowAll bool
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = introspectionGate{}

func (introspectionGate) ExtensionName() string                          { return "IntrospectionGate" }
func (introspectionGate) Validate(schema graphql.ExecutableSchema) error { return nil }

func (g introspectionGate) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	allowed := g.allowAll || portal.ViewerFrom(ctx).HasRole(portal.RoleAdministrators)
	opCtx.DisableIntrospection = !allowed
	if allowed || !usesIntrospection(opCtx.Doc, opCtx.Operation.SelectionSet, map[string]bool{}) {
		return nil
	}
	err := gqlerror.Errorf("The schema (__schema, __type) is open to administrators only: sign in as one, or read the schema in the repository's graph/schema.")
	code := "FORBIDDEN"
	if portal.ViewerFrom(ctx).Anonymous() {
		code = "UNAUTHENTICATED"
	}
	err.Extensions = map[string]any{"code": code}
	return err
}

func usesIntrospection(doc *ast.QueryDocument, set ast.SelectionSet, seen map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" || usesIntrospection(doc, s.SelectionSet, seen) {
				return true
			}
		case *ast.InlineFragment:
			if usesIntrospection(doc, s.SelectionSet, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if f := doc.Fragments.ForName(s.Name); f != nil && usesIntrospection(doc, f.SelectionSet, seen) {
				return true
			}
		}
	}
	return false
}
