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
func checkTerms(ctx context.Context, idb bun.IDB, o *Order) error {
	var now struct {
		CustomerAccountID, InvoiceAccountID, PriceListID, Currency sql.NullString
	}
	err := idb.NewRaw(`SELECT c.customer_account_id, a.invoice_account_id,
			COALESCE(c.price_list_id, a.price_list_id) AS price_list_id, COALESCE(c.currency, a.currency) AS currency
		FROM contact c LEFT JOIN customer_account a ON a.id = c.customer_account_id
		WHERE c.id = ? FOR SHARE OF c`, o.ContactID).Scan(ctx, &now)
	if err != nil {
		return err
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
		return nil
	}
	return &portal.Error{Code: portal.ECONFLICT, Field: "orderId", Details: map[string]any{"changedTerms": changed},
		Message: fmt.Sprintf("Order %s was started on terms that have changed since (%s), so it cannot be submitted; delete this draft (deleteDraftOrder) and create a new order.",
			o.Number, strings.Join(changed, ", "))}
}
