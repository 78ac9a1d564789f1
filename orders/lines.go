package orders

import (
	"context"
	"strings"
	"unicode/utf8"

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
	return s.edit(ctx, func(ctx context.Context, tx bun.Tx) (*Order, error) {
		o, offers, err := s.lockForLine(ctx, tx, orderID, in.ProductID)
		if err != nil {
			return nil, err
		}
		if err := s.checkChange(ctx, o, policies.TableSalesOrderLine, policies.Create); err != nil {
			return nil, err
		}
		if err := s.checkChange(ctx, o, policies.TableSalesOrder, policies.AppendTo); err != nil {
			return nil, err
		}
		if err := s.requirePricing(ctx); err != nil {
			return nil, err
		}
		l, err := priceOffer(o, in, offers, decimal.Zero)
		if err != nil {
			return nil, err
		}
		// The order is locked: its next line number is this line's. One
		// statement inserts the line, makes the total the sum of the lines
		// (those stored before, which the statement's snapshot sees, and
		// this one), moves the next line number on and answers the order.
		l.LineNumber = o.NextLineNumber
		updated := new(Order)
		err = s.query(ctx, tx, `WITH l AS (
				INSERT INTO sales_order_line (sales_order_id, line_number, product_id, quantity, unit, unit_price, amount,
					ship_to_country, delivery_address_description)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING amount)
			UPDATE sales_order SET
				total_amount = (SELECT COALESCE(sum(amount), 0) FROM sales_order_line WHERE sales_order_id = ?) + (SELECT amount FROM l),
				next_line_number = next_line_number + 1, version = version + 1, updated_at = now()
			WHERE id = ? RETURNING *`,
			[]any{o.ID, l.LineNumber, l.ProductID, l.Quantity.String(), l.Unit, l.UnitPrice.String(), l.Amount.String(),
				l.ShipToCountry, l.DeliveryAddressDescription, o.ID, o.ID}, updated)
		return updated, err
	})
}

// lockForLine is lockDraft and readOffers of one product in one statement,
// for AddLine: the order the viewer may read, locked, with the units the
// product is sold in and their prices in the order's price list (none when
// productID names no product). Returns ENOTFOUND for a missing or
// unreadable order. The offers are read as the statement began, which is
// as good as a moment later; the order row is the locked one, as it is now
// (PostgreSQL re-reads it if it had to wait for the lock). Submit cannot do
// the same with the lines: they would be the ones from before the wait.
func (s *Service) lockForLine(ctx context.Context, tx bun.Tx, orderID, productID string) (*Order, []offer, error) {
	if !db.ValidID(orderID) {
		return nil, nil, notFound("Order", orderID)
	}
	scope := s.Policy.ReadScope(ctx, policies.TableSalesOrder)
	if scope.None() {
		return nil, nil, notFound("Order", orderID)
	}
	var product *string
	if db.ValidID(productID) {
		id := db.CanonicalID(productID)
		product = &id
	}
	cond, args := scope.Where(policies.OrderColumns("o"))
	var rows []struct {
		Order
		Of offer `bun:"embed:of_"`
	}
	err := s.query(ctx, tx, `SELECT o.*, f.product_id AS of_product_id, f.legal_entity_id AS of_legal_entity_id,
			f.number AS of_number, f.unit AS of_unit, f.decimals AS of_decimals, f.unit_price AS of_unit_price,
			f.minor_units AS of_minor_units
		FROM sales_order o
		LEFT JOIN LATERAL (
			SELECT p.id AS product_id, p.legal_entity_id, p.number, pu.unit, pu.position, u.decimals, pr.unit_price,
				(SELECT minor_units FROM currency WHERE code = o.currency) AS minor_units
			FROM product p
			JOIN product_unit pu ON pu.product_id = p.id
			JOIN unit u ON u.code = pu.unit
			LEFT JOIN price pr ON pr.price_list_id = o.price_list_id AND pr.product_id = p.id AND pr.unit = pu.unit
			WHERE p.id = ?::uuid) f ON TRUE
		WHERE o.id = ? AND `+cond+`
		ORDER BY f.position FOR UPDATE OF o`, append([]any{product, db.CanonicalID(orderID)}, args...), &rows)
	if err != nil {
		return nil, nil, err
	}
	if len(rows) == 0 {
		return nil, nil, notFound("Order", orderID)
	}
	o := rows[0].Order
	var offers []offer
	for _, r := range rows {
		if r.Of.ProductID != "" {
			offers = append(offers, r.Of)
		}
	}
	return &o, offers, nil
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
		_, err = tx.Tx.ExecContext(ctx, db.Numbered(`UPDATE sales_order_line SET product_id = ?, quantity = ?, unit = ?,
			unit_price = ?, amount = ?, ship_to_country = ?, delivery_address_description = ? WHERE id = ?`),
			l.ProductID, l.Quantity.String(), l.Unit, l.UnitPrice.String(), l.Amount.String(), l.ShipToCountry,
			l.DeliveryAddressDescription, l.ID)
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
// viewer, and answers with the order as the change left it, read in the
// same transaction. fn locks the order (every change does, first: one lock
// order, no deadlocks), changes it and returns its header as the change
// left it (updateTotal's, or reload's); edit adds the lines, unless the
// caller shows none (WithoutLines).
func (s *Service) edit(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) (*Order, error)) (*Order, error) {
	if err := requireSignedIn(ctx); err != nil {
		return nil, err
	}
	return db.TxValue(ctx, s.DB, func(ctx context.Context, tx bun.Tx) (*Order, error) {
		o, err := fn(ctx, tx)
		if err != nil {
			return nil, err
		}
		if o.Lines == nil && !withoutLines(ctx) {
			if err := s.readLines(ctx, tx, o); err != nil {
				return nil, err
			}
		}
		return o, nil
	})
}

