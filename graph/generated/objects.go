package generated

import (
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
