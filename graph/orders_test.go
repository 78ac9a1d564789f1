package graph_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/demo"
	"github.com/openportal/portal/identity"
)

// orderFields is everything a SalesOrder shows, lines included.
const orderFields = `id number status syncState erpOrderNumber company { code } customerAccount { accountNumber }
	invoiceAccount { accountNumber } contactPerson { id email } currency priceList { code currency } language
	shipToCountry deliveryAddressDescription requestedReceiptDate customerRequisition totalAmount createdAt submittedAt
	lines { id lineNumber product { number } quantity unit unitPrice amount shipToCountry deliveryAddressDescription }`

const (
	createOrder      = `mutation($in: OrderInformationInput!) { createOrder(input: $in) { ` + orderFields + ` } }`
	updateOrderInfo  = `mutation($id: ID!, $in: OrderInformationInput!) { updateOrderInformation(orderId: $id, input: $in) { ` + orderFields + ` } }`
	addOrderLine     = `mutation($id: ID!, $in: OrderLineInput!) { addOrderLine(orderId: $id, input: $in) { ` + orderFields + ` } }`
	updateOrderLine  = `mutation($id: ID!, $in: OrderLineInput!) { updateOrderLine(lineId: $id, input: $in) { ` + orderFields + ` } }`
	removeOrderLine  = `mutation($id: ID!) { removeOrderLine(lineId: $id) { ` + orderFields + ` } }`
	submitOrder      = `mutation($id: ID!) { submitOrder(orderId: $id) { ` + orderFields + ` } }`
	deleteDraftOrder = `mutation($id: ID!) { deleteDraftOrder(orderId: $id) }`
	orderQuery       = `query($id: ID!) { order(id: $id) { ` + orderFields + ` } }`
)

type orderLine struct {
	ID, Unit, ShipToCountry, DeliveryAddressDescription string
	LineNumber                                          int
	Product                                             struct{ Number string }
	Quantity, UnitPrice, Amount                         decimal.Decimal
}

type salesOrder struct {
	ID, Number, Status, SyncState, Currency, Language, ShipToCountry string
	DeliveryAddressDescription, RequestedReceiptDate, CreatedAt      string
	ErpOrderNumber, CustomerRequisition, SubmittedAt                 *string
	Company                                                          struct{ Code string }
	CustomerAccount, InvoiceAccount                                  struct{ AccountNumber string }
	ContactPerson                                                    struct{ ID, Email string }
	PriceList                                                        struct{ Code, Currency string }
	TotalAmount                                                      decimal.Decimal
	Lines                                                            []orderLine
}

// orderWorld is the demo data set behind the API, with a viewer for each demo
// contact (and an administrator who belongs to US-001, so it can order).
type orderWorld struct {
	*api
	alice, bob, rep, carla, dan, admin, accountAdmin *portal.Viewer
	ids                                              *identity.Service
	cat                                              *catalog.Service
}

func newWorld(t testing.TB) *orderWorld {
	t.Helper()
	a := newAPI(t)
	ctx := context.Background()
	w := &orderWorld{api: a, cat: a.app.Catalog, ids: a.app.Identity}
	if _, err := demo.Load(ctx, w.cat, w.ids); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ids.CreateSeedContact(ctx, identity.SeedContact{Email: "it@forest.example", Password: "forest-admin-pass",
		FirstName: "Ivan", LastName: "Admin", Company: "USMF", AccountNumber: "US-001",
		RoleKeys: []string{portal.RoleAdministrators}}); err != nil {
		t.Fatal(err)
	}
	w.alice, w.bob, w.rep = w.viewer("alice@forest.example"), w.viewer("bob@forest.example"), w.viewer("rep@forest.example")
	w.carla, w.dan, w.admin = w.viewer("carla@alpine.example"), w.viewer("dan@sunrise.example"), w.viewer("admin@portal.example")
	w.accountAdmin = w.viewer("it@forest.example")
	return w
}

func (w *orderWorld) viewer(email string) *portal.Viewer {
	w.t.Helper()
	v, err := w.ids.ViewerFor(context.Background(), w.id("SELECT id FROM contact WHERE email = ?", email))
	if err != nil {
		w.t.Fatal(err)
	}
	return v
}

// id runs a query returning one id.
func (w *orderWorld) id(query string, args ...any) string {
	w.t.Helper()
	var id string
	if err := w.db.NewRaw(query, args...).Scan(context.Background(), &id); err != nil {
		w.t.Fatalf("%s %v: %v", query, args, err)
	}
	return id
}

func (w *orderWorld) product(number string) string {
	return w.id("SELECT id FROM product WHERE number = ?", number)
}

func (w *orderWorld) address(account, description string) string {
	return w.id(`SELECT d.id FROM delivery_address d JOIN customer_account a ON a.id = d.customer_account_id
		WHERE a.account_number = ? AND d.description = ?`, account, description)
}

// as runs a mutation as viewer v and decodes the one order it returns.
func (w *orderWorld) as(v *portal.Viewer, query string, vars map[string]any) salesOrder {
	w.t.Helper()
	w.api.viewer = v
	var data map[string]json.RawMessage
	w.ok(query, vars, &data)
	var o salesOrder
	for _, raw := range data {
		if err := json.Unmarshal(raw, &o); err != nil {
			w.t.Fatal(err)
		}
	}
	return o
}

// draft creates an order as v for tomorrow at the account's first address.
func (w *orderWorld) draft(v *portal.Viewer) salesOrder {
	w.t.Helper()
	return w.as(v, createOrder, map[string]any{"in": map[string]any{"requestedReceiptDate": tomorrow()}})
}

func line(productID, quantity, unit string) map[string]any {
	return map[string]any{"productId": productID, "quantity": quantity, "unit": unit}
}

func tomorrow() string { return time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly) }

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// orderSnapshot fingerprints the order tables and the outbox, to prove that
// a refused mutation changed nothing.
func orderSnapshot(t testing.TB, d *bun.DB) string {
	t.Helper()
	var out string
	for _, table := range []string{"sales_order", "sales_order_line", "outbox_event", "order_number_sequence"} {
		var sum string
		err := d.NewRaw("SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM "+table+" t").
			Scan(context.Background(), &sum)
		if err != nil {
			t.Fatal(err)
		}
		out += table + "=" + sum + " "
	}
	// Numbers are taken from sequences, outside the transaction's undo:
	// a refusal must not take one either (it would leave a gap).
	var seqs string
	err := d.NewRaw(`SELECT coalesce(string_agg(sequencename || '=' || coalesce(last_value::text, '-'), ',' ORDER BY sequencename), '')
		FROM pg_sequences WHERE sequencename LIKE 'order\_number\_%'`).Scan(context.Background(), &seqs)
	if err != nil {
		t.Fatal(err)
	}
	return out + "sequences=" + seqs
}