// editLine is edit for a change of one line that needs priv on
// sales_order_line: it locks the line's order, checks the privilege and the
// draft, runs fn and makes the total the sum of the lines again.
func (s *Service) editLine(ctx context.Context, lineID string, priv policies.Privilege,
	fn func(ctx context.Context, tx bun.Tx, o *Order, l *Line) error) (*Order, error) {
	return s.edit(ctx, func(ctx context.Context, tx bun.Tx) (*Order, error) {
		o, l, err := s.lockLine(ctx, tx, lineID)
		if err != nil {
			return nil, err
		}
		if err := s.checkChange(ctx, o, policies.TableSalesOrderLine, priv); err != nil {
			return nil, err
		}
		if err := fn(ctx, tx, o, l); err != nil {
			return nil, err
		}
		return s.updateTotal(ctx, tx, o.ID)
	})
}

// updateTotal makes the order's total the sum of its lines and counts the
// change; it answers the order's header as it now is (one statement for
// what was an update and a read). It runs under the order's row lock,
// after the lines changed, so the stored total always matches the stored
// lines.
func (s *Service) updateTotal(ctx context.Context, tx bun.Tx, orderID string) (*Order, error) {
	o := new(Order)
	err := s.query(ctx, tx, `UPDATE sales_order SET
		total_amount = (SELECT COALESCE(sum(amount), 0) FROM sales_order_line WHERE sales_order_id = ?),
		version = version + 1, updated_at = now() WHERE id = ?
		RETURNING *`, []any{orderID, orderID}, o)
	return o, err
}

// readLines reads an order's lines, by line number, into o.Lines.
func (s *Service) readLines(ctx context.Context, tx bun.Tx, o *Order) error {
	o.Lines = []*Line{}
	return s.query(ctx, tx, "SELECT l.* FROM sales_order_line l WHERE l.sales_order_id = ? ORDER BY l.line_number",
		[]any{o.ID}, &o.Lines)
}

type withoutLinesKey struct{}

