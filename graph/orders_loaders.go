package graph

import (
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/orders"
)

// orderLoaders batch what a page of orders asks per row: each order's
// lines, and each line's product. With the shared loaders (companies,
// accounts, price lists, contacts) a page of orders with its lines and
// products costs a fixed number of queries however many rows it has.
type orderLoaders struct {
	lines   *dataloadgen.Loader[string, []*orders.Line]
	product *dataloadgen.Loader[string, *catalog.Product]
}

func (r *Resolver) newOrderLoaders() *orderLoaders {
	wait := dataloadgen.WithWait(time.Millisecond)
	return &orderLoaders{
		lines:   dataloadgen.NewLoader(batch(r.Orders.LinesByOrderIDs), wait),
		product: dataloadgen.NewLoader(batch(r.Catalog.ProductsByID), wait),
	}
}
