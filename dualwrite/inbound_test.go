package dualwrite_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openportal/portal/dualwrite"
	"github.com/openportal/portal/dualwrite/erpsim"
)

// snapshot is everything an inbound event could change.
func (e *env) snapshot() string {
	var s string
	err := e.db.NewRaw(`SELECT concat_ws('|',
		(SELECT string_agg(concat_ws(',', number, status, sync_state, erp_order_number), ';' ORDER BY number) FROM sales_order),
		(SELECT string_agg(concat_ws(',', code, name), ';' ORDER BY code) FROM legal_entity),
		(SELECT string_agg(concat_ws(',', account_number, name, currency), ';' ORDER BY account_number) FROM customer_account),
		(SELECT string_agg(concat_ws(',', number, name), ';' ORDER BY number) FROM product),
		(SELECT count(*) FROM price), (SELECT count(*) FROM delivery_address),
		(SELECT count(*) FROM audit_log), (SELECT count(*) FROM inbox_event WHERE outcome = 'APPLIED'))`).Scan(context.Background(), &s)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// TestInbound: the ERP's events are applied once, through the same
// validation as the admin mutations, and nothing changes unless 200.
func TestInbound(t *testing.T) {
	e := newEnv(t)
	o := e.submit(e.as(customer))
	url := e.portal.URL + "/erp/events"
	envelope := func(id, typ string, data any) []byte {
		b, _ := json.Marshal(map[string]any{"id": id, "type": typ, "occurredAt": "2026-11-29T10:00:00Z", "data": data})
		return b
	}
	post := func(t *testing.T, body []byte, sign string) (int, string) {
		t.Helper()
		status, answer, err := erpsim.Post(context.Background(), url, sign, body)
		if err != nil {
			t.Fatal(err)
		}
		return status, answer
	}
	status := func(s string) map[string]any {
		return map[string]any{"company": "USMF", "number": o.Number, "status": s, "erpOrderNumber": "SO-777"}
	}
	confirmed := envelope(uuid.NewString(), dualwrite.SalesOrderStatus, status("CONFIRMED"))

	tests := []struct {
		name    string
		body    []byte
		secret  string
		want    int
		errHas  string // in {"error"} of a refusal
		changes bool
	}{
		{"bad signature", confirmed, "another secret", http.StatusUnauthorized, "X-Portal-Signature", false},
		{"malformed body", []byte(`{"id": "x", "type": `), secret, http.StatusBadRequest, "envelope", false},
		{"id not a UUID", envelope("42", dualwrite.SalesOrderStatus, status("CONFIRMED")), secret, http.StatusBadRequest, "UUID", false},
		{"unknown type", envelope(uuid.NewString(), "salesorder.deleted", map[string]any{}), secret, http.StatusBadRequest, "Unknown event type", false},
		{"unknown field", envelope(uuid.NewString(), dualwrite.SalesOrderStatus, map[string]any{"company": "USMF", "number": o.Number, "status": "CONFIRMED", "colour": "red"}), secret, http.StatusBadRequest, "colour", false},
		{"status forward", confirmed, secret, http.StatusOK, "", true},
		{"the same event again is applied once", confirmed, secret, http.StatusOK, "", false},
		{"status skipping ahead", envelope(uuid.NewString(), dualwrite.SalesOrderStatus, status("DELIVERED")), secret, http.StatusOK, "", true},
		{"status backward", envelope(uuid.NewString(), dualwrite.SalesOrderStatus, status("PICKED")), secret, http.StatusBadRequest, "only move forward", false},
		{"unknown order", envelope(uuid.NewString(), dualwrite.SalesOrderStatus, map[string]any{"company": "USMF", "number": "WEB-999999", "status": "PICKED"}), secret, http.StatusBadRequest, "does not exist", false},
		{"invalid company code", envelope(uuid.NewString(), dualwrite.LegalEntityUpserted, map[string]any{"code": "no spaces please", "name": "X"}), secret, http.StatusBadRequest, "Company code", false},
		{"company", envelope(uuid.NewString(), dualwrite.LegalEntityUpserted, map[string]any{"code": "GBSI", "name": "Contoso UK"}), secret, http.StatusOK, "", true},
		{"product with units", envelope(uuid.NewString(), dualwrite.ProductUpserted, map[string]any{"number": "P-9", "name": "Gizmo", "company": "GBSI", "units": []string{"ea"}, "defaultUnit": "ea"}), secret, http.StatusOK, "", true},
		{"price list with a price of an unknown product", envelope(uuid.NewString(), dualwrite.PriceListUpserted, map[string]any{"code": "GBP", "company": "GBSI", "currency": "GBP",
			"prices": []map[string]any{{"productNumber": "P-10", "unit": "ea", "unitPrice": "1.50"}}}), secret, http.StatusBadRequest, "P-10", false},
		{"price list", envelope(uuid.NewString(), dualwrite.PriceListUpserted, map[string]any{"code": "GBP", "company": "GBSI", "currency": "GBP",
			"prices": []map[string]any{{"productNumber": "P-9", "unit": "ea", "unitPrice": "1.50"}}}), secret, http.StatusOK, "", true},
		{"account with an invalid currency", envelope(uuid.NewString(), dualwrite.CustomerAccountUpserted, map[string]any{"accountNumber": "GB-1", "name": "Fabrikam UK",
			"company": "GBSI", "currency": "XXQ", "shipToCountry": "GB", "language": "en-GB"}), secret, http.StatusBadRequest, "currency", false},
		{"account with addresses", envelope(uuid.NewString(), dualwrite.CustomerAccountUpserted, map[string]any{"accountNumber": "GB-1", "name": "Fabrikam UK",
			"company": "GBSI", "currency": "GBP", "priceListCode": "GBP", "shipToCountry": "GB", "language": "en-GB",
			"deliveryAddresses": []map[string]any{{"description": "Main", "street": "1 High St", "city": "London", "postalCode": "EC1A 1AA", "countryCode": "GB"}}}), secret, http.StatusOK, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.snapshot()
			code, answer := post(t, tt.body, tt.secret)
			if code != tt.want {
				t.Fatalf("status %d (%s), want %d", code, answer, tt.want)
			}
			if tt.errHas != "" && !strings.Contains(answer, tt.errHas) {
				t.Errorf("answer %s lacks %q", answer, tt.errHas)
			}
			if changed := e.snapshot() != before; changed != tt.changes {
				t.Errorf("changed %v, want %v:\n%s\n%s", changed, tt.changes, before, e.snapshot())
			}
		})
	}

	got, err := e.orders.Order(e.as(customer), o.ID)
	if err != nil || got.Status != "DELIVERED" || got.ErpOrderNumber == nil || *got.ErpOrderNumber != "SO-777" {
		t.Errorf("order after the statuses: %+v %v", got, err)
	}
	// The refusal is recorded; the changes are audited under the ERP.
	var refused, audited int
	e.db.NewRaw("SELECT count(*) FROM inbox_event WHERE outcome = 'REFUSED' AND error LIKE '%only move forward%'").Scan(context.Background(), &refused)
	e.db.NewRaw("SELECT count(*) FROM audit_log WHERE actor_id = ? AND action LIKE 'erp.%'", dualwrite.ERPContactID).Scan(context.Background(), &audited)
	if refused != 1 || audited != 6 {
		t.Errorf("refused recorded %d (want 1), audited ERP changes %d (want 6)", refused, audited)
	}
	// A body over the limit is refused before it is read whole.
	big := make([]byte, dualwrite.MaxInboundBody+10)
	if code, _ := post(t, big, secret); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", code)
	}
}