// TestOrderWizard walks the seed's Create order wizard as an authorized
// user: order information, items, review, submit; then reads the order back
// as its author, a colleague and the account's customer representative.
func TestOrderWizard(t *testing.T) {
	w := newWorld(t)

	// Step 1: order information. Only the date, the address and the
	// requisition come from the customer; the rest from the contact's
	// account US-001.
	o := w.as(w.alice, createOrder, map[string]any{"in": map[string]any{
		"requestedReceiptDate": tomorrow(), "deliveryAddressId": w.address("US-001", "Seattle store"),
		"customerRequisition": " PO-4711 ",
	}})
	aliceID := w.alice.ContactID
	want := salesOrder{
		ID: o.ID, Number: "WEB-000001", Status: "DRAFT", SyncState: "NOT_SENT", Currency: "USD", Language: "en-US",
		ShipToCountry: "US", DeliveryAddressDescription: "Seattle store", RequestedReceiptDate: tomorrow(),
		CreatedAt: o.CreatedAt, CustomerRequisition: ptr("PO-4711"),
		Company: struct{ Code string }{"USMF"}, CustomerAccount: struct{ AccountNumber string }{"US-001"},
		InvoiceAccount: struct{ AccountNumber string }{"US-001"},
		ContactPerson:  struct{ ID, Email string }{aliceID, "alice@forest.example"},
		PriceList:      struct{ Code, Currency string }{"RETAIL-USD", "USD"}, TotalAmount: dec("0"), Lines: []orderLine{},
	}
	if diff := cmp.Diff(want, o); diff != "" {
		t.Fatalf("createOrder (-want +got):\n%s", diff)
	}
	var street string
	w.db.NewRaw("SELECT delivery_street FROM sales_order WHERE id = ?", o.ID).Scan(context.Background(), &street)
	if street != "1500 Pine Street" {
		t.Errorf("delivery street %q, want the Seattle store's", street)
	}

	// Step 2: items. Amounts are quantity × unit price in cents, rounded
	// half up: 12.75 m × 0.85 = 10.8375 → 10.84.
	receiver, wire, solder := w.product("1000"), w.product("1038"), w.product("1044")
	o = w.as(w.alice, addOrderLine, map[string]any{"id": o.ID, "in": line(receiver, "3", "ea")})
	o = w.as(w.alice, addOrderLine, map[string]any{"id": o.ID, "in": line(wire, "12.75", "m")})
	o = w.as(w.alice, addOrderLine, map[string]any{"id": o.ID, "in": line(solder, "1", "roll")})
	type row struct {
		N                      int
		Product, Unit          string
		Qty, UnitPrice, Amount string
	}
	rows := func(o salesOrder) []row {
		var out []row
		for _, l := range o.Lines {
			out = append(out, row{l.LineNumber, l.Product.Number, l.Unit, l.Quantity.String(), l.UnitPrice.String(), l.Amount.String()})
			if l.ShipToCountry != "US" || l.DeliveryAddressDescription != "Seattle store" {
				t.Errorf("line %d carries %s / %q, want the order's US / Seattle store", l.LineNumber, l.ShipToCountry, l.DeliveryAddressDescription)
			}
		}
		return out
	}
	if diff := cmp.Diff([]row{
		{1, "1000", "ea", "3", "429", "1287"},
		{2, "1038", "m", "12.75", "0.85", "10.84"},
		{3, "1044", "roll", "1", "32", "32"},
	}, rows(o)); diff != "" {
		t.Fatalf("lines (-want +got):\n%s", diff)
	}
	if !o.TotalAmount.Equal(dec("1329.84")) {
		t.Errorf("total %s, want 1329.84", o.TotalAmount)
	}

	// Change line 3 to kilograms, remove line 2, add another: line numbers
	// stay, the removed number is not reused.
	o = w.as(w.alice, updateOrderLine, map[string]any{"id": o.Lines[2].ID, "in": line(solder, "0.125", "kg")})
	o = w.as(w.alice, removeOrderLine, map[string]any{"id": o.Lines[1].ID})
	o = w.as(w.alice, addOrderLine, map[string]any{"id": o.ID, "in": line(wire, "1", "roll")})
	if diff := cmp.Diff([]row{
		{1, "1000", "ea", "3", "429", "1287"},
		{3, "1044", "kg", "0.125", "64", "8"},
		{4, "1038", "roll", "1", "85", "85"},
	}, rows(o)); diff != "" {
		t.Fatalf("lines after edits (-want +got):\n%s", diff)
	}
	if !o.TotalAmount.Equal(dec("1380")) {
		t.Errorf("total %s, want 1380", o.TotalAmount)
	}

	// Step 1 again: another address of the account; the lines follow it.
	o = w.as(w.alice, updateOrderInfo, map[string]any{"id": o.ID, "in": map[string]any{
		"requestedReceiptDate": tomorrow(), "deliveryAddressId": w.address("US-001", "Main warehouse")}})
	if o.DeliveryAddressDescription != "Main warehouse" || o.Lines[0].DeliveryAddressDescription != "Main warehouse" ||
		o.CustomerRequisition == nil || *o.CustomerRequisition != "PO-4711" {
		t.Fatalf("after updateOrderInformation: %+v", o)
	}

	// Step 3: review and submit.
	draft := o
	o = w.as(w.alice, submitOrder, map[string]any{"id": o.ID})
	if o.Status != "SUBMITTED" || o.SyncState != "PENDING" || o.SubmittedAt == nil || o.Number != "WEB-000001" ||
		!o.TotalAmount.Equal(draft.TotalAmount) || len(o.Lines) != 3 {
		t.Fatalf("submitted order: %+v", o)
	}
	// The outbox event carries the order and its lines, in ERP codes.
	var ev struct {
		Type    string
		Payload json.RawMessage
	}
	if err := w.db.NewRaw("SELECT type, payload FROM outbox_event WHERE aggregate_id = ?", o.ID).Scan(context.Background(), &ev); err != nil {
		t.Fatal(err)
	}
	var payload map[string]any
	json.Unmarshal(ev.Payload, &payload)
	if ev.Type != "salesorder.submitted" || payload["number"] != "WEB-000001" || payload["company"] != "USMF" ||
		payload["customerAccount"] != "US-001" || payload["invoiceAccount"] != "US-001" || payload["priceList"] != "RETAIL-USD" ||
		payload["totalAmount"] != "1380" || payload["customerRequisition"] != "PO-4711" ||
		len(payload["lines"].([]any)) != 3 || payload["lines"].([]any)[1].(map[string]any)["product"] != "1044" {
		t.Errorf("outbox event %s %s", ev.Type, ev.Payload)
	}
	if diff := cmp.Diff(map[string]any{"description": "Main warehouse", "street": "123 Coffee Street", "city": "Redmond, WA",
		"postalCode": "98052", "countryCode": "US"}, payload["deliveryAddress"]); diff != "" {
		t.Errorf("event's delivery address (-want +got):\n%s", diff)
	}

	// Submitting again returns the same order; nothing changes.
	before := orderSnapshot(t, w.db)
	if again := w.as(w.alice, submitOrder, map[string]any{"id": o.ID}); !cmp.Equal(o, again) {
		t.Errorf("second submit differs:\n%s", cmp.Diff(o, again))
	}
	if orderSnapshot(t, w.db) != before {
		t.Error("second submit changed the database")
	}

	// Reading: alice and the representative see it (the representative
	// sees who placed it); bob, of the same account, does not.
	if got := w.as(w.alice, orderQuery, map[string]any{"id": o.ID}); !cmp.Equal(o, got) {
		t.Errorf("order as alice:\n%s", cmp.Diff(o, got))
	}
	if got := w.as(w.rep, orderQuery, map[string]any{"id": o.ID}); got.ContactPerson.Email != "alice@forest.example" || len(got.Lines) != 3 {
		t.Errorf("order as representative: %+v", got)
	}
	w.api.viewer = w.bob
	var none struct{ Order *salesOrder }
	w.ok(orderQuery, map[string]any{"id": o.ID}, &none)
	if none.Order != nil {
		t.Errorf("bob reads alice's order")
	}
}

func ptr[T any](v T) *T { return &v }

// submittedEvent is the payload of the salesorder.submitted outbox event of
// an order.
func (w *orderWorld) submittedEvent(orderID string) map[string]any {
	w.t.Helper()
	var raw string
	if err := w.db.NewRaw("SELECT payload FROM outbox_event WHERE aggregate_id = ? AND type = 'salesorder.submitted'", orderID).
		Scan(context.Background(), &raw); err != nil {
		w.t.Fatal(err)
	}
	var payload map[string]any
	if err := json.Unmarshal([]byte(raw), &payload); err != nil {
		w.t.Fatal(err)
	}
	return payload
}

// deliveryCountry is the country of an order's delivery address as stored.
func (w *orderWorld) deliveryCountry(orderID string) string {
	return w.id("SELECT delivery_country_code FROM sales_order WHERE id = ?", orderID)
}

