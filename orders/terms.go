package orders

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
)

// checkTerms refuses to submit a draft on terms its contact no longer has.
// A draft takes its customer and invoice account, price list and currency
// from its contact when it is created; when an administrator then moves the
// contact to another account or gives it another price list or currency,
// the draft still carries the old ones, and submitting it would order (and
// price) on terms the company has withdrawn. Re-deriving them silently
// would change prices under the customer's eyes, so the draft is refused
// with what changed, and the customer starts a new order.
//
// The contact is share-locked, so a change of its terms waits for the
// submission (or the submission for the change): no order slips through in
// between. Orders are locked before contacts, as everywhere.
//
// The same statement reads the codes and names the ERP event of the
// submission names the order's company, accounts, price list and contact
// by (see submittedEvent): one round trip for both.
func (s *Service) checkTerms(ctx context.Context, tx bun.Tx, o *Order) (*eventRefs, error) {
	var now struct {
		CustomerAccountID, InvoiceAccountID, PriceListID, Currency sql.NullString
		Email, FirstName, LastName                                 string
		Company, CustomerAccount, InvoiceAccount, PriceList        string
	}
	err := s.query(ctx, tx, `SELECT c.customer_account_id, a.invoice_account_id,
			COALESCE(c.price_list_id, a.price_list_id) AS price_list_id, COALESCE(c.currency, a.currency) AS currency,
			c.email, c.first_name, c.last_name,
			(SELECT code FROM legal_entity WHERE id = ?) AS company,
			(SELECT account_number FROM customer_account WHERE id = ?) AS customer_account,
			(SELECT account_number FROM customer_account WHERE id = ?) AS invoice_account,
			(SELECT code FROM price_list WHERE id = ?) AS price_list
		FROM contact c LEFT JOIN customer_account a ON a.id = c.customer_account_id
		WHERE c.id = ? FOR SHARE OF c`,
		[]any{o.LegalEntityID, o.CustomerAccountID, o.InvoiceAccountID, o.PriceListID, o.ContactID}, &now)
	if err != nil {
		return nil, err
	}
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
