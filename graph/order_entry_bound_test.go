package graph_test

import (
	"strings"
	"testing"
	"time"
)

// TestOrderEntryValuesBound: the order entry statements carry their values
// as parameters, never in their text (issue 9: a value in the text is a new
// statement for pgx to prepare per order). No statement of createOrder,
// addOrderLine, submitOrder or placeOrder may contain the order's id or the
// contact's, which every one of them binds somewhere (the submission's
// outbox row among them).
func TestOrderEntryValuesBound(t *testing.T) {
	w := newWorld(t)
	in := newInstance(t, w.db, time.Hour)
	tok := in.signIn("alice@forest.example", "demo-alice-pass")
	in.do(tok, `{ __typename }`, nil) // the session is cached from here on
	inlined := func(t *testing.T, what string, out map[string]any, stmts []string, values ...string) {
		t.Helper()
		if out["errors"] != nil {
			t.Fatalf("%s: %v", what, out["errors"])
		}
		for _, s := range stmts {
			for _, v := range values {
				if v != "" && strings.Contains(s, v) {
					t.Errorf("%s: %s is written into the statement text, not bound:\n%.300s", what, v, s)
				}
			}
		}
	}
	out, stmts := in.do(tok, `mutation($d: Date!) { createOrder(input: {requestedReceiptDate: $d}) { id } }`,
		map[string]any{"d": tomorrow()})
	id, _ := dig(out, "data", "createOrder", "id").(string)
	inlined(t, "createOrder", out, stmts, id, w.alice.ContactID)
	out, stmts = in.do(tok, `mutation($id: ID!, $in: OrderLineInput!) { addOrderLine(orderId: $id, input: $in) { id } }`,
		map[string]any{"id": id, "in": line(w.product("1000"), "2", "ea")})
	inlined(t, "addOrderLine", out, stmts, id, w.alice.ContactID)
	out, stmts = in.do(tok, `mutation($id: ID!) { submitOrder(orderId: $id) { id } }`, map[string]any{"id": id})
	inlined(t, "submitOrder", out, stmts, id, w.alice.ContactID)
	out, stmts = in.do(tok, `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { id } }`,
		placeInput([]map[string]any{line(w.product("1000"), "1", "ea")}, nil))
	placed, _ := dig(out, "data", "placeOrder", "id").(string)
	inlined(t, "placeOrder", out, stmts, placed, w.alice.ContactID)
}
