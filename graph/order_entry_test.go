package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/orders"
)

const placeOrder = `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { ` + orderFields + ` } }`

// placeInput is a placeOrder input for tomorrow with these lines, changed
// by change.
func placeInput(lines []map[string]any, change map[string]any) map[string]any {
	in := map[string]any{"requestedReceiptDate": tomorrow(), "lines": lines}
	for k, v := range change {
		in[k] = v
	}
	return map[string]any{"in": in}
}

// TestPlaceOrder: an order placed in one call is the order the wizard's
// three steps make (header, lines, amounts, total, status, outbox event),
// submitted, with one event.
func TestPlaceOrder(t *testing.T) {
	w := newWorld(t)
	receiver, wire, solder := w.product("1000"), w.product("1038"), w.product("1044")
	lines := []map[string]any{line(receiver, "3", "ea"), line(wire, "12.75", "m"), line(solder, "1", "roll")}
	info := map[string]any{"deliveryAddressId": w.address("US-001", "Seattle store"), "customerRequisition": " PO-4711 "}

	// The same order through the wizard, for comparison.
	wizard := w.as(w.alice, createOrder, map[string]any{"in": map[string]any{"requestedReceiptDate": tomorrow(),
		"deliveryAddressId": info["deliveryAddressId"], "customerRequisition": info["customerRequisition"]}})
	for _, l := range lines {
		wizard = w.as(w.alice, addOrderLine, map[string]any{"id": wizard.ID, "in": l})
	}
	wizard = w.as(w.alice, submitOrder, map[string]any{"id": wizard.ID})

	placed := w.as(w.alice, placeOrder, placeInput(lines, info))
	if placed.Status != "SUBMITTED" || placed.SyncState != "PENDING" || placed.SubmittedAt == nil || placed.Number != "WEB-000002" {
		t.Fatalf("placed order: %+v", placed)
	}
	// Everything but ids, number and times is the wizard's.
	norm := func(o salesOrder) salesOrder {
		o.ID, o.Number, o.CreatedAt, o.SubmittedAt = "", "", "", nil
		o.Lines = append([]orderLine(nil), o.Lines...)
		for i := range o.Lines {
			o.Lines[i].ID = ""
		}
		return o
	}
	if diff := cmp.Diff(norm(wizard), norm(placed)); diff != "" {
		t.Errorf("placeOrder differs from the wizard's order (-wizard +placed):\n%s", diff)
	}
	if !placed.TotalAmount.Equal(dec("1329.84")) || len(placed.Lines) != 3 || placed.Lines[2].LineNumber != 3 {
		t.Errorf("total %s, lines %+v", placed.TotalAmount, placed.Lines)
	}
	// As stored: read back, it is what the mutation answered.
	if got := w.as(w.alice, orderQuery, map[string]any{"id": placed.ID}); !cmp.Equal(placed, got) {
		t.Errorf("order as read back:\n%s", cmp.Diff(placed, got))
	}
	var stored struct {
		Street     string
		NextLine   int
		Version    int
		LinesTotal string
	}
	if err := w.db.NewRaw(`SELECT delivery_street AS street, next_line_number AS next_line, version,
		(SELECT sum(amount)::text FROM sales_order_line WHERE sales_order_id = o.id) AS lines_total
		FROM sales_order o WHERE id = ?`, placed.ID).Scan(context.Background(), &stored); err != nil {
		t.Fatal(err)
	}
	if stored.Street != "1500 Pine Street" || stored.NextLine != 4 || !dec(stored.LinesTotal).Equal(placed.TotalAmount) {
		t.Errorf("stored %+v", stored)
	}

	// One outbox event, the wizard's but for the order's own id, number
	// and time.
	var events int
	if err := w.db.NewRaw("SELECT count(*) FROM outbox_event WHERE aggregate_id = ? AND type = 'salesorder.submitted'", placed.ID).
		Scan(context.Background(), &events); err != nil {
		t.Fatal(err)
	}
	if events != 1 {
		t.Fatalf("%d outbox events, want 1", events)
	}
	ev, wev := w.submittedEvent(placed.ID), w.submittedEvent(wizard.ID)
	if ev["id"] != placed.ID || ev["number"] != placed.Number {
		t.Errorf("event %v", ev)
	}
	// The event's time is the order's, as stored.
	at, _ := ev["submittedAt"].(string)
	evAt, err1 := time.Parse(time.RFC3339Nano, at)
	orderAt, err2 := time.Parse(time.RFC3339Nano, *placed.SubmittedAt)
	if err1 != nil || err2 != nil || !evAt.Equal(orderAt) {
		t.Errorf("event submitted at %q, the order at %q", at, *placed.SubmittedAt)
	}
	for _, e := range []map[string]any{ev, wev} {
		delete(e, "id")
		delete(e, "number")
		delete(e, "submittedAt")
	}
	if diff := cmp.Diff(wev, ev); diff != "" {
		t.Errorf("event differs from the wizard's (-wizard +placed):\n%s", diff)
	}
	var afterContact string
	w.db.NewRaw("SELECT after_id FROM outbox_event WHERE aggregate_id = ?", placed.ID).Scan(context.Background(), &afterContact)
	if afterContact != w.alice.ContactID {
		t.Errorf("event after %q, want the contact %s", afterContact, w.alice.ContactID)
	}

	// Without an address: the account's first one in the ship-to country,
	// as createOrder picks it.
	if o := w.as(w.bob, placeOrder, placeInput([]map[string]any{line(receiver, "1", "ea")}, nil)); o.DeliveryAddressDescription != "Main warehouse" {
		t.Errorf("default address %q", o.DeliveryAddressDescription)
	}
}

