package generated

import (
	"context"
	"io"

	"github.com/99designs/gqlgen/graphql"
)

// This file is Portal's, not gqlgen's. gqlgen's FieldSet.MarshalGQL makes
// a map per object, to skip a repeated alias, and copies every collected
// field to the heap as it walks them: on a page of orders, a fifth of the
// request's allocations. go generate (graph/internal/plainfields) has every
// object marshaller return an objectValue instead, which writes the same
// JSON: the fields in order, an alias written once.

// objectValue is an object's collected fields and their values.
type objectValue struct {
	fields []graphql.CollectedField
	values []graphql.Marshaler
}

func (o objectValue) MarshalGQL(w io.Writer) {
	io.WriteString(w, "{")
	for i := range o.fields {
		alias := o.fields[i].Alias
		if repeated(o.fields[:i], alias) {
			continue
		}
		if i > 0 {
			io.WriteString(w, ",")
		}
		// An alias is a GraphQL name ([_A-Za-z][_0-9A-Za-z]*): nothing
		// in it needs escaping.
		io.WriteString(w, `"`)
		io.WriteString(w, alias)
		io.WriteString(w, `":`)
		o.values[i].MarshalGQL(w)
	}
	io.WriteString(w, "}")
}

// repeated reports whether alias is among fields. An object has a handful
// of fields: a scan is cheaper than the map gqlgen makes.
func repeated(fields []graphql.CollectedField, alias string) bool {
	for i := range fields {
		if fields[i].Alias == alias {
			return true
		}
	}
	return false
}

// fieldSet is graphql.FieldSet for an object marshaller, kept on the
// marshaller's stack: gqlgen allocates a FieldSet for every object of the
// response (161 on a page of 20 orders of 3 lines), though only a field
// resolved concurrently needs one. go generate
// (graph/internal/sequentiallists) has the marshallers make this instead;
// it makes gqlgen's FieldSet, sharing Values, for the first field resolved
// concurrently.
type fieldSet struct {
	Values   []graphql.Marshaler
	Invalids uint32
	fields   []graphql.CollectedField
	set      *graphql.FieldSet
}

func newFieldSet(fields []graphql.CollectedField) fieldSet {
	return fieldSet{Values: make([]graphql.Marshaler, len(fields)), fields: fields}
}

// ResolveConcurrently is graphql.FieldSet.ResolveConcurrently.
func (s *fieldSet) ResolveConcurrently(oc *graphql.OperationContext, deferred *graphql.DeferredGroup, i int,
	recoverFromPanic bool, nonNull bool, resolve func(ctx context.Context) graphql.Marshaler) {
	if s.set == nil {
		s.set = graphql.NewFieldSet(s.fields)
		s.set.Values = s.Values
	}
	s.set.ResolveConcurrently(oc, deferred, i, recoverFromPanic, nonNull, resolve)
}

// Dispatch is graphql.FieldSet.Dispatch: it resolves the fields scheduled
// by ResolveConcurrently, and counts their invalid results with the others.
func (s *fieldSet) Dispatch(ctx context.Context) {
	if s.set != nil {
		s.set.Dispatch(ctx)
		s.Invalids += s.set.Invalids
	}
}

// inline tells whether field i, one of the prefetched fields (lists.go)
// of its object, is resolved in line rather than scheduled for Dispatch:
// when the object lies under a list that marshalSlice marshals in line,
// which it does only when nothing selected under the list can wait, and the
// field is not deferred. go generate has the marshallers ask it before
// ResolveConcurrently. In line, the field's value is resolved where it
// stands, without the two closures and the slot gqlgen's scheduling takes:
// Dispatch would run a lone scheduled field in this goroutine anyway.
func (s *fieldSet) inline(ctx context.Context, prefetched bool, i int) bool {
	return prefetched && !s.fields[i].IsDeferred() && underInlineList(ctx)
}

// underInlineList tells whether the nearest list element above ctx's field
// was marshalled in line by marshalSlice: such an element's context
// carries its type's name in Object, where gqlgen leaves it empty.
func underInlineList(ctx context.Context) bool {
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		if fc.Index != nil {
			return fc.Object != ""
		}
	}
	return false
}
