package graph

import (
	"reflect"
	"testing"

	"github.com/openportal/portal/graph/generated"
	"github.com/openportal/portal/orders"
)

// TestOrderFieldsCoverSchema: every field of SalesOrder and SalesOrderLine
// says which Go fields it reads (orderFields, lineFields), and those are
// fields of orders.Order and orders.Line. A field missing from the map
// still answers right (the page then reads every column), but the page's
// statement grows back to all of them: this keeps the map whole.
func TestOrderFieldsCoverSchema(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	for _, c := range []struct {
		typ    string
		fields map[string][]string
		model  reflect.Type
	}{
		{"SalesOrder", orderFields, reflect.TypeFor[orders.Order]()},
		{"SalesOrderLine", lineFields, reflect.TypeFor[orders.Line]()},
	} {
		t.Run(c.typ, func(t *testing.T) {
			for _, f := range schema.Types[c.typ].Fields {
				if _, ok := c.fields[f.Name]; !ok {
					t.Errorf("%s.%s: not in the map of the Go fields it reads", c.typ, f.Name)
				}
			}
			for name, goFields := range c.fields {
				if name != "__typename" && schema.Types[c.typ].Fields.ForName(name) == nil {
					t.Errorf("%s.%s is mapped but not in the schema", c.typ, name)
				}
				for _, g := range goFields {
					if _, ok := c.model.FieldByName(g); !ok {
						t.Errorf("%s.%s reads %s, which %v does not have", c.typ, name, g, c.model)
					}
				}
			}
		})
	}
}
