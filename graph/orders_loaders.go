package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vikstrous/dataloadgen"

	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/orders"
)

// orderLoaders batch what orders ask per row: each order's lines, and each
// line's product. With the shared loaders (companies, accounts, price
// lists, contacts) they keep a list of orders from costing queries per row.
type orderLoaders struct {
	r        *Resolver
	linesOf  lazy[[]*orders.Line]
	products lazy[*catalog.Product]
}

func (l *orderLoaders) lines() *dataloadgen.Loader[string, []*orders.Line] {
	return loaderOf(&l.linesOf, l.r.Orders, (*orders.Service).LinesByOrderIDs)
}

func (l *orderLoaders) product() *dataloadgen.Loader[string, *catalog.Product] {
	return loaderOf(&l.products, l.r.Catalog, (*catalog.Service).ProductsByID)
}

// pageNode is the path from a page of orders to its SalesOrder nodes, for
// selected and prefetchOrders.
var pageNode = []string{"SalesOrderConnection", "edges", "SalesOrderEdge", "node", "SalesOrder"}

// orderNode is the path from a field that answers one SalesOrder (order,
// the order mutations) to it.
var orderNode = []string{"SalesOrder"}

// prefetchOrders loads what a page of orders selects of every row (lines
// and their products, companies, accounts, contacts, price lists) with one
// call per kind, and primes the request's loaders with it. A loader alone
// batches only the rows that ask within its wait window; under load some
// rows ask later and make a second batch. Prefetching makes a page cost
// the same queries whatever its size and however goroutines are scheduled,
// and lets graph/generated marshal the page's lists without a goroutine per
// element (see generated/lists.go): nothing under them waits for a loader.
// Only what the query selects (sel) is fetched.
func (r *Resolver) prefetchOrders(ctx context.Context, page []*orders.Order, sel orderSelection) error {
	if len(page) == 0 {
		return nil
	}
	fields := sel.order
	l := r.loadersFor(ctx)
	// Only the selected fields' ids: a page's orders (orders.Page) have
	// only the columns its selection reads.
	var companies, accounts, contacts, priceLists []string
	for _, o := range page {
		if fields["company"] {
			companies = append(companies, o.LegalEntityID)
		}
		if fields["customerAccount"] {
			accounts = append(accounts, o.CustomerAccountID)
		}
		if fields["invoiceAccount"] {
			accounts = append(accounts, o.InvoiceAccountID)
		}
		if fields["contactPerson"] {
			contacts = append(contacts, o.ContactID)
		}
		if fields["priceList"] {
			priceLists = append(priceLists, o.PriceListID)
		}
	}
	if fields["lines"] {
		lineFields := sel.line
		var missing []*orders.Order
		for _, o := range page {
			if o.Lines == nil {
				missing = append(missing, o)
			}
		}
		if len(missing) > 0 {
			// The orders are read and checked already: their lines need
			// only their ids.
			lines, err := r.Orders.LinesOf(ctx, missing)
			if err != nil {
				return err
			}
			for i, o := range missing {
				// The orders are this request's own: the lines go straight
				// onto them, and the resolver skips the loader.
				o.Lines = lines[i]
				// Only lines read whole are primed: a page's (orders.Page)
				// have only the fields its selection reads, and must not
				// answer another field's lines.
				l.orders.lines().Prime(o.ID, o.Lines)
			}
		}
		var products []string
		for _, o := range page {
			for _, ln := range o.Lines {
				products = append(products, ln.ProductID)
			}
		}
		if lineFields["product"] {
			ps, err := prime(ctx, l.orders.product(), products, r.Catalog.ProductsByID)
			if err != nil {
				return err
			}
			// The products' company, when asked: one fetch with the orders'.
			if sel.product["company"] {
				for _, p := range ps {
					if p != nil {
						companies = append(companies, p.LegalEntityID)
					}
				}
			}
		}
	}
	if _, err := prime(ctx, l.legalEntity(), companies, r.Catalog.LegalEntitiesByID); err != nil {
		return err
	}
	if _, err := prime(ctx, l.customerAccount(), accounts, r.Catalog.CustomerAccountsByID); err != nil {
		return err
	}
	if _, err := prime(ctx, l.contact(), contacts, r.Identity.ContactsByID); err != nil {
		return err
	}
	if _, err := prime(ctx, l.priceList(), priceLists, r.Catalog.PriceListsByID); err != nil {
		return err
	}
	return nil
}

// prefetchOrder is prefetchOrders for a field that answers one order.
func (r *Resolver) prefetchOrder(ctx context.Context, o *orders.Order, err error) (*orders.Order, error) {
	if err != nil || o == nil {
		return o, err
	}
	if err := r.prefetchOrders(ctx, []*orders.Order{o}, selectionOf(ctx, orderNode...)); err != nil {
		return nil, err
	}
	return o, nil
}

// prime fetches the distinct ids in one call and puts the rows (nil for an
// unreadable one, as the loader would) into the loader's cache.
func prime[V any](ctx context.Context, l *dataloadgen.Loader[string, *V], ids []string,
	fetch func(context.Context, []string) ([]*V, error)) ([]*V, error) {
	seen := map[string]bool{}
	distinct := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			distinct = append(distinct, id)
		}
	}
	if len(distinct) == 0 {
		return nil, nil
	}
	rows, err := fetch(ctx, distinct)
	if err != nil {
		return nil, err
	}
	for i, id := range distinct {
		l.Prime(id, rows[i])
	}
	return rows, nil
}

// orderSelection is what a query selects of the orders a field answers,
// of their lines, and of the lines' products: the names of the fields.
type orderSelection struct {
	order, line, product map[string]bool
}

// selectionOf is the selection of the orders at node (pageNode or
// orderNode) from the current field, read once for the resolver and its
// prefetch.
func selectionOf(ctx context.Context, node ...string) orderSelection {
	s := orderSelection{order: selected(ctx, node[0], node[1:]...)}
	if s.order["lines"] {
		lines := append(node[1:len(node):len(node)], "lines", "SalesOrderLine")
		s.line = selected(ctx, node[0], lines...)
		if s.line["product"] {
			s.product = selected(ctx, node[0], append(lines, "product", "Product")...)
		}
	}
	return s
}

// selected returns the names of the fields the query selects below the
// current field, following a path of (field, type) pairs after the current
// field's own type, e.g. ("SalesOrderConnection", "edges", "SalesOrderEdge",
// "node", "SalesOrder"). Fragments on those types are followed.
func selected(ctx context.Context, typ string, path ...string) map[string]bool {
	fields := graphql.CollectFieldsCtx(ctx, []string{typ})
	oc := graphql.GetOperationContext(ctx)
	for i := 0; i+1 < len(path); i += 2 {
		var next []graphql.CollectedField
		for _, f := range fields {
			if f.Name == path[i] {
				next = append(next, graphql.CollectFields(oc, f.Selections, []string{path[i+1]})...)
			}
		}
		fields = next
	}
	out := map[string]bool{}
	for _, f := range fields {
		out[f.Name] = true
	}
	return out
}
