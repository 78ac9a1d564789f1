package generated

import (
	"context"
	"slices"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestInlineOnlyUnderInlineLists: a prefetched field is resolved in line
// only under an element marshalSlice marshalled in line (its context names
// the element's type), at any depth below it, and never when deferred, not
// prefetched, or under an element gqlgen marshalled.
func TestInlineOnlyUnderInlineLists(t *testing.T) {
	field := func(name string, deferred bool) graphql.CollectedField {
		f := graphql.CollectedField{Field: &ast.Field{Name: name, Alias: name}}
		if deferred {
			f.Deferrables = []*graphql.Deferrable{{Label: "x"}}
		}
		return f
	}
	i := 0
	element := func(ctx context.Context, object string) context.Context {
		return graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i, Object: object})
	}
	named := func(ctx context.Context) context.Context {
		return graphql.WithFieldContext(ctx, &graphql.FieldContext{Object: "SalesOrderEdge", Field: field("node", false)})
	}
	root := graphql.WithFieldContext(context.Background(), &graphql.FieldContext{Object: "Query", Field: field("orders", false)})
	for _, c := range []struct {
		name       string
		ctx        context.Context
		prefetched bool
		deferred   bool
		want       bool
	}{
		{"element in line", element(root, "SalesOrderLine"), true, false, true},
		{"below an element in line", named(element(root, "SalesOrderEdge")), true, false, true},
		{"element of gqlgen's", element(root, ""), true, false, false},
		{"gqlgen's element under one in line", named(element(named(element(root, "SalesOrderEdge")), "")), true, false, false},
		{"not prefetched", element(root, "SalesOrderLine"), false, false, false},
		{"deferred", element(root, "SalesOrderLine"), true, true, false},
		{"no list", named(root), true, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := fieldSet{fields: []graphql.CollectedField{field("product", c.deferred)}}
			if got := s.inline(c.ctx, c.prefetched, 0); got != c.want {
				t.Fatalf("inline = %v, want %v", got, c.want)
			}
		})
	}
}

// TestArenaCollectsOnce: the request's arena returns the fields gqlgen
// collects, once per selection and types, and hands out values that do not
// overlap.
func TestArenaCollectsOnce(t *testing.T) {
	doc := &ast.SelectionSet{&ast.Field{Name: "id", Alias: "id"}, &ast.Field{Name: "number", Alias: "n"}}
	oc := &graphql.OperationContext{Variables: map[string]any{}}
	var a arena
	lines, orders := []string{"SalesOrderLine"}, []string{"SalesOrder"}
	first, s := a.newObject(oc, *doc, lines)
	if len(first) != 2 || first[1].Alias != "n" || !s.object.distinct {
		t.Fatalf("collected %+v", first)
	}
	if again, _ := a.newObject(oc, *doc, lines); &again[0] != &first[0] {
		t.Fatal("collected the same selection twice")
	}
	if other, _ := a.newObject(oc, *doc, orders); len(a.collected) != 2 || len(other) != 2 {
		t.Fatalf("another type's fields not collected apart: %d entries", len(a.collected))
	}
	// Two fields of one alias (from fragments on different types): the
	// object's value must look for them.
	node := &ast.Definition{Name: "Node"}
	twice := ast.SelectionSet{&ast.Field{Name: "id", Alias: "id"}, &ast.Field{Name: "id", Alias: "id", ObjectDefinition: node}}
	if fields, s := a.newObject(oc, twice, lines); len(fields) != 2 || s.object.distinct {
		t.Fatalf("fields %d, distinct %v: want 2 fields not distinct", len(fields), s.object.distinct)
	}
	seen := map[*graphql.Marshaler]bool{}
	objects := map[*objectValue]bool{}
	for range 300 {
		fields, s := a.newObject(oc, *doc, lines)
		v := s.Values
		if len(v) != len(fields) || cap(v) != len(v) || &fields[0] != &first[0] {
			t.Fatalf("len %d cap %d", len(v), cap(v))
		}
		for i := range v {
			if seen[&v[i]] {
				t.Fatal("a value handed out twice")
			}
			seen[&v[i]] = true
		}
		if objects[s.object] || len(s.object.values) != len(v) || &s.object.values[0] != &v[0] {
			t.Fatal("object handed out twice, or without its values")
		}
		objects[s.object] = true
	}
	for _, n := range []int{1, 3, 20, 200} {
		ret, fcs, index, ctxs := a.elements(n)
		if len(ret) != n || len(fcs) != n || len(index) != n || len(ctxs) != n {
			t.Fatalf("elements(%d): %d %d %d %d", n, len(ret), len(fcs), len(index), len(ctxs))
		}
	}
}

type otherKey struct{}

// TestArenaFieldContext: a context from the arena's withFieldContext is
// what graphql.WithFieldContext makes: gqlgen finds the field's context in
// it, its parent is the enclosing field's, and everything else (values,
// cancellation) is the enclosing context's.
func TestArenaFieldContext(t *testing.T) {
	if fieldContextKey == nil {
		t.Fatal("gqlgen's field context key not learnt")
	}
	var a arena
	base, cancel := context.WithCancel(context.WithValue(context.Background(), otherKey{}, "v"))
	parent := &graphql.FieldContext{Object: "Query"}
	ctx := graphql.WithFieldContext(base, parent)
	fcs := make([]graphql.FieldContext, 100)
	for i := range fcs {
		child := a.withFieldContext(ctx, &fcs[i])
		if got := graphql.GetFieldContext(child); got != &fcs[i] || got.Parent != parent {
			t.Fatalf("field context %p (parent %p), want %p (parent %p)", got, got.Parent, &fcs[i], parent)
		}
		if child.Value(otherKey{}) != "v" {
			t.Fatal("the enclosing context's value lost")
		}
		ctx = child
		parent = &fcs[i]
	}
	if graphql.GetFieldContext(ctx).Parent.Parent != &fcs[97] {
		t.Fatal("the path through the fields lost")
	}
	cancel()
	if ctx.Err() == nil {
		t.Fatal("cancellation not passed on")
	}
}

// TestSizer: an arena's chunks of a kind start as large as hinted (what
// the last response to the document took), then double from 8 up to their
// bound.
func TestSizer(t *testing.T) {
	s := sizer{hint: 300}
	var got []int
	for range 8 {
		got = append(got, s.size(64))
	}
	if want := []int{300, 8, 16, 32, 64, 64, 64, 64}; !slices.Equal(got, want) {
		t.Fatalf("sizes %v, want %v", got, want)
	}
}