// TestPlaceOrderRefusals: placeOrder refuses what createOrder, addOrderLine
// or submitOrder would refuse, with the same code and message (a line's
// naming the line), and stores nothing: no order, no line, no number, no
// event.
func TestPlaceOrderRefusals(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	lonely, err := w.ids.CreateSeedContact(ctx, identity.SeedContact{Email: "lonely@example.com", Password: "lonely-password",
		FirstName: "Lo", LastName: "Nely", RoleKeys: []string{portal.RoleAuthorizedUser}})
	if err != nil {
		t.Fatal(err)
	}
	noAccount, _ := w.ids.ViewerFor(ctx, lonely.ID)
	if _, err := w.db.ExecContext(ctx, "UPDATE contact SET currency = 'EUR' WHERE email = 'dan@sunrise.example'"); err != nil {
		t.Fatal(err)
	}
	p1000, wire := w.product("1000"), w.product("1038")
	good := line(p1000, "1", "ea")
	// A draft to compare addOrderLine's refusals with.
	draft := w.draft(w.alice)
	anonymous := (*portal.Viewer)(nil)
	tests := []struct {
		name   string
		viewer *portal.Viewer
		vars   map[string]any
		code   string
		field  string
		// The wizard's mutation that refuses the same, with its
		// variables: placeOrder's message must be its (a line's prefixed
		// with the line) and its field the same under input.lines[i].
		wizard     string
		wizardVars map[string]any
		line       int // for a line's refusal, its index; else -1
	}{
		{"anonymous", anonymous, placeInput([]map[string]any{good}, nil), "UNAUTHENTICATED", "",
			createOrder, map[string]any{"in": map[string]any{"requestedReceiptDate": tomorrow()}}, -1},
		{"no CREATE on sales_order", w.rep, placeInput([]map[string]any{good}, nil), "FORBIDDEN", "",
			createOrder, map[string]any{"in": map[string]any{"requestedReceiptDate": tomorrow()}}, -1},
		{"contact without account", noAccount, placeInput([]map[string]any{good}, nil), "BAD_USER_INPUT", "",
			createOrder, map[string]any{"in": map[string]any{"requestedReceiptDate": tomorrow()}}, -1},
		{"contact's currency differs from its price list", w.dan, placeInput([]map[string]any{good}, nil), "BAD_USER_INPUT", "",
			createOrder, map[string]any{"in": map[string]any{"requestedReceiptDate": tomorrow()}}, -1},
		{"customer chooses company", w.alice, placeInput([]map[string]any{good}, map[string]any{"company": "USMF"}), "BAD_USER_INPUT", "input.company",
			createOrder, map[string]any{"in": map[string]any{"requestedReceiptDate": tomorrow(), "company": "USMF"}}, -1},
		{"date in the past", w.alice, placeInput([]map[string]any{good}, map[string]any{"requestedReceiptDate": "2020-01-01"}), "BAD_USER_INPUT", "input.requestedReceiptDate",
			createOrder, map[string]any{"in": map[string]any{"requestedReceiptDate": "2020-01-01"}}, -1},
		{"another account's address", w.alice, placeInput([]map[string]any{good}, map[string]any{"deliveryAddressId": w.address("DE-001", "Main warehouse")}), "BAD_USER_INPUT", "input.deliveryAddressId",
			createOrder, map[string]any{"in": map[string]any{"requestedReceiptDate": tomorrow(), "deliveryAddressId": w.address("DE-001", "Main warehouse")}}, -1},
		{"second line's quantity has too many decimals", w.alice, placeInput([]map[string]any{good, line(wire, "1.234", "m"), good}, nil), "BAD_USER_INPUT", "input.lines[1].quantity",
			addOrderLine, map[string]any{"id": draft.ID, "in": line(wire, "1.234", "m")}, 1},
		{"first line's product unknown", w.alice, placeInput([]map[string]any{line("00000000-0000-0000-0000-000000000000", "1", "ea"), good}, nil), "BAD_USER_INPUT", "input.lines[0].productId",
			addOrderLine, map[string]any{"id": draft.ID, "in": line("00000000-0000-0000-0000-000000000000", "1", "ea")}, 0},
		{"product id not an id", w.alice, placeInput([]map[string]any{good, line("1000", "1", "ea")}, nil), "BAD_USER_INPUT", "input.lines[1].productId",
			addOrderLine, map[string]any{"id": draft.ID, "in": line("1000", "1", "ea")}, 1},
		{"unit not of the product", w.alice, placeInput([]map[string]any{good, good, line(p1000, "1", "kg")}, nil), "BAD_USER_INPUT", "input.lines[2].unit",
			addOrderLine, map[string]any{"id": draft.ID, "in": line(p1000, "1", "kg")}, 2},
		{"zero quantity", w.alice, placeInput([]map[string]any{line(p1000, "0", "ea")}, nil), "BAD_USER_INPUT", "input.lines[0].quantity",
			addOrderLine, map[string]any{"id": draft.ID, "in": line(p1000, "0", "ea")}, 0},
		{"no lines", w.alice, placeInput([]map[string]any{}, nil), "BAD_USER_INPUT", "input.lines", "", nil, -1},
		{"too many lines", w.alice, placeInput(func() []map[string]any {
			out := make([]map[string]any, 501)
			for i := range out {
				out[i] = good
			}
			return out
		}(), nil), "BAD_USER_INPUT", "input.lines", "", nil, -1},
		{"lines together above the amount limit", w.alice, placeInput([]map[string]any{line(p1000, "1000000000000", "ea"), line(p1000, "1000000000000", "ea"), line(p1000, "1000000000000", "ea")}, nil),
			"BAD_USER_INPUT", "input.lines[2].quantity", "", nil, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.api.t = t
			before := orderSnapshot(t, w.db)
			w.api.viewer = tt.viewer
			e := w.fails(placeOrder, tt.vars, tt.code)
			if e.Extensions["field"] != nil && tt.field == "" || tt.field != "" && e.Extensions["field"] != tt.field {
				t.Errorf("field %v, want %q (%s)", e.Extensions["field"], tt.field, e.Message)
			}
			if after := orderSnapshot(t, w.db); after != before {
				t.Errorf("refused placeOrder stored something")
			}
			if tt.wizard == "" {
				return
			}
			we := w.fails(tt.wizard, tt.wizardVars, tt.code)
			want := we.Message
			if tt.line >= 0 {
				want = fmt.Sprintf("lines[%d]: %s", tt.line, want)
			}
			if e.Message != want {
				t.Errorf("message %q\nwant the wizard's %q", e.Message, want)
			}
			if diff := cmp.Diff(we.Extensions["missingFields"], e.Extensions["missingFields"]); diff != "" {
				t.Errorf("missingFields (-wizard +placeOrder):\n%s", diff)
			}
		})
	}
}

