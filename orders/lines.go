package orders

import (
	"context"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/policies"
)

// Bounds of the numeric columns: quantity numeric(19,6) and amounts
// numeric(19,4). Anything at or above them is refused as bad input rather
// than failing in the database.
var (
	maxQuantity = decimal.New(1, 13)
	maxAmount   = decimal.New(1, 15)
)

// AddLine is wizard step 2: it adds an item to a draft, priced from the
// order's price list, with the next line number (numbers are never reused,
// so the others stay as they were).
// Returns ENOTFOUND when the viewer may not read the order, EFORBIDDEN when
// it may not add lines (CREATE on sales_order_line, APPEND_TO on the order),
// ECONFLICT when the order is no longer a draft, and EINVALID naming the
// input field at fault.
func (s *Service) AddLine(ctx context.Context, orderID string, in LineInput) (*Order, error) {
	return s.edit(ctx, func(ctx context.Context, tx bun.Tx) (string, error) {
		o, err := s.lockOrder(ctx, tx, orderID)
		if err != nil {
			return "", err
		}
		if err := s.checkChange(ctx, o, policies.TableSalesOrderLine, policies.Create); err != nil {
			return "", err
		}
		if err := s.checkChange(ctx, o, policies.TableSalesOrder, policies.AppendTo); err != nil {
			return "", err
		}
		l, err := s.priceLine(ctx, tx, o, in, decimal.Zero)
		if err != nil {
			return "", err
		}
		if err := tx.NewRaw(`UPDATE sales_order SET next_line_number = next_line_number + 1 WHERE id = ?
			RETURNING next_line_number - 1`, o.ID).Scan(ctx, &l.LineNumber); err != nil {
			return "", err
		}
		if _, err := tx.NewInsert().Model(l).ExcludeColumn("id").Returning("id").Exec(ctx); err != nil {
			return "", err
		}
		return o.ID, updateTotal(ctx, tx, o.ID)
	})
}

// UpdateLine changes an item of a draft (product, quantity, unit), priced
// again from the order's price list; its line number stays.
// Returns ENOTFOUND when the viewer may not read the line, EFORBIDDEN when
// it may not change it, ECONFLICT when the order is no longer a draft, and
// EINVALID naming the input field at fault.
func (s *Service) UpdateLine(ctx context.Context, lineID string, in LineInput) (*Order, error) {
	return s.editLine(ctx, lineID, policies.Write, func(ctx context.Context, tx bun.Tx, o *Order, old *Line) error {
		l, err := s.priceLine(ctx, tx, o, in, old.Amount)
		if err != nil {
			return err
		}
		l.ID, l.LineNumber = old.ID, old.LineNumber
		_, err = tx.NewUpdate().Model(l).WherePK().Exec(ctx)
		return err
	})
}

// RemoveLine removes an item from a draft; the other lines keep their
// numbers.
// Returns ENOTFOUND when the viewer may not read the line, EFORBIDDEN when
// it may not delete it, ECONFLICT when the order is no longer a draft.
func (s *Service) RemoveLine(ctx context.Context, lineID string) (*Order, error) {
	return s.editLine(ctx, lineID, policies.Delete, func(ctx context.Context, tx bun.Tx, _ *Order, l *Line) error {
		_, err := tx.NewDelete().Model(l).WherePK().Exec(ctx)
		return err
	})
}

