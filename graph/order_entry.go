package graph

import (
	"context"

	"github.com/openportal/portal/orders"
)

// orderAnswer is ctx for an order mutation whose answer (one SalesOrder)
// may not show the order's lines: then the mutation's transaction need not
// read them (orders.WithoutLines). When the lines are selected they are
// read in the same transaction as the change, one snapshot.
func orderAnswer(ctx context.Context) context.Context {
	if selectedHere(ctx, "SalesOrder").has("lines") {
		return ctx
	}
	return orders.WithoutLines(ctx)
}