// TestPlaceOrderPermissions: placeOrder needs what the wizard's three steps
// need. A role that may create orders but not add lines to them can start
// a draft in the wizard and add nothing to it, and cannot place an order;
// without READ on price lists no line can be priced, in either.
func TestPlaceOrderPermissions(t *testing.T) {
	w := newWorld(t)
	p1000 := w.product("1000")
	w.grant("Representative: start orders", "sales_order", "ACCOUNT", []string{"CREATE"}, "")
	in := placeInput([]map[string]any{line(p1000, "1", "ea")}, nil)

	w.api.viewer = w.rep
	draft := w.as(w.rep, `mutation($in: OrderInformationInput!) { createOrder(input: $in) { id lines { id } } }`,
		map[string]any{"in": map[string]any{"requestedReceiptDate": tomorrow()}})
	w.api.viewer = w.rep
	w.fails(addOrderLine, map[string]any{"id": draft.ID, "in": line(p1000, "1", "ea")}, "FORBIDDEN")
	before := orderSnapshot(t, w.db)
	e := w.fails(placeOrder, in, "FORBIDDEN")
	if !strings.Contains(e.Message, "sales_order_line") || !strings.Contains(e.Message, "US-001") {
		t.Errorf("message %q does not name what is missing", e.Message)
	}
	if orderSnapshot(t, w.db) != before {
		t.Error("refused placeOrder stored something")
	}

	// With lines and submission allowed too, the representative places
	// orders for its account.
	w.grant("Representative: order lines", "sales_order_line", "PARENT", []string{"CREATE"}, "Customer representative: account orders")
	w.grant("Representative: change orders", "sales_order", "ACCOUNT", []string{"WRITE", "APPEND_TO"}, "")
	w.api.viewer = w.rep
	var placed struct{ PlaceOrder struct{ Status string } }
	w.ok(`mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { status } }`, in, &placed)
	if placed.PlaceOrder.Status != "SUBMITTED" {
		t.Errorf("placed %+v", placed)
	}
}

