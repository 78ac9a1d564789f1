package graph_test

import "testing"

// BenchmarkCreateOrderSubmit is the wizard through GraphQL over HTTP on the
// demo data: createOrder, three addOrderLine, submitOrder (5 requests).
func BenchmarkCreateOrderSubmit(b *testing.B) {
	w := newWorld(b)
	products := []string{w.product("1000"), w.product("1038"), w.product("1044")}
	units := []string{"ea", "m", "kg"}
	b.ResetTimer()
	for b.Loop() {
		o := w.draft(w.alice)
		for i, p := range products {
			w.as(w.alice, addOrderLine, map[string]any{"id": o.ID, "in": line(p, "2", units[i])})
		}
		if got := w.as(w.alice, submitOrder, map[string]any{"id": o.ID}); got.Status != "SUBMITTED" {
			b.Fatalf("status %s", got.Status)
		}
	}
}

// BenchmarkOrdersPage reads a page of 20 orders with their lines, products,
// companies, accounts, contacts and price lists, as the customer
// representative of an account with 40 orders.
func BenchmarkOrdersPage(b *testing.B) {
	w := newWorld(b)
	w.placeOrders(w.alice, 20)
	w.placeOrders(w.bob, 20)
	w.api.viewer = w.rep
	b.ResetTimer()
	for b.Loop() {
		var got struct {
			Orders struct {
				Edges []struct{ Node struct{ Number string } }
			}
		}
		w.ok(orderPage, map[string]any{"first": 20}, &got)
		if len(got.Orders.Edges) != 20 {
			b.Fatalf("page of %d", len(got.Orders.Edges))
		}
	}
}
