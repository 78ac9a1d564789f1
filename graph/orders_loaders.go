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
	if err := r.prefetchOrders(ctx, []*orders.Order{o}, orderSelectionAt(selectedHere(ctx, "SalesOrder"))); err != nil {
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

// orderSelectionAt is the selection of the orders whose fields are at, read
// once for the resolver and its prefetch.
func orderSelectionAt(at selection) orderSelection {
	s := orderSelection{order: at.names()}
	if s.order["lines"] {
		lines := at.below("lines", "SalesOrderLine")
		s.line = lines.names()
		if s.line["product"] {
			s.product = lines.below("product", "Product").names()
		}
	}
	return s
}

// selection is the fields the query selects at one place below the
// current field. A resolver descends it a field at a time (below), so
// reading several levels walks the query once.
type selection struct {
	oc     *graphql.OperationContext
	fields []graphql.CollectedField
}

// selectedHere is the selection of the current field, whose type is typ.
// Fragments on typ are followed, here and below.
func selectedHere(ctx context.Context, typ string) selection {
	return selection{graphql.GetOperationContext(ctx), graphql.CollectFieldsCtx(ctx, []string{typ})}
}

// below is the selection under the fields named name, of type typ.
func (s selection) below(name, typ string) selection {
	var next []graphql.CollectedField
	for _, f := range s.fields {
		if f.Name == name {
			next = append(next, graphql.CollectFields(s.oc, f.Selections, []string{typ})...)
		}
	}
	return selection{s.oc, next}
}

// has reports whether the selection has a field named name.
func (s selection) has(name string) bool {
	for _, f := range s.fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// names is the set of the selection's field names.
func (s selection) names() map[string]bool {
	out := make(map[string]bool, len(s.fields))
	for _, f := range s.fields {
		out[f.Name] = true
	}
	return out
}
