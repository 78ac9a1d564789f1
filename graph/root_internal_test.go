package graph

import "testing"

// TestRootResolversMadeOnce: the resolvers of the types a page of orders
// repeats come from the root without an allocation per field, and are r's
// own.
func TestRootResolversMadeOnce(t *testing.T) {
	r := newRoot(&Resolver{})
	for name, get := range map[string]func() any{
		"SalesOrder":     func() any { return r.SalesOrder() },
		"SalesOrderLine": func() any { return r.SalesOrderLine() },
		"Product":        func() any { return r.Product() },
		"Query":          func() any { return r.Query() },
	} {
		t.Run(name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, func() { _ = get() }); n != 0 {
				t.Errorf("%v allocations per call, want 0", n)
			}
		})
	}
	if got := r.SalesOrderLine().(*salesOrderLineResolver).Resolver; got != r.Resolver {
		t.Errorf("the line resolver's Resolver is %p, want the root's %p", got, r.Resolver)
	}
}
