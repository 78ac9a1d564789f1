package dualwrite_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestHappyPath: submit → the ERP receives one signed event → the order is
// SYNCED with the ERP's number → the ERP reports its statuses → the
// customer sees DELIVERED (then INVOICED) through GraphQL.
func TestHappyPath(t *testing.T) {
	e := newEnv(t)
	e.worker(fastConfig(e.erpSrv.URL))
	alice := e.client()
	alice.signIn(customer, customerPassword)
	o := e.submit(e.as(customer))
	id := e.eventOf(o.ID)

	var got struct {
		Order struct {
			Status         string
			SyncState      string
			ErpOrderNumber *string
		}
	}
	seen := map[string]bool{}
	waitFor(t, 15*time.Second, "order INVOICED as the customer sees it", func() bool {
		if errs := alice.do(`query($id: ID!) { order(id: $id) { status syncState erpOrderNumber } }`, map[string]any{"id": o.ID}, &got); len(errs) > 0 {
			t.Fatalf("order: %v", errs)
		}
		seen[got.Order.Status] = true
		return got.Order.Status == "INVOICED"
	})
	if !seen["DELIVERED"] && !seen["INVOICED"] {
		t.Errorf("statuses seen %v", seen)
	}
	if got.Order.SyncState != "SYNCED" || got.Order.ErpOrderNumber == nil || !strings.HasPrefix(*got.Order.ErpOrderNumber, "ERP-") {
		t.Errorf("order after sync: %+v", got.Order)
	}
	e.checkExactlyOnce(t, []string{id}, func(string) int { return 1 })

	// Metrics: the delivery and the inbound requests are counted.
	res, err := http.Get(e.portal.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{
		`portal_http_requests_total{method="POST",route="/erp/events",status="200"} 4`,
		`portal_graphql_operations_total{code="",operation="",type="query"}`,
		`portal_erp_events{state="PENDING"} 0`,
		`go_sql_open_connections{db_name="portal"}`, `portal_river_pool_connections{state="max"}`, `portal_erp_events_delivered_total{type="salesorder.submitted"} 1`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
