package graph_test

import (
	"strings"
	"testing"

	"github.com/openportal/portal/graph/generated"
)

// TestSchemaIsDocumented: the schema is the API's documentation (GraphiQL's
// docs show it), so every type, field, argument, enum value and input
// field of ours has a description. A new one without fails here, named.
func TestSchemaIsDocumented(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	var missing []string
	need := func(desc, what string) {
		if len(strings.TrimSpace(desc)) < 8 {
			missing = append(missing, what)
		}
	}
	ours := 0
	for name, def := range schema.Types {
		if def.BuiltIn || def.Position == nil || def.Position.Src.BuiltIn {
			continue // the GraphQL built-ins (__Type, String, ...) are the spec's
		}
		ours++
		need(def.Description, string(def.Kind)+" "+name)
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			need(f.Description, name+"."+f.Name)
			for _, a := range f.Arguments {
				need(a.Description, name+"."+f.Name+"("+a.Name+")")
			}
		}
		for _, v := range def.EnumValues {
			need(v.Description, name+"."+v.Name)
		}
	}
	if ours < 40 {
		t.Fatalf("only %d types of ours found: the walk missed the schema", ours)
	}
	if len(missing) > 0 {
		t.Errorf("%d without a description (put one in graph/schema/*.graphqls):\n%s", len(missing), strings.Join(missing, "\n"))
	}
}
