package orders

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/outbox"
	"github.com/openportal/portal/policies"
)

// PlaceInput is a whole order in one call: the order information (wizard
// step 1) and its items (step 2), to be submitted at once (step 3).
type PlaceInput struct {
	InformationInput
	// Lines are the items, numbered 1, 2, … in this order.
	Lines []LineInput
}

// MaxPlacedLines bounds the lines of an order placed in one call, so one
// request cannot hold a connection and its locks for long; more lines
// belong in several orders (or the wizard).
const MaxPlacedLines = 500

// Place is the wizard in one transaction, for API clients (a customer's
// procurement system placing its orders): it creates the order as Create
// does, prices each line as AddLine does and submits the order as Submit
// does, with the same permissions and errors, and records the
// salesorder.submitted outbox event. Nothing is stored unless all of it
// succeeds. A line's error names it: field "lines[i].quantity" (i counts
// from 0, as in the input).
//
// The contact is share-locked from the start, so the terms the order is
// priced on are still the contact's when it is submitted (what Submit's
// checkTerms makes sure of for a draft): no stale-terms conflict can arise.
// It is not idempotent: a retry after a lost answer places another order
// (customerRequisition lets the client recognise it).
// Returns EUNAUTHENTICATED/EFORBIDDEN when the viewer may not create
// orders (as Create) or may not add lines to or submit its orders, EINVALID
// naming the input field at fault or listing (Details["missingFields"])
// what the contact lacks to order.
func (s *Service) Place(ctx context.Context, in PlaceInput) (*Order, error) {
	if err := s.Policy.Require(ctx, policies.TableSalesOrder, policies.Create); err != nil {
		return nil, err
	}
	if err := checkAdminOnly(in.InformationInput, s.mayChooseHidden(ctx)); err != nil {
		return nil, err
	}
	switch {
	case len(in.Lines) == 0:
		return nil, portal.FieldErrorf("lines", "An order needs at least one line; give its items in lines.")
	case len(in.Lines) > MaxPlacedLines:
		return nil, portal.FieldErrorf("lines", "An order placed in one call has at most %d lines, not %d; split it into several orders.",
			MaxPlacedLines, len(in.Lines))
	}
	// Decided once for every line: the policy does not change within a
	// request.
	if err := s.requirePricing(ctx); err != nil {
		return nil, err
	}
	return db.TxValue(ctx, s.DB, func(ctx context.Context, tx bun.Tx) (*Order, error) {
		// The products' offers come with the contact (ids that are not
		// UUIDs name no product).
		products := make([]string, 0, len(in.Lines))
		for _, l := range in.Lines {
			if db.ValidID(l.ProductID) {
				products = append(products, db.CanonicalID(l.ProductID))
			}
		}
		o, c, err := s.newOrder(ctx, tx, in.InformationInput, products)
		if err != nil {
			return nil, err
		}
		if err := s.mayPlace(ctx, o, c.AccountNumber.String); err != nil {
			return nil, err
		}
		offers := c.Offers
		lines := make([]*Line, len(in.Lines))
		numbers := make(map[string]string, len(offers))
		for i, li := range in.Lines {
			of := offers[db.CanonicalID(li.ProductID)]
			l, err := priceOffer(o, li, of, decimal.Zero)
			if err != nil {
				return nil, lineError(i, err)
			}
			l.LineNumber = i + 1
			o.TotalAmount = o.TotalAmount.Add(l.Amount)
			numbers[l.ProductID] = of[0].Number
			lines[i] = l
		}
		o.NextLineNumber = len(lines) + 1
		o.Status, o.SyncState = Submitted, "PENDING"
		// The order's id is made here and it is submitted at the
		// transaction's now(), so its event is complete but for the number,
		// which the statement that takes it fills in. The event's delivery
		// is scheduled first, so that taking the number is the last
		// statement: only a failure past every check can waste a number.
		o.ID, o.SubmittedAt, o.Lines = uuid.NewString(), &c.Now, lines
		refs := &eventRefs{Company: c.CompanyCode.String, CustomerAccount: c.AccountNumber.String,
			InvoiceAccount: c.InvoiceAccountNumber.String, PriceList: c.PriceListCode.String,
			Contact: eventContact{ID: c.ID, Email: c.Email, FirstName: c.FirstName, LastName: c.LastName}}
		event, err := outbox.Reserve(ctx, tx, submittedEventOf(o, refs, numbers))
		if err != nil {
			return nil, err
		}
		placed, err := s.insertOrder(ctx, tx, o, lines, event)
		if err != nil {
			return nil, err
		}
		placed.Lines = lines
		// What Submit checks of a draft, on the order as stored; a refusal
		// rolls it back, event included.
		if err := s.checkComplete(placed); err != nil {
			return nil, err
		}
		return placed, nil
	})
}

// mayPlace checks on the order o about to be placed (for the customer
// account numbered account) what the wizard's later steps check on the
// draft: that the viewer may read it (addOrderLine and submitOrder find the
// draft by it), add lines to it (CREATE on sales_order_line, APPEND_TO on
// sales_order) and submit it (WRITE on sales_order).
func (s *Service) mayPlace(ctx context.Context, o *Order, account string) error {
	for _, need := range []struct {
		table string
		priv  policies.Privilege
	}{
		{policies.TableSalesOrder, policies.Read},
		{policies.TableSalesOrderLine, policies.Create},
		{policies.TableSalesOrder, policies.AppendTo},
		{policies.TableSalesOrder, policies.Write},
	} {
		scope := s.Policy.Scope(ctx, need.table, need.priv)
		ok := scope.Allows(o.owner())
		if need.table == policies.TableSalesOrderLine {
			ok = lineAllows(scope, o)
		}
		if !ok {
			return portal.Errorf(portal.EFORBIDDEN, "Your roles do not allow %s on %s for the orders of customer account %s, which placing an order needs (as createOrder, addOrderLine and submitOrder do); ask an administrator.",
				need.priv, need.table, account)
		}
	}
	return nil
}

// lineError is err, an error about one item, as the error about line i of
// the input: its field under lines[i], its message naming the line.
func lineError(i int, err error) error {
	var pe *portal.Error
	if !errors.As(err, &pe) {
		return err
	}
	out := *pe
	out.Message = fmt.Sprintf("lines[%d]: %s", i, pe.Message)
	if pe.Field != "" {
		out.Field = fmt.Sprintf("lines[%d].%s", i, pe.Field)
	} else {
		out.Field = fmt.Sprintf("lines[%d]", i)
	}
	return &out
}
