package dualwrite_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// TestOperations: an administrator sees a refused event with the ERP's
// answer and the order FAILED, replays it once the ERP is fixed, and the
// order becomes SYNCED; nobody else sees the sync.
func TestOperations(t *testing.T) {
	e := newEnv(t)
	var refuse atomic.Bool
	refuse.Store(true)
	e.erp.Fault = func(string, int) int {
		if refuse.Load() {
			return http.StatusUnprocessableEntity
		}
		return 0
	}
	e.erp.PortalURL = ""
	e.worker(fastConfig(e.erpSrv.URL))
	o := e.submit(e.as(customer))
	admin := e.client()
	admin.signIn("admin@portal.example", "demo-admin-pass")
	alice := e.client()
	alice.signIn(customer, customerPassword)

	type event struct {
		ID, Type, AggregateID, State string
		Attempts                     int
		LastStatus                   *int
		LastAnswer                   *string
		NextAttemptAt                *string
		Data                         string
	}
	var list struct {
		ErpEvents struct {
			TotalCount int
			Edges      []struct{ Node event }
		}
	}
	const q = `query($s: ErpEventState) { erpEvents(state: $s) { totalCount edges { node {
		id type aggregateId state attempts lastStatus lastAnswer nextAttemptAt data } } } }`
	waitFor(t, 10*time.Second, "the event dead", func() bool {
		if errs := admin.do(q, map[string]any{"s": "DEAD"}, &list); len(errs) > 0 {
			t.Fatal(errs)
		}
		return list.ErpEvents.TotalCount == 1
	})
	ev := list.ErpEvents.Edges[0].Node
	if ev.AggregateID != o.ID || ev.Type != "salesorder.submitted" || ev.Attempts != 1 || ev.LastStatus == nil || *ev.LastStatus != 422 ||
		ev.LastAnswer == nil || *ev.LastAnswer == "" || ev.NextAttemptAt != nil || ev.Data == "" {
		t.Errorf("dead event as the administrator sees it: %+v", ev)
	}
	var order struct{ Order struct{ SyncState string } }
	alice.do(`query($id: ID!) { order(id: $id) { syncState } }`, map[string]any{"id": o.ID}, &order)
	if order.Order.SyncState != "FAILED" {
		t.Errorf("order syncState %s, want FAILED", order.Order.SyncState)
	}
	if errs := alice.do(q, nil, nil); len(errs) == 0 || errs[0]["extensions"].(map[string]any)["code"] != "FORBIDDEN" {
		t.Errorf("a customer listing ERP events: %v", errs)
	}
	if errs := alice.do(`mutation($id: ID!) { replayErpEvent(id: $id) { state } }`, map[string]any{"id": ev.ID}, nil); len(errs) == 0 {
		t.Error("a customer replayed an event")
	}

	refuse.Store(false)
	var replayed struct{ ReplayErpEvent event }
	if errs := admin.do(`mutation($id: ID!) { replayErpEvent(id: $id) { state attempts } }`, map[string]any{"id": ev.ID}, &replayed); len(errs) > 0 {
		t.Fatal(errs)
	}
	if replayed.ReplayErpEvent.State != "PENDING" || replayed.ReplayErpEvent.Attempts != 0 {
		t.Errorf("replayed: %+v", replayed.ReplayErpEvent)
	}
	waitFor(t, 10*time.Second, "the order SYNCED", func() bool {
		alice.do(`query($id: ID!) { order(id: $id) { syncState } }`, map[string]any{"id": o.ID}, &order)
		return order.Order.SyncState == "SYNCED"
	})
	errs := admin.do(`mutation($id: ID!) { replayErpEvent(id: $id) { state } }`, map[string]any{"id": ev.ID}, nil)
	if len(errs) == 0 || errs[0]["extensions"].(map[string]any)["code"] != "CONFLICT" {
		t.Errorf("replaying a delivered event: %v", errs)
	}
	e.checkExactlyOnce(t, []string{ev.ID}, nil)
}