// TestOrderDeliveryAddressCountry: an order delivers in the country it ships to.
// An account address elsewhere is refused, a new order takes the account's
// first address in its ship-to country, an administrator who changes the
// ship-to country gives an address there, and the ERP gets the stored
// address with its own country.
func TestOrderDeliveryAddressCountry(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// Bob ships to Germany; his account US-001 has only US addresses.
	if _, err := w.db.ExecContext(ctx, `UPDATE contact SET currency = 'EUR', ship_to_country = 'DE', language = 'de-DE',
		price_list_id = (SELECT id FROM price_list WHERE code = 'RETAIL-EUR') WHERE email = 'bob@forest.example'`); err != nil {
		t.Fatal(err)
	}
	info := func(change map[string]any) map[string]any {
		in := map[string]any{"requestedReceiptDate": tomorrow()}
		for k, v := range change {
			in[k] = v
		}
		return in
	}
	refused := func(v *portal.Viewer, mutation string, vars map[string]any, field string, says ...string) {
		t.Helper()
		before := orderSnapshot(t, w.db)
		w.api.viewer = v
		e := w.fails(mutation, vars, "BAD_USER_INPUT")
		if e.Extensions["field"] != field {
			t.Errorf("field %v, want %s (%s)", e.Extensions["field"], field, e.Message)
		}
		for _, s := range says {
			if !strings.Contains(e.Message, s) {
				t.Errorf("message %q does not say %q", e.Message, s)
			}
		}
		if orderSnapshot(t, w.db) != before {
			t.Errorf("refused mutation changed the orders")
		}
	}
	mainWarehouse := w.address("US-001", "Main warehouse")

	// No address in Germany: bob must give one; a US address of his
	// account is refused, naming both countries.
	refused(w.bob, createOrder, map[string]any{"in": info(nil)}, "input.deliveryAddress", "no delivery address in DE", "new delivery address")
	refused(w.bob, createOrder, map[string]any{"in": info(map[string]any{"deliveryAddressId": mainWarehouse})},
		"input.deliveryAddressId", "in US", "ships to DE")

	// With a German address on file, a new order without an address takes
	// the first one in its ship-to country, not the account's first.
	if _, err := w.db.ExecContext(ctx, `INSERT INTO delivery_address (customer_account_id, position, description, street, city, postal_code, country_code)
		SELECT id, 99, 'Hamburg depot', 'Hafenstraße 1', 'Hamburg', '20359', 'DE' FROM customer_account WHERE account_number = 'US-001'`); err != nil {
		t.Fatal(err)
	}
	hamburg := w.address("US-001", "Hamburg depot")
	bobs := w.draft(w.bob)
	if bobs.ShipToCountry != "DE" || bobs.DeliveryAddressDescription != "Hamburg depot" || w.deliveryCountry(bobs.ID) != "DE" {
		t.Fatalf("bob's draft ships to %s at %q (%s)", bobs.ShipToCountry, bobs.DeliveryAddressDescription, w.deliveryCountry(bobs.ID))
	}
	if alices := w.draft(w.alice); alices.DeliveryAddressDescription != "Main warehouse" || w.deliveryCountry(alices.ID) != "US" {
		t.Errorf("alice's draft delivers to %q", alices.DeliveryAddressDescription)
	}
	// Changing the address keeps to the ship-to country too.
	refused(w.bob, updateOrderInfo, map[string]any{"id": bobs.ID, "in": info(map[string]any{"deliveryAddressId": mainWarehouse})},
		"input.deliveryAddressId", "in US", "ships to DE")
	bobs = w.as(w.bob, addOrderLine, map[string]any{"id": bobs.ID, "in": line(w.product("1000"), "1", "ea")})
	bobs = w.as(w.bob, submitOrder, map[string]any{"id": bobs.ID})
	event := w.submittedEvent(bobs.ID)
	if diff := cmp.Diff(map[string]any{"description": "Hamburg depot", "street": "Hafenstraße 1", "city": "Hamburg",
		"postalCode": "20359", "countryCode": "DE"}, event["deliveryAddress"]); diff != "" || event["shipToCountry"] != "DE" {
		t.Errorf("event ships to %v at (-want +got):\n%s", event["shipToCountry"], diff)
	}

	// An administrator chooses the ship-to country, and with it the
	// country of the delivery address.
	admin := w.accountAdmin
	refused(admin, createOrder, map[string]any{"in": info(map[string]any{"shipToCountry": "CA"})}, "input.deliveryAddress", "no delivery address in CA")
	toronto := map[string]any{"description": "Toronto site", "street": "1 King St W", "city": "Toronto", "postalCode": "M5H 1A1", "countryCode": "CA"}
	o := w.as(admin, createOrder, map[string]any{"in": info(map[string]any{"shipToCountry": "CA", "deliveryAddress": toronto})})
	if o.ShipToCountry != "CA" || w.deliveryCountry(o.ID) != "CA" {
		t.Fatalf("admin's order ships to %s, delivers in %s", o.ShipToCountry, w.deliveryCountry(o.ID))
	}
	o = w.as(admin, addOrderLine, map[string]any{"id": o.ID, "in": line(w.product("1000"), "1", "ea")})
	// Another country without an address there: the Toronto site stays in
	// Canada, so it is refused, naming both countries.
	refused(admin, updateOrderInfo, map[string]any{"id": o.ID, "in": info(map[string]any{"shipToCountry": "MX"})},
		"input.deliveryAddress", "CA", "MX")
	refused(admin, updateOrderInfo, map[string]any{"id": o.ID, "in": info(map[string]any{"shipToCountry": "US", "deliveryAddressId": hamburg})},
		"input.deliveryAddressId", "in DE", "ships to US")
	refused(admin, updateOrderInfo, map[string]any{"id": o.ID, "in": info(map[string]any{"deliveryAddressId": mainWarehouse})},
		"input.deliveryAddressId", "in US", "ships to CA")
	// The same country again keeps the address; another with an account
	// address there moves both, lines included.
	o = w.as(admin, updateOrderInfo, map[string]any{"id": o.ID, "in": info(map[string]any{"shipToCountry": "ca"})})
	if o.ShipToCountry != "CA" || o.DeliveryAddressDescription != "Toronto site" {
		t.Errorf("same ship-to again: %s %q", o.ShipToCountry, o.DeliveryAddressDescription)
	}
	o = w.as(admin, updateOrderInfo, map[string]any{"id": o.ID, "in": info(map[string]any{"shipToCountry": "DE", "deliveryAddressId": hamburg})})
	if o.ShipToCountry != "DE" || o.DeliveryAddressDescription != "Hamburg depot" || w.deliveryCountry(o.ID) != "DE" ||
		o.Lines[0].ShipToCountry != "DE" || o.Lines[0].DeliveryAddressDescription != "Hamburg depot" {
		t.Errorf("moved to Germany: %+v (%s)", o, w.deliveryCountry(o.ID))
	}
	o = w.as(admin, submitOrder, map[string]any{"id": o.ID})
	if got := w.submittedEvent(o.ID)["deliveryAddress"].(map[string]any); got["street"] != "Hafenstraße 1" || got["countryCode"] != "DE" {
		t.Errorf("event's delivery address %v", got)
	}

	// A draft whose stored address is abroad (made before the rule) is
	// not submitted until it gets an address in its ship-to country.
	stale := w.draft(w.alice)
	stale = w.as(w.alice, addOrderLine, map[string]any{"id": stale.ID, "in": line(w.product("1000"), "1", "ea")})
	w.db.ExecContext(ctx, "UPDATE sales_order SET delivery_country_code = 'CA' WHERE id = ?", stale.ID)
	refused(w.alice, submitOrder, map[string]any{"id": stale.ID}, "orderId", "in CA", "ships to US")
	refused(w.alice, updateOrderInfo, map[string]any{"id": stale.ID, "in": info(nil)}, "input.deliveryAddress", "CA", "US")
	w.as(w.alice, updateOrderInfo, map[string]any{"id": stale.ID, "in": info(map[string]any{"deliveryAddressId": mainWarehouse})})
	if got := w.as(w.alice, submitOrder, map[string]any{"id": stale.ID}); got.Status != "SUBMITTED" {
		t.Errorf("status %s", got.Status)
	}
}

// TestOrderHeaderFromContact checks every auto-filled field against where it
// comes from: the contact's own values where it has them, else its account's
// (the invoice account is always the account's).
func TestOrderHeaderFromContact(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// Bob orders in EUR from the EUR list, ships to Germany and speaks
	// German, although his account US-001 is USD, US, en-US.
	if _, err := w.db.ExecContext(ctx, `UPDATE contact SET currency = 'EUR', ship_to_country = 'DE', language = 'de-DE',
		price_list_id = (SELECT id FROM price_list WHERE code = 'RETAIL-EUR') WHERE email = 'bob@forest.example'`); err != nil {
		t.Fatal(err)
	}
	// US-001 has no delivery address in Germany, so bob gives one.
	berlin := map[string]any{"description": "Berlin office", "street": "Friedrichstraße 100", "city": "Berlin", "postalCode": "10117", "countryCode": "DE"}
	tests := []struct {
		name                                               string
		viewer                                             *portal.Viewer
		deliveryAddress                                    map[string]any // nil: the account's first in the ship-to country
		company, account, invoice, currency, priceList     string
		language, shipTo, address, contactEmail, unitPrice string
	}{
		{"account's values", w.alice, nil, "USMF", "US-001", "US-001", "USD", "RETAIL-USD", "en-US", "US", "Main warehouse", "alice@forest.example", "429"},
		{"contact's own values win", w.bob, berlin, "USMF", "US-001", "US-001", "EUR", "RETAIL-EUR", "de-DE", "DE", "Berlin office", "bob@forest.example", "394.68"},
		{"invoice account of the account", w.dan, nil, "USMF", "US-002", "US-003", "USD", "RETAIL-USD", "en-US", "US", "Main warehouse", "dan@sunrise.example", "429"},
		{"EUR account", w.carla, nil, "USMF", "DE-001", "DE-001", "EUR", "RETAIL-EUR", "de-DE", "DE", "Main warehouse", "carla@alpine.example", "394.68"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.api.t = t
			in := map[string]any{"requestedReceiptDate": tomorrow()}
			if tt.deliveryAddress != nil {
				in["deliveryAddress"] = tt.deliveryAddress
			}
			o := w.as(tt.viewer, createOrder, map[string]any{"in": in})
			o = w.as(tt.viewer, addOrderLine, map[string]any{"id": o.ID, "in": line(w.product("1000"), "1", "ea")})
			got := []string{o.Company.Code, o.CustomerAccount.AccountNumber, o.InvoiceAccount.AccountNumber, o.Currency,
				o.PriceList.Code, o.Language, o.ShipToCountry, o.DeliveryAddressDescription, o.ContactPerson.Email,
				o.Lines[0].UnitPrice.String(), o.Lines[0].ShipToCountry}
			want := []string{tt.company, tt.account, tt.invoice, tt.currency, tt.priceList, tt.language, tt.shipTo,
				tt.address, tt.contactEmail, tt.unitPrice, tt.shipTo}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("company, account, invoice, currency, price list, language, ship-to, address, contact, price, line ship-to (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(o.Number, "WEB-") || o.ContactPerson.ID != tt.viewer.ContactID {
				t.Errorf("number %s, contact person %s", o.Number, o.ContactPerson.ID)
			}
		})
	}
	// Numbers are the company's sequence: four orders, four numbers.
	var numbers []string
	w.db.NewRaw("SELECT number FROM sales_order ORDER BY number").Scan(ctx, &numbers)
	if diff := cmp.Diff([]string{"WEB-000001", "WEB-000002", "WEB-000003", "WEB-000004"}, numbers); diff != "" {
		t.Errorf("numbers (-want +got):\n%s", diff)
	}
}

