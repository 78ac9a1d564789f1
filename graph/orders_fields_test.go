package graph_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/openportal/portal/graph/generated"
)

// TestPageFieldsMatchOrder: a page of orders reads only the columns its
// selection needs (orders.Page), so every field of SalesOrder and of
// SalesOrderLine, selected alone on the page, must answer what the order
// read whole (order(id)) answers: a field mapped to the wrong column, or
// to none, shows here. The fields are the schema's, so a field added
// later is checked too.
func TestPageFieldsMatchOrder(t *testing.T) {
	w := newWorld(t)
	w.placeOrders(w.alice, 2)
	w.draft(w.alice) // no lines, not submitted
	// The administrator sees every field (an order's ERP events too);
	// alice's orders are the page.
	w.api.viewer = w.admin
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	// selection is field with what it needs below it: an object's id
	// where it has one, or its type name.
	selection := func(f *ast.FieldDefinition) string {
		typ := schema.Types[f.Type.Name()]
		switch {
		case typ.Kind != ast.Object:
			return f.Name
		case typ.Fields.ForName("id") != nil:
			return f.Name + " { id }"
		default:
			return f.Name + " { __typename }"
		}
	}
	compare := func(t *testing.T, sel string) {
		t.Helper()
		var page struct {
			Orders struct {
				Edges []struct{ Node map[string]json.RawMessage }
			}
		}
		w.ok(`query($c: ID!) { orders(first: 10, filter: {contactId: $c}) { edges { node { id `+sel+` } } } }`,
			map[string]any{"c": w.alice.ContactID}, &page)
		if len(page.Orders.Edges) != 3 {
			t.Fatalf("%d orders, want 3", len(page.Orders.Edges))
		}
		for _, e := range page.Orders.Edges {
			var one struct{ Order map[string]json.RawMessage }
			w.ok(`query($id: ID!) { order(id: $id) { id `+sel+` } }`, map[string]any{"id": strings.Trim(string(e.Node["id"]), `"`)}, &one)
			if diff := cmp.Diff(asText(one.Order), asText(e.Node)); diff != "" {
				t.Errorf("order %s (-order(id) +page):\n%s", e.Node["id"], diff)
			}
		}
	}
	for _, f := range schema.Types["SalesOrder"].Fields {
		if f.Name == "lines" {
			continue
		}
		t.Run("order "+f.Name, func(t *testing.T) { compare(t, selection(f)) })
	}
	for _, f := range schema.Types["SalesOrderLine"].Fields {
		t.Run("line "+f.Name, func(t *testing.T) { compare(t, "lines { "+selection(f)+" }") })
	}
	t.Run("a page of nothing but ids", func(t *testing.T) { compare(t, "__typename") })
	// Fields reached through fragments, under aliases, and kept by
	// @include or @skip, read their columns as the fields named plainly.
	for name, sel := range map[string]string{
		"inline fragments and aliases": `... on SalesOrder { a: number b: totalAmount } x: lines { ... on SalesOrderLine { q: quantity product { id } } } y: lines { unit }`,
		"include and skip":             `number @include(if: true) status @skip(if: false) ... @include(if: true) { currency lines { amount @skip(if: false) } }`,
		"a field twice":                `company { id } company { __typename } c: customerAccount { id } lines { id } lines { unitPrice }`,
	} {
		t.Run(name, func(t *testing.T) { compare(t, sel) })
	}
}

// asText is a decoded answer with its values as JSON text, for cmp.
func asText(m map[string]json.RawMessage) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}
