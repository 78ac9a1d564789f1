package graph_test

import (
	"context"
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

// TestPlaceOrderWaitsForShipToChange: an administrator moves the contact's
// ship-to country to DE, where its account has an address, while its order
// is being placed without an address. placeOrder waits for the change (the
// contact is share-locked) and places the order wholly on the new values:
// shipped to DE, to the account's DE address, not refused for an address
// from the country the contact had before it waited.
func TestPlaceOrderWaitsForShipToChange(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.db.ExecContext(ctx, `INSERT INTO delivery_address (customer_account_id, position, description, street, city, postal_code, country_code)
		SELECT id, 9, 'Hamburg office', 'Hafenstr. 1', 'Hamburg', '20095', 'DE' FROM customer_account WHERE account_number = 'US-001'`); err != nil {
		t.Fatal(err)
	}
	in := placeInput([]map[string]any{line(w.product("1000"), "1", "ea")}, nil)
	r := placeDuringChange(t, w, `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { shipToCountry deliveryAddressDescription } }`, in,
		`UPDATE contact SET ship_to_country = 'DE' WHERE id = ?`, w.alice.ContactID)
	if len(r.Errors) > 0 {
		t.Fatalf("refused: %+v", r.Errors)
	}
	if want := `{"placeOrder":{"shipToCountry":"DE","deliveryAddressDescription":"Hamburg office"}}`; string(r.Data) != want {
		t.Errorf("placed %s, want %s", r.Data, want)
	}
}

// TestPlaceOrderVisitorGrantedCreate: an administrator may grant Anonymous
// users CREATE on sales_order, but a visitor has no contact to order for:
// placeOrder and createOrder say to sign in (UNAUTHENTICATED), as
// addOrderLine and submitOrder do, rather than failing on the empty
// contact id in SQL (INTERNAL).
func TestPlaceOrderVisitorGrantedCreate(t *testing.T) {
	w := newWorld(t)
	w.api.viewer = w.admin
	w.ok(savePermission, map[string]any{"in": map[string]any{"name": "Visitors: create orders", "table": "sales_order",
		"scope": "GLOBAL", "privileges": []string{"CREATE"},
		"roleIds": []string{w.id("SELECT id FROM web_role WHERE key = 'anonymous_users'")}}}, nil)
	for _, c := range []struct {
		name, query string
		vars        map[string]any
	}{
		{"placeOrder", placeOrder, placeInput([]map[string]any{line(w.product("1000"), "1", "ea")}, nil)},
		{"createOrder", createOrder, map[string]any{"in": map[string]any{"requestedReceiptDate": tomorrow()}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w.api.t = t
			before := orderSnapshot(t, w.db)
			w.api.viewer = nil
			w.fails(c.query, c.vars, "UNAUTHENTICATED")
			if orderSnapshot(t, w.db) != before {
				t.Error("stored something")
			}
		})
	}
}