// TestAdministratorOrders: only administrators choose company and ship-to
// country; an administrator orders as its own contact.
func TestAdministratorOrders(t *testing.T) {
	w := newWorld(t)
	o := w.as(w.accountAdmin, createOrder, map[string]any{"in": map[string]any{
		"requestedReceiptDate": tomorrow(), "company": "usmf", "shipToCountry": "ca",
		"deliveryAddress": map[string]any{"description": "Toronto site", "street": "1 King St W", "city": "Toronto", "postalCode": "M5H 1A1", "countryCode": "CA"},
	}})
	if o.Company.Code != "USMF" || o.ShipToCountry != "CA" || o.DeliveryAddressDescription != "Toronto site" || o.CustomerAccount.AccountNumber != "US-001" {
		t.Fatalf("admin order: %+v", o)
	}
	o = w.as(w.accountAdmin, addOrderLine, map[string]any{"id": o.ID, "in": line(w.product("1000"), "1", "ea")})
	// Another ship-to country needs a delivery address there: the Toronto
	// site does not move to Mexico.
	w.api.viewer = w.accountAdmin
	e := w.fails(updateOrderInfo, map[string]any{"id": o.ID, "in": map[string]any{"requestedReceiptDate": tomorrow(), "shipToCountry": "MX"}}, "BAD_USER_INPUT")
	if e.Extensions["field"] != "input.deliveryAddress" || !strings.Contains(e.Message, "CA") || !strings.Contains(e.Message, "MX") {
		t.Errorf("ship-to changed without an address: %s %v", e.Message, e.Extensions["field"])
	}
	o = w.as(w.accountAdmin, updateOrderInfo, map[string]any{"id": o.ID, "in": map[string]any{"requestedReceiptDate": tomorrow(), "shipToCountry": "MX",
		"deliveryAddress": map[string]any{"description": "Monterrey plant", "street": "Av. Constitución 100", "city": "Monterrey", "postalCode": "64000", "countryCode": "MX"}}})
	if o.ShipToCountry != "MX" || o.Lines[0].ShipToCountry != "MX" || o.DeliveryAddressDescription != "Monterrey plant" ||
		o.Lines[0].DeliveryAddressDescription != "Monterrey plant" {
		t.Errorf("admin changed ship-to: %+v", o)
	}
	// The ERP gets the address the order delivers to, in its country.
	o = w.as(w.accountAdmin, submitOrder, map[string]any{"id": o.ID})
	if diff := cmp.Diff(map[string]any{"description": "Monterrey plant", "street": "Av. Constitución 100", "city": "Monterrey",
		"postalCode": "64000", "countryCode": "MX"}, w.submittedEvent(o.ID)["deliveryAddress"]); diff != "" {
		t.Errorf("event's delivery address (-want +got):\n%s", diff)
	}
	// An administrator may change a customer's draft, and may submit it.
	alices := w.draft(w.alice)
	alices = w.as(w.alice, addOrderLine, map[string]any{"id": alices.ID, "in": line(w.product("1000"), "1", "ea")})
	if got := w.as(w.admin, submitOrder, map[string]any{"id": alices.ID}); got.Status != "SUBMITTED" || got.ContactPerson.Email != "alice@forest.example" {
		t.Errorf("admin submitted %+v", got)
	}
}

