package graph

import "github.com/openportal/portal/graph/generated"

// root is the ResolverRoot the executable schema is given: r's, with the
// resolvers of the types a page of orders repeats made once. gqlgen asks
// the root for an object's resolver every time it resolves one of the
// object's fields, and the getters it writes (orders.resolvers.go, which
// go generate rewrites) allocate one each time: 80 of a page's 620
// allocations. The resolvers hold nothing but r.
type root struct {
	*Resolver
	salesOrder     generated.SalesOrderResolver
	salesOrderLine generated.SalesOrderLineResolver
	product        generated.ProductResolver
	query          generated.QueryResolver
}

func newRoot(r *Resolver) *root {
	return &root{Resolver: r, salesOrder: r.SalesOrder(), salesOrderLine: r.SalesOrderLine(),
		product: r.Product(), query: r.Query()}
}

func (r *root) SalesOrder() generated.SalesOrderResolver         { return r.salesOrder }
func (r *root) SalesOrderLine() generated.SalesOrderLineResolver { return r.salesOrderLine }
func (r *root) Product() generated.ProductResolver               { return r.product }
func (r *root) Query() generated.QueryResolver                   { return r.query }
