package generated

import (
	"bytes"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/openportal/portal/graph/internal/marshaltest"
)

// TestObjectValueAsFieldSet: objectValue writes what gqlgen's FieldSet
// writes for the same fields and values.
func TestObjectValueAsFieldSet(t *testing.T) {
	field := func(alias string) graphql.CollectedField {
		return graphql.CollectedField{Field: &ast.Field{Alias: alias, Name: alias}}
	}
	for _, c := range []struct {
		name    string
		aliases []string
	}{
		{"none", nil},
		{"one", []string{"id"}},
		{"several", []string{"id", "number", "__typename", "lines"}},
		{"repeated alias", []string{"id", "n", "id"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var fields []graphql.CollectedField
			for _, a := range c.aliases {
				fields = append(fields, field(a))
			}
			set := graphql.NewFieldSet(fields)
			for i, a := range c.aliases {
				set.Values[i] = graphql.MarshalString(a + string(rune('0'+i)))
			}
			var want bytes.Buffer
			set.MarshalGQL(&want)
			distinct := !strings.Contains(c.name, "repeated")
			// To a buffer and to any writer alike (Marshalled), as FieldSet.
			if got := marshaltest.Marshalled(t, objectValue{fields, set.Values, distinct}); got != want.String() {
				t.Fatalf("objectValue wrote %s, FieldSet %s", got, want.String())
			}
		})
	}
}