// TestPlaceOrderConcurrently: orders placed at once by several contacts
// of one company get distinct consecutive numbers, one event each.
func TestPlaceOrderConcurrently(t *testing.T) {
	w := newWorld(t)
	in := placeInput([]map[string]any{line(w.product("1000"), "1", "ea"), line(w.product("1038"), "2", "m")}, nil)
	const n = 20
	numbers := make([]string, n)
	// A server each, as their viewer is the server's.
	apis := []*api{newAPIOn(t, w.db), newAPIOn(t, w.db)}
	apis[0].viewer, apis[1].viewer = w.alice, w.bob
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := apis[i%2].do(`mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { number } }`, in)
			if len(r.Errors) > 0 {
				numbers[i] = "error: " + r.Errors[0].Message
				return
			}
			numbers[i] = string(r.Data)
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, s := range numbers {
		if strings.HasPrefix(s, "error") || seen[s] {
			t.Fatalf("answers %v", numbers)
		}
		seen[s] = true
	}
	var count, events int
	var maxNumber string
	w.db.NewRaw("SELECT count(*), max(number) FROM sales_order").Scan(context.Background(), &count, &maxNumber)
	w.db.NewRaw("SELECT count(*) FROM outbox_event WHERE type = 'salesorder.submitted'").Scan(context.Background(), &events)
	if count != n || events != n || maxNumber != "WEB-000020" {
		t.Errorf("%d orders up to %s with %d events, want %d up to WEB-000020", count, maxNumber, events, n)
	}
}

