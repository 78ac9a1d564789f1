package orders

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
)

// contactTerms are the terms an order's contact has now, and the codes and
// names the ERP event of the order's submission names its company,
// accounts, price list and contact by (see submittedEvent).
type contactTerms struct {
	CustomerAccountID, InvoiceAccountID, PriceListID, Currency sql.NullString
	Email, FirstName, LastName                                 string
	Company, CustomerAccount, InvoiceAccount, PriceList        string
}

// readSubmission reads, in one statement, what submitting the locked draft
// o needs besides o: its lines by line number (into o.Lines), their
// products' numbers by product id, and its contact's terms now (see
// checkTerms), share-locking the contact. The order is locked already (by
// an earlier statement), so the lines are the ones stored when this
// statement began: nothing can change them any more.
func (s *Service) readSubmission(ctx context.Context, tx bun.Tx, o *Order) (map[string]string, *contactTerms, error) {
	var rows []struct {
		T             contactTerms `bun:"embed:"`
		L             Line         `bun:"embed:l_"`
		ProductNumber sql.NullString
	}
	err := s.query(ctx, tx, `WITH t AS (
			SELECT c.customer_account_id, a.invoice_account_id,
				COALESCE(c.price_list_id, a.price_list_id) AS price_list_id, COALESCE(c.currency, a.currency) AS currency,
				c.email, c.first_name, c.last_name,
				(SELECT code FROM legal_entity WHERE id = ?) AS company,
				(SELECT account_number FROM customer_account WHERE id = ?) AS customer_account,
				(SELECT account_number FROM customer_account WHERE id = ?) AS invoice_account,
				(SELECT code FROM price_list WHERE id = ?) AS price_list
			FROM contact c LEFT JOIN customer_account a ON a.id = c.customer_account_id
			WHERE c.id = ? FOR SHARE OF c)
		SELECT t.*, l.id AS l_id, l.sales_order_id AS l_sales_order_id, l.line_number AS l_line_number,
			l.product_id AS l_product_id, COALESCE(l.quantity, 0) AS l_quantity, l.unit AS l_unit,
			COALESCE(l.unit_price, 0) AS l_unit_price, COALESCE(l.amount, 0) AS l_amount, l.ship_to_country AS l_ship_to_country,
			l.delivery_address_description AS l_delivery_address_description, p.number AS product_number
		FROM t
		LEFT JOIN sales_order_line l ON l.sales_order_id = ?
		LEFT JOIN product p ON p.id = l.product_id
		ORDER BY l.line_number`,
		[]any{o.LegalEntityID, o.CustomerAccountID, o.InvoiceAccountID, o.PriceListID, o.ContactID, o.ID}, &rows)
	if err != nil {
		return nil, nil, err
	}
	if len(rows) == 0 {
		return nil, nil, fmt.Errorf("orders: the contact %s of order %s is missing", o.ContactID, o.ID)
	}
	o.Lines = make([]*Line, 0, len(rows))
	numbers := make(map[string]string, len(rows))
	for i := range rows {
		if rows[i].L.ID == "" { // no lines: one row, the contact's (amounts 0, not NULL, for decimal.Decimal)
			continue
		}
		o.Lines = append(o.Lines, &rows[i].L)
		numbers[rows[i].L.ProductID] = rows[i].ProductNumber.String
	}
	return numbers, &rows[0].T, nil
}

// checkTerms refuses to submit a draft on terms its contact no longer has
// (now, read by readSubmission), and otherwise answers what the event of
// the submission names the order's references by.
// A draft takes its customer and invoice account, price list and currency
// from its contact when it is created; when an administrator then moves the
// contact to another account or gives it another price list or currency,
// the draft still carries the old ones, and submitting it would order (and
// price) on terms the company has withdrawn. Re-deriving them silently
// would change prices under the customer's eyes, so the draft is refused
// with what changed, and the customer starts a new order.
//
// The contact is share-locked (readSubmission), so a change of its terms
// waits for the submission (or the submission for the change): no order
// slips through in between. Orders are locked before contacts, as
// everywhere.
func checkTerms(o *Order, now *contactTerms) (*eventRefs, error) {
	var changed []string
	for _, t := range []struct {
		name     string
		was, now string
	}{
		{"customerAccount", o.CustomerAccountID, now.CustomerAccountID.String},
		{"invoiceAccount", o.InvoiceAccountID, now.InvoiceAccountID.String},
		{"priceList", o.PriceListID, now.PriceListID.String},
		{"currency", o.Currency, now.Currency.String},
	} {
		if t.was != t.now {
			changed = append(changed, t.name)
		}
	}
	if len(changed) == 0 {
		return &eventRefs{Company: now.Company, CustomerAccount: now.CustomerAccount, InvoiceAccount: now.InvoiceAccount,
			PriceList: now.PriceList, Contact: eventContact{ID: o.ContactID, Email: now.Email, FirstName: now.FirstName,
				LastName: now.LastName}}, nil
	}
	return nil, &portal.Error{Code: portal.ECONFLICT, Field: "orderId", Details: map[string]any{"changedTerms": changed},
		Message: fmt.Sprintf("Order %s was started on terms that have changed since (%s), so it cannot be submitted; delete this draft (deleteDraftOrder) and create a new order.",
			o.Number, strings.Join(changed, ", "))}
}