// TestOrderRefusals: every refusal of the wizard, each with its code and
// field, and none changing anything.
func TestOrderRefusals(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// A second company with a product, a product of USMF without any price
	// and a unit of 1000 without a price.
	w.api.viewer = admin
	w.ok(saveLegalEntity, map[string]any{"in": map[string]any{"code": "DEMF", "name": "Contoso Germany"}}, nil)
	w.ok(saveProduct, map[string]any{"in": map[string]any{"number": "7000", "name": "German speaker", "company": "DEMF", "units": []string{"ea"}, "defaultUnit": "ea"}}, nil)
	w.ok(saveProduct, map[string]any{"in": map[string]any{"number": "9000", "name": "Unpriced", "company": "USMF", "units": []string{"ea"}, "defaultUnit": "ea"}}, nil)
	w.ok(saveProduct, map[string]any{"in": map[string]any{"number": "1000", "name": "Surround sound receiver", "company": "USMF", "units": []string{"ea", "pallet", "set"}, "defaultUnit": "ea"}}, nil)
	// A contact with no account, and one whose own currency does not match
	// its price list.
	lonely, err := w.ids.CreateSeedContact(ctx, identity.SeedContact{Email: "lonely@example.com", Password: "lonely-password",
		FirstName: "Lo", LastName: "Nely", RoleKeys: []string{portal.RoleAuthorizedUser}})
	if err != nil {
		t.Fatal(err)
	}
	noAccount, _ := w.ids.ViewerFor(ctx, lonely.ID)
	w.db.ExecContext(ctx, "UPDATE contact SET currency = 'EUR' WHERE email = 'dan@sunrise.example'")

	draft := w.draft(w.alice)
	draft = w.as(w.alice, addOrderLine, map[string]any{"id": draft.ID, "in": line(w.product("1000"), "2", "ea")})
	submitted := w.draft(w.alice)
	submitted = w.as(w.alice, addOrderLine, map[string]any{"id": submitted.ID, "in": line(w.product("1000"), "1", "ea")})
	submitted = w.as(w.alice, submitOrder, map[string]any{"id": submitted.ID})
	empty := w.draft(w.alice)
	// A draft whose date passed while it waited.
	stale := w.draft(w.alice)
	stale = w.as(w.alice, addOrderLine, map[string]any{"id": stale.ID, "in": line(w.product("1000"), "1", "ea")})
	w.db.ExecContext(ctx, "UPDATE sales_order SET requested_receipt_date = current_date - 3 WHERE id = ?", stale.ID)

	info := func(change map[string]any) map[string]any {
		in := map[string]any{"requestedReceiptDate": tomorrow()}
		for k, v := range change {
			in[k] = v
		}
		return map[string]any{"in": in}
	}
	p1000 := w.product("1000")
	addLine := func(orderID string, in map[string]any) map[string]any { return map[string]any{"id": orderID, "in": in} }
	anonymous := (*portal.Viewer)(nil)
	tests := []struct {
		name     string
		viewer   *portal.Viewer
		mutation string
		vars     map[string]any
		code     string
		field    string
		message  string // a part of the message
	}{
		// createOrder
		{"anonymous creates", anonymous, createOrder, info(nil), "UNAUTHENTICATED", "", "Sign in"},
		{"representative creates", w.rep, createOrder, info(nil), "FORBIDDEN", "", ""},
		{"customer chooses company", w.alice, createOrder, info(map[string]any{"company": "USMF"}), "BAD_USER_INPUT", "input.company", "Only administrators"},
		{"customer chooses ship-to", w.alice, createOrder, info(map[string]any{"shipToCountry": "US"}), "BAD_USER_INPUT", "input.shipToCountry", "Only administrators"},
		{"date in the past", w.alice, createOrder, info(map[string]any{"requestedReceiptDate": time.Now().UTC().AddDate(0, 0, -2).Format(time.DateOnly)}), "BAD_USER_INPUT", "input.requestedReceiptDate", "past"},
		{"both addresses", w.alice, createOrder, info(map[string]any{"deliveryAddressId": w.address("US-001", "Main warehouse"),
			"deliveryAddress": map[string]any{"description": "X", "street": "1 A St", "city": "B", "postalCode": "1", "countryCode": "US"}}), "BAD_USER_INPUT", "input.deliveryAddress", "not both"},
		{"another account's address", w.alice, createOrder, info(map[string]any{"deliveryAddressId": w.address("DE-001", "Main warehouse")}), "BAD_USER_INPUT", "input.deliveryAddressId", ""},
		{"address id not an id", w.alice, createOrder, info(map[string]any{"deliveryAddressId": "nope"}), "BAD_USER_INPUT", "input.deliveryAddressId", ""},
		{"new address without description", w.alice, createOrder, info(map[string]any{"deliveryAddress": map[string]any{"description": " ", "street": "1 A St", "city": "B", "postalCode": "1", "countryCode": "US"}}), "BAD_USER_INPUT", "input.deliveryAddress.description", ""},
		{"new address unknown country", w.alice, createOrder, info(map[string]any{"deliveryAddress": map[string]any{"description": "X", "street": "1 A St", "city": "B", "postalCode": "1", "countryCode": "XX"}}), "BAD_USER_INPUT", "input.deliveryAddress.countryCode", "Unknown country"},
		{"new address abroad", w.alice, createOrder, info(map[string]any{"deliveryAddress": map[string]any{"description": "X", "street": "1 A St", "city": "B", "postalCode": "1", "countryCode": "DE"}}), "BAD_USER_INPUT", "input.deliveryAddress.countryCode", "ships to US"},
		{"requisition too long", w.alice, createOrder, info(map[string]any{"customerRequisition": strings.Repeat("x", 61)}), "BAD_USER_INPUT", "input.customerRequisition", ""},
		{"requisition with NUL", w.alice, createOrder, info(map[string]any{"customerRequisition": "PO\u0000X"}), "BAD_USER_INPUT", "", ""},
		{"date more than two years ahead", w.alice, createOrder, info(map[string]any{"requestedReceiptDate": time.Now().UTC().AddDate(2, 0, 2).Format(time.DateOnly)}), "BAD_USER_INPUT", "input.requestedReceiptDate", "more than two years"},
		{"date in year 9999", w.alice, createOrder, info(map[string]any{"requestedReceiptDate": "9999-12-31"}), "BAD_USER_INPUT", "input.requestedReceiptDate", ""},
		{"date in year 0", w.alice, createOrder, info(map[string]any{"requestedReceiptDate": "0000-01-01"}), "BAD_USER_INPUT", "", ""},
		{"contact without account", noAccount, createOrder, info(nil), "BAD_USER_INPUT", "", "company, customerAccount, priceList, currency, shipToCountry. An administrator must complete the contact"},
		{"administrator without account", w.admin, createOrder, info(nil), "BAD_USER_INPUT", "", "An administrator must complete the contact"},
		{"contact's currency differs from its price list", w.dan, createOrder, info(nil), "BAD_USER_INPUT", "", "An administrator must give the contact a EUR price list"},
		{"administrator: unknown company", w.accountAdmin, createOrder, info(map[string]any{"company": "NOPE"}), "BAD_USER_INPUT", "input.company", "does not exist"},
		{"administrator: company of another account", w.accountAdmin, createOrder, info(map[string]any{"company": "DEMF"}), "BAD_USER_INPUT", "input.company", "belongs to company USMF"},
		{"administrator: unknown ship-to", w.accountAdmin, createOrder, info(map[string]any{"shipToCountry": "ZZ"}), "BAD_USER_INPUT", "input.shipToCountry", ""},

		// updateOrderInformation
		{"update: colleague's draft", w.bob, updateOrderInfo, map[string]any{"id": draft.ID, "in": info(nil)["in"]}, "NOT_FOUND", "", ""},
		{"update: representative", w.rep, updateOrderInfo, map[string]any{"id": draft.ID, "in": info(nil)["in"]}, "FORBIDDEN", "", ""},
		{"update: submitted", w.alice, updateOrderInfo, map[string]any{"id": submitted.ID, "in": info(nil)["in"]}, "CONFLICT", "", "only draft orders"},
		{"update: customer chooses ship-to", w.alice, updateOrderInfo, map[string]any{"id": draft.ID, "in": info(map[string]any{"shipToCountry": "DE"})["in"]}, "BAD_USER_INPUT", "input.shipToCountry", ""},
		{"update: administrator moves company", w.admin, updateOrderInfo, map[string]any{"id": draft.ID, "in": info(map[string]any{"company": "DEMF"})["in"]}, "BAD_USER_INPUT", "input.company", "cannot move"},
		{"update: date in the past", w.alice, updateOrderInfo, map[string]any{"id": draft.ID, "in": info(map[string]any{"requestedReceiptDate": "2020-01-01"})["in"]}, "BAD_USER_INPUT", "input.requestedReceiptDate", ""},
		{"update: date in year 9999", w.alice, updateOrderInfo, map[string]any{"id": draft.ID, "in": info(map[string]any{"requestedReceiptDate": "9999-12-31"})["in"]}, "BAD_USER_INPUT", "input.requestedReceiptDate", ""},
		{"update: unknown order", w.alice, updateOrderInfo, map[string]any{"id": "00000000-0000-0000-0000-000000000000", "in": info(nil)["in"]}, "NOT_FOUND", "", ""},

		// addOrderLine
		{"line: anonymous", anonymous, addOrderLine, addLine(draft.ID, line(p1000, "1", "ea")), "UNAUTHENTICATED", "", ""},
		{"line: colleague's draft", w.bob, addOrderLine, addLine(draft.ID, line(p1000, "1", "ea")), "NOT_FOUND", "", ""},
		{"line: representative", w.rep, addOrderLine, addLine(draft.ID, line(p1000, "1", "ea")), "FORBIDDEN", "", ""},
		{"line: submitted order", w.alice, addOrderLine, addLine(submitted.ID, line(p1000, "1", "ea")), "CONFLICT", "", "SUBMITTED"},
		{"line: not an order id", w.alice, addOrderLine, addLine("x", line(p1000, "1", "ea")), "NOT_FOUND", "", ""},
		{"line: unknown product", w.alice, addOrderLine, addLine(draft.ID, line("00000000-0000-0000-0000-000000000000", "1", "ea")), "BAD_USER_INPUT", "input.productId", ""},
		{"line: product id not an id", w.alice, addOrderLine, addLine(draft.ID, line("1000", "1", "ea")), "BAD_USER_INPUT", "input.productId", ""},
		{"line: product of another company", w.alice, addOrderLine, addLine(draft.ID, line(w.product("7000"), "1", "ea")), "BAD_USER_INPUT", "input.productId", "company"},
		{"line: product without price", w.alice, addOrderLine, addLine(draft.ID, line(w.product("9000"), "1", "ea")), "BAD_USER_INPUT", "input.productId", "no price"},
		{"line: unknown unit", w.alice, addOrderLine, addLine(draft.ID, line(p1000, "1", "crate")), "BAD_USER_INPUT", "input.unit", `not sold in unit "crate"`},
		{"line: unit of 10,000 characters", w.alice, addOrderLine, addLine(draft.ID, line(p1000, "1", strings.Repeat("u", 10_000))), "BAD_USER_INPUT", "input.unit", "at most 20 characters"},
		{"line: unit without price", w.alice, addOrderLine, addLine(draft.ID, line(p1000, "1", "set")), "BAD_USER_INPUT", "input.unit", "order it in ea, pallet"},
		{"line: unit not of the product", w.alice, addOrderLine, addLine(draft.ID, line(p1000, "1", "kg")), "BAD_USER_INPUT", "input.unit", "ea, pallet, set"},
		{"line: zero", w.alice, addOrderLine, addLine(draft.ID, line(p1000, "0", "ea")), "BAD_USER_INPUT", "input.quantity", "more than zero"},
		{"line: negative", w.alice, addOrderLine, addLine(draft.ID, line(p1000, "-1", "ea")), "BAD_USER_INPUT", "input.quantity", ""},
		{"line: decimals for each", w.alice, addOrderLine, addLine(draft.ID, line(p1000, "1.5", "ea")), "BAD_USER_INPUT", "input.quantity", `unit "ea" allows (0)`},
		{"line: too many decimals for metres", w.alice, addOrderLine, addLine(draft.ID, line(w.product("1038"), "1.234", "m")), "BAD_USER_INPUT", "input.quantity", "(2)"},
		{"line: tiny exponent", w.alice, addOrderLine, addLine(draft.ID, line(p1000, "1e-60", "ea")), "BAD_USER_INPUT", "input.quantity", "decimals"},
		{"line: huge exponent", w.alice, addOrderLine, addLine(draft.ID, line(p1000, "1e20", "ea")), "BAD_USER_INPUT", "input.quantity", "too large"},
		{"line: absurd exponent", w.alice, addOrderLine, addLine(draft.ID, line(p1000, "1e-999999999", "ea")), "BAD_USER_INPUT", "", "not a decimal"},
		{"line: amount too large", w.alice, addOrderLine, addLine(draft.ID, line(p1000, "9999999999999", "ea")), "BAD_USER_INPUT", "input.quantity", ""},
		{"line: quantity not a decimal", w.alice, addOrderLine, addLine(draft.ID, line(p1000, "two", "ea")), "BAD_USER_INPUT", "", ""},

		// updateOrderLine, removeOrderLine
		{"update line: colleague", w.bob, updateOrderLine, map[string]any{"id": draft.Lines[0].ID, "in": line(p1000, "1", "ea")}, "NOT_FOUND", "", ""},
		{"update line: representative", w.rep, updateOrderLine, map[string]any{"id": draft.Lines[0].ID, "in": line(p1000, "1", "ea")}, "FORBIDDEN", "", ""},
		{"update line: submitted", w.alice, updateOrderLine, map[string]any{"id": submitted.Lines[0].ID, "in": line(p1000, "5", "ea")}, "CONFLICT", "", ""},
		{"update line: bad quantity", w.alice, updateOrderLine, map[string]any{"id": draft.Lines[0].ID, "in": line(p1000, "0.5", "ea")}, "BAD_USER_INPUT", "input.quantity", ""},
		{"update line: unknown line", w.alice, updateOrderLine, map[string]any{"id": "00000000-0000-0000-0000-000000000000", "in": line(p1000, "1", "ea")}, "NOT_FOUND", "", ""},
		{"remove line: colleague", w.bob, removeOrderLine, map[string]any{"id": draft.Lines[0].ID}, "NOT_FOUND", "", ""},
		{"remove line: representative", w.rep, removeOrderLine, map[string]any{"id": draft.Lines[0].ID}, "FORBIDDEN", "", ""},
		{"remove line: submitted", w.alice, removeOrderLine, map[string]any{"id": submitted.Lines[0].ID}, "CONFLICT", "", ""},

		// submitOrder, deleteDraftOrder
		{"submit: no lines", w.alice, submitOrder, map[string]any{"id": empty.ID}, "BAD_USER_INPUT", "orderId", "no items"},
		{"submit: date passed", w.alice, submitOrder, map[string]any{"id": stale.ID}, "BAD_USER_INPUT", "orderId", "has passed"},
		{"submit: colleague", w.bob, submitOrder, map[string]any{"id": draft.ID}, "NOT_FOUND", "", ""},
		{"submit: representative", w.rep, submitOrder, map[string]any{"id": draft.ID}, "FORBIDDEN", "", ""},
		{"submit: anonymous", anonymous, submitOrder, map[string]any{"id": draft.ID}, "UNAUTHENTICATED", "", ""},
		{"delete: submitted", w.alice, deleteDraftOrder, map[string]any{"id": submitted.ID}, "CONFLICT", "", ""},
		{"delete: colleague", w.bob, deleteDraftOrder, map[string]any{"id": draft.ID}, "NOT_FOUND", "", ""},
		{"delete: representative", w.rep, deleteDraftOrder, map[string]any{"id": draft.ID}, "FORBIDDEN", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.api.t = t
			before := orderSnapshot(t, w.db)
			w.api.viewer = tt.viewer
			e := w.fails(tt.mutation, tt.vars, tt.code)
			if tt.field != "" && e.Extensions["field"] != tt.field {
				t.Errorf("field %v, want %s (%s)", e.Extensions["field"], tt.field, e.Message)
			}
			if !strings.Contains(e.Message, tt.message) {
				t.Errorf("message %q does not say %q", e.Message, tt.message)
			}
			if after := orderSnapshot(t, w.db); after != before {
				t.Errorf("refused mutation changed the orders")
			}
		})
	}

	// The missing-fields error lists them for programs too.
	w.api.t, w.api.viewer = t, noAccount
	e := w.fails(createOrder, info(nil), "BAD_USER_INPUT")
	if diff := cmp.Diff([]any{"company", "customerAccount", "priceList", "currency", "shipToCountry"}, e.Extensions["missingFields"]); diff != "" {
		t.Errorf("missingFields (-want +got):\n%s", diff)
	}

	// And the one refusal that is not one: deleting a draft.
	w.api.viewer = w.alice
	w.ok(deleteDraftOrder, map[string]any{"id": draft.ID}, nil)
	var gone struct{ Order *salesOrder }
	w.ok(orderQuery, map[string]any{"id": draft.ID}, &gone)
	if gone.Order != nil {
		t.Errorf("deleted draft still readable")
	}

	// Near the limits, what is valid is accepted: a date two years ahead,
	// and a whole quantity written with as many trailing zeros as a
	// Decimal may have, in a unit without decimals.
	limit := w.as(w.alice, createOrder, info(map[string]any{"requestedReceiptDate": time.Now().UTC().AddDate(2, 0, 0).Format(time.DateOnly)}))
	limit = w.as(w.alice, addOrderLine, addLine(limit.ID, line(p1000, "1."+strings.Repeat("0", 38), "ea")))
	if len(limit.Lines) != 1 || limit.Lines[0].Quantity.String() != "1" || limit.Lines[0].Amount.String() != "429" {
		t.Errorf("line %+v", limit.Lines)
	}
}

