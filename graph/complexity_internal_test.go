package graph

import (
	"context"
	"reflect"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2"

	"github.com/openportal/portal/graph/generated"
)

// TestComplexityAsGqlgen: complexityLimit answers what gqlgen's
// ComplexityLimit answers (stats, error, code), for operations with and
// without variables, the first time and from memory.
func TestComplexityAsGqlgen(t *testing.T) {
	es := costedSchema{generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}})}
	limit := func(context.Context, *graphql.OperationContext) int { return 5000 }
	ours, theirs := &complexityLimit{limit: limit}, &extension.ComplexityLimit{Func: limit}
	if err := ours.Validate(es); err != nil {
		t.Fatal(err)
	}
	if err := theirs.Validate(es); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, query string
		vars        map[string]any
	}{
		{"page", myOrdersQuery, nil},
		{"too costly", `{ a: orders(first: 100) { edges { node { lines { product { name } } } } } b: orders(first: 100) { edges { node { lines { product { name } } } } } c: orders(first: 100) { edges { node { lines { product { name } } } } } }`, nil},
		{"variables", `query($n: Int) { products(first: $n) { edges { node { name } } } }`, map[string]any{"n": 100}},
		{"variables again", `query($n: Int) { products(first: $n) { edges { node { name } } } }`, map[string]any{"n": 1}},
		{"named", `query A { viewer { __typename } } query B { orders(first: 50) { totalCount } }`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQueryWithRules(es.Schema(), c.query, nil)
			if errs != nil {
				t.Fatal(errs)
			}
			name := ""
			if len(doc.Operations) > 1 {
				name = "B"
			}
			for range 3 {
				oursCtx := &graphql.OperationContext{OperationName: name, Variables: c.vars, Doc: doc}
				theirsCtx := &graphql.OperationContext{OperationName: name, Variables: c.vars, Doc: doc}
				got, want := ours.MutateOperationContext(context.Background(), oursCtx), theirs.MutateOperationContext(context.Background(), theirsCtx)
				if (got != nil) != (c.name == "too costly") {
					t.Fatalf("error %v, want one only when too costly", got)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("error %v, gqlgen's %v", got, want)
				}
				if g, w := extension.GetComplexityStats(graphql.WithOperationContext(context.Background(), oursCtx)),
					extension.GetComplexityStats(graphql.WithOperationContext(context.Background(), theirsCtx)); *g != *w {
					t.Fatalf("stats %+v, gqlgen's %+v", *g, *w)
				}
			}
		})
	}
	if len(ours.known) != 3 {
		t.Fatalf("%d operations remembered, want the 3 without variables", len(ours.known))
	}
}

const myOrdersQuery = `query Orders { orders(first: 20) { edges { node { id number status totalAmount createdAt
	lines { lineNumber quantity unit amount product { name } } } } } }`
