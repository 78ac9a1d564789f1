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

// scalarMarshal is gqlgen's marshaller for a scalar or enum value.
func scalarMarshal(name, valueType, call string) string {
	return "func (ec *executionContext) " + name + "(ctx context.Context, sel ast.SelectionSet, v " + valueType + ") graphql.Marshaler {\n" +
		"\t_ = sel\n\tres := " + call + "\n\tif res == graphql.Null {\n\t\tgraphql.AddInvalidNullFromMarshaler(ctx, \"X!\")\n\t}\n\treturn res\n}\n"
}

func TestRewrite(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      string // the rewritten function's body; "" when left alone
	}{
		{"string field", fieldFunc("_Line_unit", "*orders.Line", "obj.Unit, nil", "string", "marshalNString2string") + scalarContext("_Line_unit"),
			"return ec.marshalNString2string(ctx, field.Selections, obj.Unit) // plainfields"},
		{"string by reference", fieldFunc("_Line_unit", "*orders.Line", "obj.Unit, nil", "string", "marshalNString2string") + scalarContext("_Line_unit") +
			scalarMarshal("marshalNString2string", "string", "graphql.MarshalString(v)"),
			"return (*stringRef)(&obj.Unit) // plainfields"},
		{"enum by reference", fieldFunc("_Order_status", "*orders.Order", "obj.Status, nil", "orders.Status", "marshalNOrderStatus2S") + scalarContext("_Order_status") +
			scalarMarshal("marshalNOrderStatus2S", "orders.Status", "graphql.MarshalString(string(v))"),
			"return (*stringRef)((*string)(&obj.Status)) // plainfields"},
		{"decimal by reference", fieldFunc("_Line_amount", "*orders.Line", "obj.Amount, nil", "decimal.Decimal", "marshalNDecimal2D") + scalarContext("_Line_amount") +
			scalarMarshal("marshalNDecimal2D", "decimal.Decimal", "scalar.MarshalDecimal(v)"),
			"return (*scalar.DecimalRef)(&obj.Amount) // plainfields"},
		{"time by reference", fieldFunc("_Order_createdAt", "*orders.Order", "obj.CreatedAt, nil", "time.Time", "marshalNDateTime2T") + scalarContext("_Order_createdAt") +
			scalarMarshal("marshalNDateTime2T", "time.Time", "scalar.MarshalDateTime(v)"),
			"return (*scalar.DateTimeRef)(&obj.CreatedAt) // plainfields"},
		{"int by reference", fieldFunc("_Line_lineNumber", "*orders.Line", "obj.LineNumber, nil", "int", "marshalNInt2int") + scalarContext("_Line_lineNumber") +
			scalarMarshal("marshalNInt2int", "int", "graphql.MarshalInt(v)"),
			"return (*intRef)(&obj.LineNumber) // plainfields"},
		{"int32 by value", fieldFunc("_Line_n", "*orders.Line", "obj.N, nil", "int32", "marshalNInt2int32") + scalarContext("_Line_n") +
			scalarMarshal("marshalNInt2int32", "int32", "graphql.MarshalInt32(v)"),
			"return ec.marshalNInt2int32(ctx, field.Selections, obj.N) // plainfields"},
		{"object by value", fieldFunc("_Line_unit", "model.Line", "obj.Unit, nil", "string", "marshalNString2string") + scalarContext("_Line_unit") +
			scalarMarshal("marshalNString2string", "string", "graphql.MarshalString(v)"),
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

func TestRewriteResolved(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      []string // lines of the rewritten function; nil when left alone
	}{
		{"resolver", fieldFunc("_Order_lines", "*orders.Order", "ec.Resolvers.SalesOrder().Lines(ctx, obj)", "[]*orders.Line", "marshalNLine2ᚕᚖLineᚄ"), []string{
			"\tfc, err := ec.fieldContext_Order_lines(ctx, field)\n\tif err != nil {\n\t\treturn graphql.Null\n\t}\n",
			"\tctx = ec.portal.withFieldContext(ctx, fc)\n",
			"\t\t\tec.Error(ctx, ec.Recover(ctx, r))\n\t\t\tret = graphql.Null\n",
			"\tres, err := ec.Resolvers.SalesOrder().Lines(ctx, obj)\n\tif err != nil {\n\t\tec.Error(ctx, graphql.AddFieldLocationToError(ctx, err))\n\t\treturn graphql.Null\n\t}\n",
			"\tfc.Result = res\n\treturn ec.marshalNLine2ᚕᚖLineᚄ(ctx, field.Selections, res)\n}\n",
		}},
		{"struct field of an object type", fieldFunc("_Edge_node", "*model.Edge", "obj.Node, nil", "*orders.Order", "marshalNSalesOrder2ᚖOrder"), []string{
			"\tres := obj.Node\n\tfc.Result = res\n\treturn ec.marshalNSalesOrder2ᚖOrder(ctx, field.Selections, res)\n",
		}},
		{"nullable field", strings.Replace(fieldFunc("_Order_contact", "*orders.Order", "ec.Resolvers.SalesOrder().Contact(ctx, obj)", "*identity.Contact", "marshalOContact2ᚖContact"),
			"\t\ttrue,\n\t)", "\t\tfalse,\n\t)", 1), []string{
			"\t\tif fc.NonNull {\n\t\t\treturn graphql.RequiredNull\n\t\t}\n\t\treturn graphql.Null\n",
		}},
		{"simple context", fieldFunc("_Line_product", "*orders.Line", "ec.Resolvers.SalesOrderLine().Product(ctx, obj)", "*catalog.Product", "marshalNProduct2ᚖProduct") +
			"func (ec *executionContext) fieldContext_Line_product(_ context.Context, field graphql.CollectedField) (fc *graphql.FieldContext, err error) {\n" +
			"\tfc = &graphql.FieldContext{\n\t\tObject:     \"SalesOrderLine\",\n\t\tField:      field,\n\t\tIsResolver: true,\n\t}\n\treturn fc, nil\n}\n", []string{
			"\tfc, in := ec.portal.field()\n\t*fc = graphql.FieldContext{\n\t\tObject:     \"SalesOrderLine\",\n\t\tField:      field,\n\t\tIsResolver: true,\n\t}\n\tctx = withFieldContextIn(in, ctx, fc)\n",
			"\tres, err := ec.Resolvers.SalesOrderLine().Product(ctx, obj)\n",
		}},
		{"interface", fieldFunc("_Edge_node", "*model.Edge", "obj.Node, nil", "model.Node", "marshalNNode2Node"), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, n := rewriteResolved(c.src)
			if c.want == nil {
				if n != 0 || out != c.src {
					t.Fatalf("rewrote what must stay:\n%s", out)
				}
				return
			}
			if n != 1 || strings.Contains(out, "ResolveField") {
				t.Fatalf("n=%d:\n%s", n, out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("missing %q in:\n%s", w, out)
				}
			}
		})
	}
}
