package orders

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/outbox"
	"github.com/openportal/portal/policies"
)

// EventSubmitted is the outbox event type of a submitted order.
const EventSubmitted = outbox.SalesOrderSubmitted

// Submit is wizard step 3: it checks that the draft is complete (every
// column the ERP requires on the header and the lines, at least one line, a
// receipt date not in the past), locks it as SUBMITTED, and records the
// salesorder.submitted outbox event in the same transaction, so the order
// reaches the ERP exactly when it is submitted. Submitting an order that is
// already submitted returns it unchanged: a client may retry safely.
// Returns ENOTFOUND when the viewer may not read the order, EFORBIDDEN when
// it may not change it, EINVALID (field orderId) when it is incomplete,
// ECONFLICT (field orderId) when its contact's account, price list or
// currency changed since it was started (see checkTerms).
func (s *Service) Submit(ctx context.Context, orderID string) (*Order, error) {
	if err := requireSignedIn(ctx); err != nil {
		return nil, err
	}
	var out *Order
	err := db.Tx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		// The row lock makes concurrent submissions queue here; each one
		// after the first sees SUBMITTED and returns the order as it is.
		o, err := s.lockDraft(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if err := s.allowed(ctx, o, policies.TableSalesOrder, policies.Write); err != nil {
			return err
		}
		if o.Status != Draft {
			out, err = reload(ctx, tx, o.ID)
			return err
		}
		// The locked row is the order as it is: its lines to read, with
		// the numbers of their products for the event, and its contact's
		// terms, in one statement.
		numbers, terms, err := s.readSubmission(ctx, tx, o)
		if err != nil {
			return err
		}
		if err := s.checkComplete(o); err != nil {
			return err
		}
		refs, err := checkTerms(o, terms)
		if err != nil {
			return err
		}
		// RETURNING * is the submitted order as the answer shows it; its
		// lines did not change.
		submitted := &Order{Lines: o.Lines}
		if err := s.query(ctx, tx, `UPDATE sales_order SET status = ?, submitted_at = now(), sync_state = 'PENDING',
			version = version + 1, updated_at = now() WHERE id = ? RETURNING *`, []any{string(Submitted), o.ID}, submitted); err != nil {
			return err
		}
		if err := writeSubmittedEvent(ctx, tx, submitted, refs, numbers); err != nil {
			return err
		}
		out = submitted
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkComplete reports everything a draft lacks before the ERP can take
// it: the seed's required header and line columns, at least one line, a
// delivery address in the ship-to country and a receipt date not passed.
func (s *Service) checkComplete(o *Order) error {
	var missing []string
	for _, f := range []struct {
		name string
		ok   bool
	}{
		{"company", o.LegalEntityID != ""}, {"number", o.Number != ""}, {"currency", o.Currency != ""},
		{"priceList", o.PriceListID != ""}, {"shipToCountry", o.ShipToCountry != ""},
		{"customerAccount", o.CustomerAccountID != ""}, {"language", o.Language != ""},
		{"deliveryAddressDescription", strings.TrimSpace(o.DeliveryAddressDescription) != ""},
	} {
		if !f.ok {
			missing = append(missing, f.name)
		}
	}
	for _, l := range o.Lines {
		for _, f := range []struct {
			name string
			ok   bool
		}{
			{"product", l.ProductID != ""}, {"quantity", l.Quantity.Sign() > 0}, {"unit", l.Unit != ""},
			{"shipToCountry", l.ShipToCountry != ""},
			{"deliveryAddressDescription", strings.TrimSpace(l.DeliveryAddressDescription) != ""},
		} {
			if !f.ok {
				missing = append(missing, fmt.Sprintf("lines[%d].%s", l.LineNumber, f.name))
			}
		}
	}
	if len(missing) > 0 {
		return &portal.Error{Code: portal.EINVALID, Field: "orderId", Details: map[string]any{"missingFields": missing},
			Message: fmt.Sprintf("Order %s is incomplete: it has no %s.", o.Number, strings.Join(missing, ", "))}
	}
	if len(o.Lines) == 0 {
		return portal.FieldErrorf("orderId", "Order %s has no items; add at least one before submitting.", o.Number)
	}
	// Drafts made before addresses were held to the ship-to country.
	if o.DeliveryCountryCode != o.ShipToCountry {
		return portal.FieldErrorf("orderId", "The delivery address %q of order %s is in %s, but the order ships to %s; choose an address in %s (updateOrderInformation) before submitting.",
			o.DeliveryAddressDescription, o.Number, o.DeliveryCountryCode, o.ShipToCountry, o.ShipToCountry)
	}
	if day(o.RequestedReceiptDate).Before(day(s.now().UTC().Add(-12 * time.Hour))) {
		return portal.FieldErrorf("orderId", "The requested receipt date %s of order %s has passed; choose a new date (updateOrderInformation) before submitting.",
			o.RequestedReceiptDate.Format(time.DateOnly), o.Number)
	}
	return nil
}

// submittedEvent is the data of a salesorder.submitted event: the order
// with its lines, named as in the API contract, with codes and numbers the
// ERP knows instead of Portal's ids.
type submittedEvent struct {
	ID                         string          `json:"id"`
	Company                    string          `json:"company"`
	Number                     string          `json:"number"`
	Status                     Status          `json:"status"`
	CustomerAccount            string          `json:"customerAccount"`
	InvoiceAccount             string          `json:"invoiceAccount"`
	ContactPerson              eventContact    `json:"contactPerson"`
	Currency                   string          `json:"currency"`
	PriceList                  string          `json:"priceList"`
	Language                   string          `json:"language"`
	ShipToCountry              string          `json:"shipToCountry"`
	DeliveryAddressDescription string          `json:"deliveryAddressDescription"`
	DeliveryAddress            eventAddress    `json:"deliveryAddress"`
	RequestedReceiptDate       string          `json:"requestedReceiptDate"`
	CustomerRequisition        *string         `json:"customerRequisition"`
	TotalAmount                decimal.Decimal `json:"totalAmount"`
	SubmittedAt                time.Time       `json:"submittedAt"`
	Lines                      []eventLine     `json:"lines"`
}

type eventContact struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}

type eventAddress struct {
	Description string `json:"description"`
	Street      string `json:"street"`
	City        string `json:"city"`
	PostalCode  string `json:"postalCode"`
	CountryCode string `json:"countryCode"`
}

type eventLine struct {
	LineNumber                 int             `json:"lineNumber"`
	Product                    string          `json:"product"`
	Quantity                   decimal.Decimal `json:"quantity"`
	Unit                       string          `json:"unit"`
	UnitPrice                  decimal.Decimal `json:"unitPrice"`
	Amount                     decimal.Decimal `json:"amount"`
	ShipToCountry              string          `json:"shipToCountry"`
	DeliveryAddressDescription string          `json:"deliveryAddressDescription"`
}

// eventRefs are the codes and names a submitted order's event names its
// company, accounts, price list and contact person by, instead of ids.
type eventRefs struct {
	Company, CustomerAccount, InvoiceAccount, PriceList string
	Contact                                             eventContact
}

// writeSubmittedEvent records the outbox event of a submitted order o
// (with its lines loaded) in the transaction tx (see submittedEventOf).
func writeSubmittedEvent(ctx context.Context, tx bun.Tx, o *Order, refs *eventRefs, numbers map[string]string) error {
	_, err := outbox.Enqueue(ctx, tx, submittedEventOf(o, refs, numbers))
	return err
}

// submittedEventOf is the outbox event of a submitted order o with its
// lines; refs name what o refers to and numbers are its lines' product
// numbers by product id, both read by the statements the submission needed
// anyway. The event comes after the contact's: the ERP must know the
// contact person before the first order naming it.
func submittedEventOf(o *Order, refs *eventRefs, numbers map[string]string) outbox.Event {
	e := submittedEvent{
		ID: o.ID, Company: refs.Company, Number: o.Number, Status: o.Status, CustomerAccount: refs.CustomerAccount,
		InvoiceAccount: refs.InvoiceAccount, ContactPerson: refs.Contact, Currency: o.Currency, PriceList: refs.PriceList,
		Language: o.Language, ShipToCountry: o.ShipToCountry, DeliveryAddressDescription: o.DeliveryAddressDescription,
		DeliveryAddress: eventAddress{Description: o.DeliveryAddressDescription, Street: o.DeliveryStreet,
			City: o.DeliveryCity, PostalCode: o.DeliveryPostalCode, CountryCode: o.DeliveryCountryCode},
		RequestedReceiptDate: o.RequestedReceiptDate.Format(time.DateOnly),
		CustomerRequisition:  o.CustomerRequisition, TotalAmount: o.TotalAmount, SubmittedAt: o.SubmittedAt.UTC(),
		Lines: make([]eventLine, 0, len(o.Lines)),
	}
	for _, l := range o.Lines {
		e.Lines = append(e.Lines, eventLine{LineNumber: l.LineNumber, Product: numbers[l.ProductID], Quantity: l.Quantity,
			Unit: l.Unit, UnitPrice: l.UnitPrice, Amount: l.Amount, ShipToCountry: l.ShipToCountry,
			DeliveryAddressDescription: l.DeliveryAddressDescription})
	}
	return outbox.Event{Type: EventSubmitted, AggregateID: o.ID, AfterID: refs.Contact.ID, Data: e}
}

// DeleteDraft deletes a draft order and its lines. It needs WRITE on the
// order, not DELETE: discarding one's own unfinished wizard is part of
// editing the draft, and DESIGN §4's default Authorized user holds WRITE but
// not DELETE on sales_order. Submitted orders are never deleted.
// Returns ENOTFOUND when the viewer may not read the order, EFORBIDDEN when
// it may not change it, ECONFLICT when the order is no longer a draft.
func (s *Service) DeleteDraft(ctx context.Context, orderID string) error {
	if err := requireSignedIn(ctx); err != nil {
		return err
	}
	return db.Tx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		o, err := s.lockOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if err := s.checkChange(ctx, o, policies.TableSalesOrder, policies.Write); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM sales_order WHERE id = ?", o.ID)
		return err
	})
}
