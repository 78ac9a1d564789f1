package policies_test

import (
	"testing"

	"github.com/openportal/portal/policies"
)

// BenchmarkScope is the cost of a permission check: in memory, no database
// round trip (a representative's order lines: PARENT over ACCOUNT).
func BenchmarkScope(b *testing.B) {
	e := newEnvB(b)
	ctx := e.w.Ctx(b, "rep")
	b.ResetTimer()
	for b.Loop() {
		if e.policy.ReadScope(ctx, policies.TableSalesOrderLine).None() {
			b.Fatal("rep reads no lines")
		}
	}
}

// BenchmarkScopeOrders is a check without a parent: a representative's
// orders (ACCOUNT), the scope every order list asks for.
func BenchmarkScopeOrders(b *testing.B) {
	e := newEnvB(b)
	ctx := e.w.Ctx(b, "rep")
	b.ResetTimer()
	for b.Loop() {
		if e.policy.ReadScope(ctx, policies.TableSalesOrder).None() {
			b.Fatal("rep reads no orders")
		}
	}
}