// TestOrderCatalogPermissions: the wizard prices items from products and a
// price list, so a role that may order but not read products or price
// lists cannot add or change items.
func TestOrderCatalogPermissions(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// Buyers may place and change their own orders, nothing else.
	var role struct{ CreateWebRole struct{ ID string } }
	w.api.viewer = admin
	w.ok(`mutation { createWebRole(input: {name: "Buyers", description: "Orders only"}) { id } }`, nil, &role)
	buyers := role.CreateWebRole.ID
	savePermission := func(in map[string]any) string {
		t.Helper()
		var saved struct{ SaveTablePermission struct{ ID string } }
		w.api.viewer = admin
		w.ok(`mutation($in: TablePermissionInput!) { saveTablePermission(input: $in) { id } }`, map[string]any{"in": in}, &saved)
		return saved.SaveTablePermission.ID
	}
	own := savePermission(map[string]any{"name": "Buyers: own orders", "table": "sales_order", "scope": "CONTACT",
		"privileges": []string{"READ", "CREATE", "WRITE", "APPEND_TO"}, "roleIds": []string{buyers}})
	savePermission(map[string]any{"name": "Buyers: lines", "table": "sales_order_line", "scope": "PARENT",
		"privileges": []string{"READ", "CREATE", "WRITE", "DELETE", "APPEND"}, "roleIds": []string{buyers}, "parentId": own})
	contact, err := w.ids.CreateSeedContact(ctx, identity.SeedContact{Email: "buyer@forest.example", Password: "buyer-password",
		FirstName: "Bea", LastName: "Buyer", Company: "USMF", AccountNumber: "US-001"})
	if err != nil {
		t.Fatal(err)
	}
	w.ok(`mutation($c: ID!, $r: ID!) { assignWebRole(contactId: $c, roleId: $r) { id } }`, map[string]any{"c": contact.ID, "r": buyers}, nil)
	buyer := w.viewer("buyer@forest.example")
	p1000 := w.product("1000")

	forbidden := func(mutation string, vars map[string]any, table string) {
		t.Helper()
		before := orderSnapshot(t, w.db)
		w.api.viewer = buyer
		if e := w.fails(mutation, vars, "FORBIDDEN"); !strings.Contains(e.Message, table) {
			t.Errorf("message %q does not name %s", e.Message, table)
		}
		if orderSnapshot(t, w.db) != before {
			t.Errorf("refused mutation changed the orders")
		}
	}
	// Buyers read no accounts or contacts: they select only what they may.
	const (
		create = `mutation($in: OrderInformationInput!) { createOrder(input: $in) { id lines { id } } }`
		add    = `mutation($id: ID!, $in: OrderLineInput!) { addOrderLine(orderId: $id, input: $in) { id lines { id } } }`
		update = `mutation($id: ID!, $in: OrderLineInput!) { updateOrderLine(lineId: $id, input: $in) { id lines { id } } }`
	)
	// Buyers may not read the account's delivery addresses either, so
	// none is picked for them: they give one.
	w.api.viewer = buyer
	w.fails(create, map[string]any{"in": map[string]any{"requestedReceiptDate": tomorrow()}}, "BAD_USER_INPUT")
	o := w.as(buyer, create, map[string]any{"in": map[string]any{"requestedReceiptDate": tomorrow(),
		"deliveryAddress": map[string]any{"description": "Dock 4", "street": "4 Pier Rd", "city": "Seattle", "postalCode": "98101", "countryCode": "US"}}})
	// Products are everyone's to read, price lists are not.
	forbidden(add, map[string]any{"id": o.ID, "in": line(p1000, "1", "ea")}, "price_list")
	savePermission(map[string]any{"name": "Buyers: price lists", "table": "price_list", "scope": "GLOBAL",
		"privileges": []string{"READ"}, "roleIds": []string{buyers}})
	o = w.as(buyer, add, map[string]any{"id": o.ID, "in": line(p1000, "1", "ea")})

	// Without product read (the public catalog withdrawn from signed-in
	// contacts), items can be neither added nor changed; authorized users
	// keep theirs.
	var perms struct {
		TablePermissions []struct {
			ID, Name, Table, Scope string
			Privileges             []string
			Roles                  []struct{ ID, Name string }
		}
	}
	w.api.viewer = admin
	w.ok(`{ tablePermissions { id name table scope privileges roles { id name } } }`, nil, &perms)
	for _, p := range perms.TablePermissions {
		if p.Name != "Everyone: product catalog" {
			continue
		}
		var anonymous []string
		for _, r := range p.Roles {
			if r.Name == "Anonymous users" {
				anonymous = append(anonymous, r.ID)
			}
		}
		if len(anonymous) != 1 {
			t.Fatalf("roles of %s: %+v", p.Name, p.Roles)
		}
		savePermission(map[string]any{"id": p.ID, "name": p.Name, "table": p.Table, "scope": p.Scope, "privileges": p.Privileges, "roleIds": anonymous})
	}
	forbidden(add, map[string]any{"id": o.ID, "in": line(p1000, "1", "ea")}, "product")
	forbidden(update, map[string]any{"id": o.Lines[0].ID, "in": line(p1000, "2", "ea")}, "product")
	alices := w.draft(w.alice)
	if got := w.as(w.alice, addOrderLine, map[string]any{"id": alices.ID, "in": line(p1000, "1", "ea")}); len(got.Lines) != 1 {
		t.Errorf("alice's lines %+v", got.Lines)
	}
}