// TestPlaceOrderBesideOpenOrder: an order of the company that has taken
// its number but not committed yet (a slow client's transaction, a long
// wizard step) does not hold the next one up: numbers come from a
// sequence, not from a row locked until the commit (which placed every
// order of a company one at a time). A number whose order rolls back is
// not given again.
func TestPlaceOrderBesideOpenOrder(t *testing.T) {
	w := newWorld(t)
	a := newAPIOn(t, w.db)
	a.viewer = w.alice
	in := placeInput([]map[string]any{line(w.product("1000"), "1", "ea")}, nil)
	// place answers the number, or the error (it also runs off the
	// test's goroutine, where t.Fatal must not be called).
	place := func() string {
		r := a.do(`mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { number } }`, in)
		if len(r.Errors) > 0 {
			return "error: " + r.Errors[0].Message
		}
		var got struct{ PlaceOrder struct{ Number string } }
		json.Unmarshal(r.Data, &got)
		return got.PlaceOrder.Number
	}
	if n := place(); n != "WEB-000001" {
		t.Fatalf("first order %s, want WEB-000001", n)
	}
	ctx := context.Background()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() // on a failure, lets a waiting placeOrder end
	open, err := a.app.Orders.Place(db.WithTx(portal.WithViewer(ctx, w.bob), tx), orders.PlaceInput{
		InformationInput: orders.InformationInput{RequestedReceiptDate: time.Now().AddDate(0, 0, 1)},
		Lines:            []orders.LineInput{{ProductID: w.product("1000"), Quantity: dec("2"), Unit: "ea"}}})
	if err != nil {
		t.Fatal(err)
	}
	if open.Number != "WEB-000002" {
		t.Fatalf("open order %s, want WEB-000002", open.Number)
	}
	done := make(chan string, 1)
	go func() { done <- place() }()
	select {
	case n := <-done:
		if n != "WEB-000003" {
			t.Errorf("order beside the open one %s, want WEB-000003", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("placeOrder waited for another order's transaction to end")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := place(); n != "WEB-000004" {
		t.Errorf("order after the rollback %s, want WEB-000004 (WEB-000002 is not given again)", n)
	}
}

// TestPlaceOrderStatements: the whole order costs one transaction of a
// few statements, whatever its number of lines.
func TestPlaceOrderStatements(t *testing.T) {
	w := newWorld(t)
	in := newInstance(t, w.db, time.Hour)
	tok := in.signIn("alice@forest.example", "demo-alice-pass")
	in.do(tok, `{ __typename }`, nil) // the session is cached from here on
	for _, n := range []int{1, 3, 30} {
		lines := make([]map[string]any, n)
		for i := range lines {
			lines[i] = line(w.product([]string{"1000", "1038", "1044"}[i%3]), "2", []string{"ea", "m", "kg"}[i%3])
		}
		out, stmts := in.do(tok, `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { id status lines { id } } }`, placeInput(lines, nil))
		if out["errors"] != nil || dig(out, "data", "placeOrder", "status") != "SUBMITTED" {
			t.Fatalf("%d lines: %v", n, out)
		}
		if got, _ := dig(out, "data", "placeOrder", "lines").([]any); len(got) != n {
			t.Fatalf("%d lines answered, want %d", len(got), n)
		}
		// begin, the contact (share-locked) with its codes, its first
		// delivery address and the offers of every product, the
		// announcement of new River jobs (at most one transaction in 100 ms
		// sends it), the number with the order, its lines, its River job
		// and its outbox row, commit: 4 or 5, against 22 or 23 for the wizard's
		// five requests (TestOrderEntryStatements). It was 6 or 7 with
		// River's client inserting the job.
		if stmts[0] != "begin" || stmts[len(stmts)-1] != "commit" || len(stmts) > 5 {
			t.Errorf("%d lines: %d statements, want one transaction of at most 5:\n%s", n, len(stmts), strings.Join(stmts, "\n"))
		}
		// The number is taken in the last statement before the commit:
		// a number taken is never given again, so nothing that can
		// refuse the order may come after it.
		if !strings.Contains(stmts[len(stmts)-2], "next_order_number") {
			t.Errorf("%d lines: the number is not taken last:\n%s", n, strings.Join(stmts, "\n"))
		}
	}
}

// placeDuringChange sends mutation as alice while change (an administrator's
// edit of her contact) is made in a transaction left open: the mutation
// must still be waiting 300 ms later; then the change commits and the
// mutation's answer is returned.
func placeDuringChange(t *testing.T, w *orderWorld, mutation string, in map[string]any, change string, args ...any) response {
	t.Helper()
	ctx := context.Background()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, change, args...); err != nil {
		t.Fatal(err)
	}
	done := make(chan response, 1)
	w.api.viewer = w.alice
	go func() { done <- w.do(mutation, in) }()
	select {
	case r := <-done:
		t.Fatalf("placeOrder did not wait for the contact's change: %s %+v", r.Data, r.Errors)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return <-done
}

// TestPlaceOrderWaitsForContactChange: an administrator moves the contact
// to another account while its order is being placed. placeOrder waits for
// the move (the contact is share-locked) and then places the order wholly
// on the new account's terms, never on a mix of the two accounts' (nor
// refuses it for an account it seems to lack).
func TestPlaceOrderWaitsForContactChange(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	in := placeInput([]map[string]any{line(w.product("1000"), "1", "ea")}, map[string]any{
		"deliveryAddress": map[string]any{"description": "Dock 4", "street": "4 Pier Rd", "city": "Seattle", "postalCode": "98101", "countryCode": "US"}})
	r := placeDuringChange(t, w, `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { id } }`, in,
		`UPDATE contact SET customer_account_id = (SELECT id FROM customer_account WHERE account_number = 'US-002')
		WHERE id = ?`, w.alice.ContactID)
	var orders []struct{ Account, Invoice, PriceList string }
	if err := w.db.NewRaw(`SELECT a.account_number AS account, i.account_number AS invoice, pl.code AS price_list
		FROM sales_order o JOIN customer_account a ON a.id = o.customer_account_id
		JOIN customer_account i ON i.id = o.invoice_account_id JOIN price_list pl ON pl.id = o.price_list_id`).Scan(ctx, &orders); err != nil {
		t.Fatal(err)
	}
	var terms struct{ Invoice, PriceList string }
	if err := w.db.NewRaw(`SELECT i.account_number AS invoice, pl.code AS price_list FROM customer_account a
		JOIN customer_account i ON i.id = a.invoice_account_id JOIN price_list pl ON pl.id = a.price_list_id
		WHERE a.account_number = 'US-002'`).Scan(ctx, &terms); err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) > 0 || len(orders) != 1 {
		t.Fatalf("answer %s %+v with %d orders stored", r.Data, r.Errors, len(orders))
	}
	if o := orders[0]; o.Account != "US-002" || o.Invoice != terms.Invoice || o.PriceList != terms.PriceList {
		t.Errorf("order placed on %+v, want US-002's terms %+v", o, terms)
	}
}