// WithoutLines returns a context in which the order mutations answer the
// order without its lines (Lines nil) unless they read them anyway: for a
// caller that does not show them, so the transaction need not read them.
func WithoutLines(ctx context.Context) context.Context {
	return context.WithValue(ctx, withoutLinesKey{}, true)
}

func withoutLines(ctx context.Context) bool {
	v, _ := ctx.Value(withoutLinesKey{}).(bool)
	return v
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

// priceLine validates an item for order o and prices it (see priceOffer),
// for a viewer who may read products and price lists.
func (s *Service) priceLine(ctx context.Context, tx bun.Tx, o *Order, in LineInput, replaced decimal.Decimal) (*Line, error) {
	if err := s.requirePricing(ctx); err != nil {
		return nil, err
	}
	offers, err := s.readOffers(ctx, tx, o, []string{in.ProductID})
	if err != nil {
		return nil, err
	}
	return priceOffer(o, in, offers[db.CanonicalID(in.ProductID)], replaced)
}

// requirePricing: pricing reads the product and the price list, so the
// viewer must be allowed to read both.
func (s *Service) requirePricing(ctx context.Context) error {
	for _, table := range []string{policies.TableProduct, policies.TablePriceList} {
		if err := s.Policy.Require(ctx, table, policies.Read); err != nil {
			return err
		}
	}
	return nil
}

// readOffers reads, in one statement, the units each of the products is
// sold in, by position, with their prices in o's price list, keyed by
// product id as db.CanonicalID spells it. Ids that are not UUIDs are left
// out: no such product.
func (s *Service) readOffers(ctx context.Context, tx bun.Tx, o *Order, productIDs []string) (map[string][]offer, error) {
	valid := db.ValidIDs(productIDs)
	out := make(map[string][]offer, len(valid))
	if len(valid) == 0 {
		return out, nil
	}
	for i, id := range valid {
		valid[i] = db.CanonicalID(id)
	}
	var offers []offer
	err := s.query(ctx, tx, `SELECT p.id AS product_id, p.legal_entity_id, p.number, pu.unit, u.decimals, pr.unit_price,
			(SELECT minor_units FROM currency WHERE code = ?) AS minor_units
		FROM product p
		JOIN product_unit pu ON pu.product_id = p.id
		JOIN unit u ON u.code = pu.unit
		LEFT JOIN price pr ON pr.price_list_id = ? AND pr.product_id = p.id AND pr.unit = pu.unit
		WHERE p.id = ANY(?::uuid[]) ORDER BY p.id, pu.position`, []any{o.Currency, o.PriceListID, pgArray(valid)}, &offers)
	if err != nil {
		return nil, err
	}
	for _, of := range offers {
		out[of.ProductID] = append(out[of.ProductID], of)
	}
	return out, nil
}

// priceOffer validates an item for order o against its product's offers
// (the product's units with their prices; none when there is no such
// product) and prices it. The amount is quantity × unit price rounded half
// away from zero to the minor units of the order's currency (2 for USD and
// EUR): what the customer is invoiced per line, so the total, their exact
// sum, needs no rounding of its own. replaced is the amount of the line
// being changed (zero for a new one), for the check that the total stays
// within its column.
// maxUnitLength bounds the unit a message quotes back.
const maxUnitLength = 20

func priceOffer(o *Order, in LineInput, offers []offer, replaced decimal.Decimal) (*Line, error) {
	if !db.ValidID(in.ProductID) {
		return nil, portal.FieldErrorf("productId", "This product does not exist, or your roles do not allow reading it.")
	}
	if len(offers) == 0 || offers[0].LegalEntityID != o.LegalEntityID {
		return nil, portal.FieldErrorf("productId", "This product does not exist in the order's company.")
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
	case of == nil && utf8.RuneCountInString(in.Unit) > maxUnitLength:
		// Not echoed: a unit is a short code, and this is any text.
		return nil, portal.FieldErrorf("unit", "A unit is a code of at most %d characters; product %s is sold in %s.", maxUnitLength, number, strings.Join(units, ", "))
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