// edit runs one change of an order in a transaction, for a signed-in
// viewer, and answers with the order as the change left it. fn locks the
// order (every change does, first: one lock order, no deadlocks), changes
// it and returns its id.
func (s *Service) edit(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) (orderID string, err error)) (*Order, error) {
	if err := requireSignedIn(ctx); err != nil {
		return nil, err
	}
	var out *Order
	err := db.Tx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		id, err := fn(ctx, tx)
		if err != nil {
			return err
		}
		out, err = reload(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// editLine is edit for a change of one line that needs priv on
// sales_order_line: it locks the line's order, checks the privilege and the
// draft, runs fn and makes the total the sum of the lines again.
func (s *Service) editLine(ctx context.Context, lineID string, priv policies.Privilege,
	fn func(ctx context.Context, tx bun.Tx, o *Order, l *Line) error) (*Order, error) {
	return s.edit(ctx, func(ctx context.Context, tx bun.Tx) (string, error) {
		o, l, err := s.lockLine(ctx, tx, lineID)
		if err != nil {
			return "", err
		}
		if err := s.checkChange(ctx, o, policies.TableSalesOrderLine, priv); err != nil {
			return "", err
		}
		if err := fn(ctx, tx, o, l); err != nil {
			return "", err
		}
		return o.ID, updateTotal(ctx, tx, o.ID)
	})
}

// updateTotal makes the order's total the sum of its lines and counts the
// change. It runs under the order's row lock, after the lines changed, so
// the stored total always matches the stored lines.
func updateTotal(ctx context.Context, idb bun.IDB, orderID string) error {
	_, err := idb.ExecContext(ctx, `UPDATE sales_order SET
		total_amount = (SELECT COALESCE(sum(amount), 0) FROM sales_order_line WHERE sales_order_id = ?),
		version = version + 1, updated_at = now() WHERE id = ?`, orderID, orderID)
	return err
}

// offer is one unit a product is sold in, with its price in a price list
// (none when the list has no price for it).
type offer struct {
	ProductID     string
	LegalEntityID string
	Number        string
	Unit          string
	Decimals      int32
	UnitPrice     decimal.NullDecimal
	MinorUnits    int32
}

// priceLine validates an item for order o and prices it. The amount is
// quantity × unit price rounded half away from zero to the minor units of
// the order's currency (2 for USD and EUR): what the customer is invoiced
// per line, so the total, their exact sum, needs no rounding of its own.
// replaced is the amount of the line being changed (zero for a new one),
// for the check that the total stays within its column. Pricing reads the
// product and the price list, so the viewer must be allowed to read both.
func (s *Service) priceLine(ctx context.Context, idb bun.IDB, o *Order, in LineInput, replaced decimal.Decimal) (*Line, error) {
	for _, table := range []string{policies.TableProduct, policies.TablePriceList} {
		if err := s.Policy.Require(ctx, table, policies.Read); err != nil {
			return nil, err
		}
	}
	if !db.ValidID(in.ProductID) {
		return nil, portal.FieldErrorf("productId", "Product %s does not exist.", in.ProductID)
	}
	var offers []offer
	err := idb.NewRaw(`SELECT p.id AS product_id, p.legal_entity_id, p.number, pu.unit, u.decimals, pr.unit_price,
			(SELECT minor_units FROM currency WHERE code = ?) AS minor_units
		FROM product p
		JOIN product_unit pu ON pu.product_id = p.id
		JOIN unit u ON u.code = pu.unit
		LEFT JOIN price pr ON pr.price_list_id = ? AND pr.product_id = p.id AND pr.unit = pu.unit
		WHERE p.id = ? ORDER BY pu.position`, o.Currency, o.PriceListID, in.ProductID).Scan(ctx, &offers)
	if err != nil {
		return nil, err
	}
	if len(offers) == 0 || offers[0].LegalEntityID != o.LegalEntityID {
		return nil, portal.FieldErrorf("productId", "Product %s does not exist in the order's company.", in.ProductID)
	}
	number := offers[0].Number
	unit := strings.ToLower(strings.TrimSpace(in.Unit))
	var of *offer
	units, priced := make([]string, 0, len(offers)), []string{}
	for i := range offers {
		units = append(units, offers[i].Unit)
		if offers[i].UnitPrice.Valid {
			priced = append(priced, offers[i].Unit)
		}
		if offers[i].Unit == unit {
			of = &offers[i]
		}
	}
	q := in.Quantity
	switch {
	case of == nil:
		return nil, portal.FieldErrorf("unit", "Product %s is not sold in unit %q; use one of %s.", number, in.Unit, strings.Join(units, ", "))
	case q.Sign() <= 0:
		return nil, portal.FieldErrorf("quantity", "Quantity must be more than zero.")
	// A quantity of 1e14 or more is refused on its exponent before any
	// arithmetic: 1e999999999 would build a huge number.
	case q.Exponent() > 13:
		return nil, portal.FieldErrorf("quantity", "Quantity is too large.")
	case !fitsDecimals(q, of.Decimals):
		if q.Exponent() < -46 { // not printed: it may have a billion digits
			return nil, portal.FieldErrorf("quantity", "Quantity has more decimals than unit %q allows (%d).", unit, of.Decimals)
		}
		return nil, portal.FieldErrorf("quantity", "Quantity %s has more decimals than unit %q allows (%d).", q, unit, of.Decimals)
	case q.GreaterThanOrEqual(maxQuantity):
		return nil, portal.FieldErrorf("quantity", "Quantity is too large.")
	case !of.UnitPrice.Valid && len(priced) == 0:
		return nil, portal.FieldErrorf("productId", "Product %s has no price in your price list; it cannot be ordered.", number)
	case !of.UnitPrice.Valid:
		return nil, portal.FieldErrorf("unit", "Product %s has no price in unit %q in your price list; order it in %s.",
			number, unit, strings.Join(priced, ", "))
	}
	// Trailing zeros dropped: 1.000 each is 1 each.
	q = q.Truncate(of.Decimals)
	price := of.UnitPrice.Decimal
	amount := q.Mul(price).Round(of.MinorUnits)
	if amount.GreaterThanOrEqual(maxAmount) || o.TotalAmount.Sub(replaced).Add(amount).GreaterThanOrEqual(maxAmount) {
		return nil, portal.FieldErrorf("quantity", "Quantity %s makes the order's amount too large; split it into several orders.", q)
	}
	return &Line{
		SalesOrderID: o.ID, ProductID: of.ProductID, Quantity: q, Unit: unit, UnitPrice: price, Amount: amount,
		ShipToCountry: o.ShipToCountry, DeliveryAddressDescription: o.DeliveryAddressDescription,
	}, nil
}

// fitsDecimals reports whether q, a positive quantity, has no more than
// decimals significant decimals: 1.000 fits a unit without decimals, as it
// is 1, however many zeros follow. Decimals that cannot all be trailing
// zeros of q's coefficient are refused without arithmetic, so an exponent
// like 1e-999999999 costs nothing.
func fitsDecimals(q decimal.Decimal, decimals int32) bool {
	extra := -int64(q.Exponent()) - int64(decimals) // decimals beyond the unit's
	if extra <= 0 {
		return true
	}
	// A coefficient of b bits has at most b·log10(2)+1 decimal digits, so
	// at most that many trailing zeros.
	if digits := int64(q.Coefficient().BitLen())*30103/100000 + 1; extra > digits {
		return false
	}
	return q.Equal(q.Truncate(decimals))
}