// TestSubmitConcurrently: 50 sessions submit one draft at once. One
// submission happens; every caller gets the same submitted order.
func TestSubmitConcurrently(t *testing.T) {
	w := newWorld(t)
	o := w.draft(w.alice)
	for _, p := range []string{"1000", "1001", "1002"} {
		o = w.as(w.alice, addOrderLine, map[string]any{"id": o.ID, "in": line(w.product(p), "2", "ea")})
	}
	w.api.viewer = w.alice
	const n = 50
	answers := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := w.do(submitOrder, map[string]any{"id": o.ID})
			if len(r.Errors) > 0 {
				answers[i] = "error: " + r.Errors[0].Message
				return
			}
			answers[i] = string(r.Data)
		}()
	}
	wg.Wait()
	for i := range answers {
		if answers[i] != answers[0] {
			t.Fatalf("answer %d differs:\n%s\nvs\n%s", i, answers[i], answers[0])
		}
	}
	if !strings.Contains(answers[0], `"status":"SUBMITTED"`) {
		t.Fatalf("answer: %s", answers[0])
	}
	var events int
	w.db.NewRaw("SELECT count(*) FROM outbox_event WHERE aggregate_id = ? AND type = 'salesorder.submitted'", o.ID).Scan(context.Background(), &events)
	if events != 1 {
		t.Errorf("%d outbox events, want 1", events)
	}
}

// TestEditsRacingSubmit: lines added and changed while the order is
// submitted either land before the submission (and are in it and in its
// outbox event) or are refused; the total always matches the lines.
func TestEditsRacingSubmit(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	o := w.draft(w.alice)
	o = w.as(w.alice, addOrderLine, map[string]any{"id": o.ID, "in": line(w.product("1000"), "1", "ea")})
	receiver, wire := w.product("1000"), w.product("1038")
	w.api.viewer = w.alice
	var added, refused atomic.Int32
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r response
			switch {
			case i == 15:
				r = w.do(submitOrder, map[string]any{"id": o.ID})
				if len(r.Errors) > 0 {
					t.Errorf("submit: %+v", r.Errors)
				}
				return
			case i%3 == 0:
				r = w.do(updateOrderLine, map[string]any{"id": o.Lines[0].ID, "in": line(receiver, "7", "ea")})
			default:
				r = w.do(addOrderLine, map[string]any{"id": o.ID, "in": line(wire, "1.5", "m")})
			}
			switch {
			case len(r.Errors) == 0:
				added.Add(1)
			case r.Errors[0].Extensions["code"] == "CONFLICT":
				refused.Add(1)
			default:
				t.Errorf("unexpected error %+v", r.Errors)
			}
		}()
	}
	wg.Wait()
	var check struct {
		Status     string
		Total, Sum decimal.Decimal
		Lines      int
		EventLines int
		EventTotal decimal.Decimal
	}
	err := w.db.NewRaw(`SELECT o.status, o.total_amount AS total,
			(SELECT sum(amount) FROM sales_order_line WHERE sales_order_id = o.id) AS sum,
			(SELECT count(*) FROM sales_order_line WHERE sales_order_id = o.id) AS lines,
			(SELECT jsonb_array_length(payload->'lines') FROM outbox_event WHERE aggregate_id = o.id) AS event_lines,
			(SELECT (payload->>'totalAmount')::numeric FROM outbox_event WHERE aggregate_id = o.id) AS event_total
		FROM sales_order o WHERE o.id = ?`, o.ID).Scan(ctx, &check)
	if err != nil {
		t.Fatal(err)
	}
	if check.Status != "SUBMITTED" || !check.Total.Equal(check.Sum) || check.Lines != check.EventLines || !check.Total.Equal(check.EventTotal) {
		t.Errorf("after the race: %+v", check)
	}
	if added.Load()+refused.Load() != 29 {
		t.Errorf("%d added + %d refused, want 29", added.Load(), refused.Load())
	}
	t.Logf("%d edits before the submission, %d refused after it", added.Load(), refused.Load())
}

// TestOrdersList: scoping by role, filters, newest first, keyset pages.
func TestOrdersList(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	p := w.product("1000")
	place := func(v *portal.Viewer, submit bool) salesOrder {
		o := w.draft(v)
		o = w.as(v, addOrderLine, map[string]any{"id": o.ID, "in": line(p, "1", "ea")})
		if submit {
			o = w.as(v, submitOrder, map[string]any{"id": o.ID})
		}
		return o
	}
	// The days the orders are submitted on: usually today, but the test
	// may run across midnight (UTC).
	firstDay := time.Now().UTC().Format(time.DateOnly)
	a1, a2, a3 := place(w.alice, true), place(w.alice, false), place(w.alice, true)
	b1 := place(w.bob, true)
	c1 := place(w.carla, true)
	// a1 was submitted long ago.
	w.db.ExecContext(ctx, "UPDATE sales_order SET submitted_at = '2026-01-15 12:00:00+00' WHERE id = ?", a1.ID)

	const list = `query($first: Int, $after: String, $filter: OrderFilter) { orders(first: $first, after: $after, filter: $filter) {
		totalCount pageInfo { hasNextPage endCursor } edges { cursor node { number contactPerson { email } } } } }`
	type page struct {
		Orders struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage bool
				EndCursor   *string
			}
			Edges []struct {
				Cursor string
				Node   struct {
					Number        string
					ContactPerson struct{ Email string }
				}
			}
		}
	}
	numbers := func(p page) []string {
		out := []string{}
		for _, e := range p.Orders.Edges {
			out = append(out, e.Node.Number)
		}
		return out
	}
	lastDay := time.Now().UTC().Format(time.DateOnly)
	tests := []struct {
		name   string
		viewer *portal.Viewer
		filter map[string]any
		want   []string
	}{
		{"authorized user: own orders, newest first", w.alice, nil, []string{a3.Number, a2.Number, a1.Number}},
		{"colleague: own only", w.bob, nil, []string{b1.Number}},
		{"representative: the account's", w.rep, nil, []string{b1.Number, a3.Number, a2.Number, a1.Number}},
		{"administrator: all", w.admin, nil, []string{c1.Number, b1.Number, a3.Number, a2.Number, a1.Number}},
		{"status", w.rep, map[string]any{"status": []string{"DRAFT"}}, []string{a2.Number}},
		{"contact", w.rep, map[string]any{"contactId": w.bob.ContactID}, []string{b1.Number}},
		{"another contact's, out of scope", w.bob, map[string]any{"contactId": w.alice.ContactID}, []string{}},
		{"submitted today", w.rep, map[string]any{"submittedFrom": firstDay, "submittedTo": lastDay}, []string{b1.Number, a3.Number}},
		{"submitted up to the last day there is", w.rep, map[string]any{"submittedTo": "9999-12-31"}, []string{b1.Number, a3.Number, a1.Number}},
		{"submitted since the first day there is", w.rep, map[string]any{"submittedFrom": "0001-01-01"}, []string{b1.Number, a3.Number, a1.Number}},
		{"submitted in January", w.alice, map[string]any{"submittedFrom": "2026-01-15", "submittedTo": "2026-01-15"}, []string{a1.Number}},
		{"anonymous: nothing", nil, nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.api.t, w.api.viewer = t, tt.viewer
			var got page
			w.ok(list, map[string]any{"filter": tt.filter}, &got)
			if diff := cmp.Diff(tt.want, numbers(got)); diff != "" {
				t.Errorf("orders (-want +got):\n%s", diff)
			}
			if got.Orders.TotalCount != len(tt.want) {
				t.Errorf("totalCount %d, want %d", got.Orders.TotalCount, len(tt.want))
			}
		})
	}
	w.api.t = t

	// Pages of two, following endCursor, give every order once, in order;
	// each edge's cursor continues after its order.
	w.api.viewer = w.admin
	var all []string
	var after any
	for range 10 {
		var got page
		w.ok(list, map[string]any{"first": 2, "after": after}, &got)
		all = append(all, numbers(got)...)
		if got.Orders.TotalCount != 5 {
			t.Errorf("totalCount %d on a page", got.Orders.TotalCount)
		}
		edges := got.Orders.Edges
		if n := len(edges); got.Orders.PageInfo.EndCursor == nil || edges[n-1].Cursor != *got.Orders.PageInfo.EndCursor {
			t.Errorf("the last edge's cursor %q is not endCursor %v", edges[n-1].Cursor, got.Orders.PageInfo.EndCursor)
		}
		var next page
		w.ok(list, map[string]any{"first": 1, "after": edges[0].Cursor}, &next)
		if want := numbers(got)[1:]; len(want) > 0 && (len(next.Orders.Edges) != 1 || numbers(next)[0] != want[0]) {
			t.Errorf("after the first edge's cursor: %v, want %s", numbers(next), want[0])
		}
		if !got.Orders.PageInfo.HasNextPage {
			break
		}
		after = *got.Orders.PageInfo.EndCursor
	}
	if diff := cmp.Diff([]string{c1.Number, b1.Number, a3.Number, a2.Number, a1.Number}, all); diff != "" {
		t.Errorf("paged (-want +got):\n%s", diff)
	}

	// Bad arguments are bad input.
	for _, tt := range []struct {
		name  string
		vars  map[string]any
		field string
	}{
		{"cursor", map[string]any{"after": "garbage"}, "after"},
		{"page size", map[string]any{"first": 1000}, "first"},
		{"contact id", map[string]any{"filter": map[string]any{"contactId": "bob"}}, "filter.contactId"},
		{"date range", map[string]any{"filter": map[string]any{"submittedFrom": "2026-02-01", "submittedTo": "2026-01-01"}}, "filter.submittedTo"},
		// Days PostgreSQL cannot hold (the Date scalar refuses them first,
		// naming no field; package orders checks them too).
		{"submittedFrom in year 0", map[string]any{"filter": map[string]any{"submittedFrom": "0000-12-31"}}, ""},
		{"submittedTo in year 0", map[string]any{"filter": map[string]any{"submittedTo": "0000-12-31"}}, ""},
		// Cursors a client made up, with times PostgreSQL cannot hold.
		{"cursor in year 0", map[string]any{"after": forgedCursor(`"0000-06-01T00:00:00Z"`)}, "after"},
		{"cursor after year 9999", map[string]any{"after": forgedCursor(`"9999-12-31T23:00:00-05:00"`)}, "after"},
		{"cursor before year 1", map[string]any{"after": forgedCursor(`"0001-01-01T00:00:00+01:00"`)}, "after"},
	} {
		t.Run("bad "+tt.name, func(t *testing.T) {
			w.api.t = t
			if e := w.fails(list, tt.vars, "BAD_USER_INPUT"); tt.field != "" && e.Extensions["field"] != tt.field {
				t.Errorf("field %v, want %s", e.Extensions["field"], tt.field)
			}
		})
	}
}

