package dualwrite_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/openportal/portal/identity"
)

// TestContactBeforeItsFirstOrder: a contact created and its first order
// submitted at once reach the ERP in that order, even when the contact's
// event fails first (without the ordering, the order would overtake it).
// And the events of one contact keep their order.
func TestContactBeforeItsFirstOrder(t *testing.T) {
	e := newEnv(t)
	c, err := e.ids.CreateContact(e.admin, identity.ContactInput{FirstName: "Nina", LastName: "New", Email: "nina@forest.example",
		Company: "USMF", AccountNumber: "US-001"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.roles.Assign(e.admin, e.db, c.ID, "authorized_user"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ids.UpdateContact(e.admin, c.ID, identity.ContactInput{FirstName: "Nina", LastName: "Newer", Email: "nina@forest.example",
		Company: "USMF", AccountNumber: "US-001"}); err != nil {
		t.Fatal(err)
	}
	o := e.submit(e.as("nina@forest.example"))
	var contactEvents []string
	if err := e.db.NewRaw("SELECT id FROM outbox_event WHERE aggregate_id = ? ORDER BY seq", c.ID).Scan(e.admin, &contactEvents); err != nil || len(contactEvents) != 2 {
		t.Fatalf("contact events %v %v", contactEvents, err)
	}
	orderEvent := e.eventOf(o.ID)
	// The contact's first event fails twice.
	e.erp.Fault = func(key string, attempt int) int {
		if key == contactEvents[0] && attempt <= 2 {
			return http.StatusServiceUnavailable
		}
		return 0
	}
	e.erp.PortalURL = "" // statuses are not the point here
	e.worker(fastConfig(e.erpSrv.URL))
	waitFor(t, 15*time.Second, "all delivered", func() bool { return e.undelivered() == 0 })
	applied := e.erp.Applied()
	i0, i1, io := slices.Index(applied, contactEvents[0]), slices.Index(applied, contactEvents[1]), slices.Index(applied, orderEvent)
	if !(i0 >= 0 && i0 < i1 && i1 < io) {
		t.Errorf("ERP applied contact %d, contact change %d, order %d; want in that order (%v)", i0, i1, io, applied)
	}
	var state string
	e.db.NewRaw("SELECT sync_state FROM contact WHERE id = ?", c.ID).Scan(e.admin, &state)
	if state != "SYNCED" {
		t.Errorf("contact sync state %s", state)
	}
	got, err := e.orders.Order(e.as("nina@forest.example"), o.ID)
	if err != nil || got.SyncState != "SYNCED" || got.ErpOrderNumber == nil {
		t.Errorf("order %+v %v", got, err)
	}
}
