package main

import (
	"strings"
	"testing"
)

// fieldFunc is gqlgen's function for a field, as v0.17 writes it.
func fieldFunc(name, objType, resolve, valueType, marshal string) string {
	return `func (ec *executionContext) ` + name + `(ctx context.Context, field graphql.CollectedField, obj ` + objType + `) (ret graphql.Marshaler) {
	return graphql.ResolveField(
		ctx,
		ec.OperationContext,
		field,
		func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.fieldContext` + name + `(ctx, field)
		},
		func(ctx context.Context) (any, error) {
			return ` + resolve + `
		},
		nil,
		func(ctx context.Context, selections ast.SelectionSet, v ` + valueType + `) graphql.Marshaler {
			return ec.` + marshal + `(ctx, selections, v)
		},
		true,
		true,
	)
}
`
}

func scalarContext(name string) string {
	return "func (ec *executionContext) fieldContext" + name + "(_ context.Context, field graphql.CollectedField) (fc *graphql.FieldContext, err error) {\n" +
		"\treturn graphql.NewScalarFieldContext(\"X\", field, false, false, \"String\")\n}\n"
}

func objectContext(name string) string {
	return "func (ec *executionContext) fieldContext" + name + "(_ context.Context, field graphql.CollectedField) (fc *graphql.FieldContext, err error) {\n" +
		"\tfc = &graphql.FieldContext{Object: \"X\"}\n\treturn fc, nil\n}\n"
}

func TestRewrite(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      string // the rewritten function's body; "" when left alone
	}{
		{"string field", fieldFunc("_Line_unit", "*orders.Line", "obj.Unit, nil", "string", "marshalNString2string") + scalarContext("_Line_unit"),
			"return ec.marshalNString2string(ctx, field.Selections, obj.Unit) // plainfields"},
		{"enum field", fieldFunc("_Order_status", "*orders.Order", "obj.Status, nil", "orders.Status", "marshalNOrderStatus2githubᚗcomᚋordersᚐStatus") + scalarContext("_Order_status"),
			"return ec.marshalNOrderStatus2githubᚗcomᚋordersᚐStatus(ctx, field.Selections, obj.Status) // plainfields"},
		{"nullable pointer", fieldFunc("_Order_note", "*orders.Order", "obj.Note, nil", "*string", "marshalOString2ᚖstring") + scalarContext("_Order_note"),
			"return ec.marshalOString2ᚖstring(ctx, field.Selections, obj.Note) // plainfields"},
		{"non-null pointer", fieldFunc("_Order_ref", "*orders.Order", "obj.Ref, nil", "*string", "marshalNString2ᚖstring") + scalarContext("_Order_ref"), ""},
		{"list", fieldFunc("_Order_tags", "*orders.Order", "obj.Tags, nil", "[]string", "marshalNString2ᚕstringᚄ") + scalarContext("_Order_tags"), ""},
		{"object", fieldFunc("_Edge_node", "*model.Edge", "obj.Node, nil", "*orders.Order", "marshalOSalesOrder2ᚖordersᚐOrder") + objectContext("_Edge_node"), ""},
		{"method", fieldFunc("_Viewer_id", "*portal.Viewer", "obj.ID(), nil", "string", "marshalNID2string") + scalarContext("_Viewer_id"), ""},
		{"resolver", fieldFunc("_Order_lines", "*orders.Order", "ec.Resolvers.SalesOrder().Lines(ctx, obj)", "[]*orders.Line", "marshalNLine2ᚕᚖLineᚄ") + objectContext("_Order_lines"), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, n := rewrite(c.src)
			if c.want == "" {
				if n != 0 || out != c.src {
					t.Fatalf("rewrote what must stay:\n%s", out)
				}
				return
			}
			if n != 1 || !strings.Contains(out, "\t"+c.want+"\n") || strings.Contains(out, "ResolveField") {
				t.Fatalf("n=%d, want the body %q in:\n%s", n, c.want, out)
			}
		})
	}
}