// forgedCursor is an orders cursor (created at, id) with the given JSON
// time, as a client could make one up.
func forgedCursor(jsonTime string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(`[` + jsonTime + `,"00000000-0000-0000-0000-000000000000"]`))
}

// queryCounter counts the SQL statements a request sends (every one the
// driver sees: through bun or with bound parameters, BEGIN and COMMIT too)
// and, when record is set, keeps them to show in a failure.
type queryCounter struct {
	n       atomic.Int64
	record  atomic.Bool
	mu      sync.Mutex
	queries []string
}

func (c *queryCounter) Statement(sql string) {
	c.n.Add(1)
	if c.record.Load() {
		c.mu.Lock()
		c.queries = append(c.queries, sql)
		c.mu.Unlock()
	}
}

// placeOrders makes n submitted orders of three lines for v.
func (w *orderWorld) placeOrders(v *portal.Viewer, n int) {
	w.t.Helper()
	for range n {
		o := w.draft(v)
		for _, p := range []string{"1000", "1038", "1044"} {
			unit := map[string]string{"1000": "ea", "1038": "m", "1044": "kg"}[p]
			w.as(v, addOrderLine, map[string]any{"id": o.ID, "in": line(w.product(p), "2", unit)})
		}
		w.as(v, submitOrder, map[string]any{"id": o.ID})
	}
}

const orderPage = `query($first: Int) { orders(first: $first) { totalCount edges { node {
	number status company { code } customerAccount { accountNumber } invoiceAccount { accountNumber }
	contactPerson { email } priceList { code } totalAmount
	lines { lineNumber quantity unit amount product { number name company { code } } } } } } }`

// TestOrdersPageQueryCount: a page of orders with their lines, products and
// contacts costs the same number of queries for 5 orders as for 20.
func TestOrdersPageQueryCount(t *testing.T) {
	w := newWorld(t)
	w.placeOrders(w.alice, 12)
	w.placeOrders(w.bob, 12)
	counter := w.queries
	counter.record.Store(true)
	w.api.viewer = w.rep
	count := func(first int) int64 {
		counter.n.Store(0)
		counter.queries = nil
		var got struct {
			Orders struct {
				Edges []struct {
					Node struct {
						Lines []struct{ Product struct{ Number string } }
					}
				}
			}
		}
		w.ok(orderPage, map[string]any{"first": first}, &got)
		if len(got.Orders.Edges) != first || len(got.Orders.Edges[first-1].Node.Lines) != 3 {
			t.Fatalf("page of %d: %+v", first, got)
		}
		return counter.n.Load()
	}
	for _, first := range []int{1, 5, 20} {
		// totalCount (asked for), the page with its lines, then one each
		// for companies (the orders' and the products'), accounts
		// (customer and invoice), contacts and price lists; and the
		// products, unless they are in memory (catalog.ProductCache) since
		// the orders were placed.
		if n := count(first); n != 6 && n != 7 {
			t.Errorf("a page of %d orders took %d queries, want 6 (7 reading the products):\n%s", first, n, strings.Join(counter.queries, "\n"))
		}
	}
}

// TestOrdersPageLinesPermission: a page of orders read with its lines (one
// statement) shows the lines of an order only where the viewer's line
// READ scope reaches that order, as a separate read of the lines did:
// with the representative's lines permission gone, bob, who is also made
// a representative, lists his account's orders with lines of his own
// orders only, and a plain representative lists them all without lines.
func TestOrdersPageLinesPermission(t *testing.T) {
	w := newWorld(t)
	w.placeOrders(w.alice, 2)
	w.placeOrders(w.bob, 2)
	w.api.viewer = w.admin
	w.ok(`mutation($id: ID!) { deleteTablePermission(id: $id) }`,
		map[string]any{"id": w.id("SELECT id FROM table_permission WHERE name = 'Customer representative: lines of account orders'")}, nil)
	w.ok(`mutation($c: ID!, $r: ID!) { assignWebRole(contactId: $c, roleId: $r) { id } }`,
		map[string]any{"c": w.bob.ContactID, "r": w.id("SELECT id FROM web_role WHERE key = 'customer_representative'")}, nil)
	bob, rep := w.viewer("bob@forest.example"), w.viewer("rep@forest.example")
	for _, c := range []struct {
		name   string
		viewer *portal.Viewer
		lines  map[string]int // lines by contact email
	}{
		{"own orders' lines only", bob, map[string]int{"alice@forest.example": 0, "bob@forest.example": 3}},
		{"no lines at all", rep, map[string]int{"alice@forest.example": 0, "bob@forest.example": 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w.api.viewer = c.viewer
			var got struct {
				Orders struct {
					PageInfo struct{ HasNextPage bool }
					Edges    []struct {
						Node struct {
							ContactPerson struct{ Email string }
							Lines         []struct{ LineNumber int }
						}
					}
				}
			}
			w.ok(`{ orders(first: 3) { pageInfo { hasNextPage } edges { node { contactPerson { email } lines { lineNumber } } } } }`, nil, &got)
			if len(got.Orders.Edges) != 3 || !got.Orders.PageInfo.HasNextPage {
				t.Fatalf("%d orders (more: %v), want 3 of 4", len(got.Orders.Edges), got.Orders.PageInfo.HasNextPage)
			}
			seen := map[string]bool{}
			for _, e := range got.Orders.Edges {
				email := e.Node.ContactPerson.Email
				seen[email] = true
				if want, ok := c.lines[email]; !ok || len(e.Node.Lines) != want {
					t.Errorf("an order of %s shows %d lines, want %d", email, len(e.Node.Lines), want)
				}
			}
			if len(seen) != 2 {
				t.Errorf("the page has orders of %v, want alice's and bob's", seen)
			}
		})
	}
}
