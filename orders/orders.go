// Package orders provides the Create order wizard and the orders it makes:
// drafts whose header is filled from the contact placing them (the values a
// customer must not choose), items priced from the order's price list,
// per-company order numbers, submission into the ERP outbox, and the
// forward-only processing statuses the ERP reports afterwards (DESIGN §5).
//
// Every method asks policies first and scopes rows in SQL. Each exported
// method owns its transaction; a method that changes an order locks the
// order row first (SELECT ... FOR UPDATE), so concurrent edits of one draft,
// or an edit racing its submission, run one after the other and never leave
// a submitted order changed or a total that differs from its lines.
package orders

import (
	"context"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/policies"
)

// Service runs the order wizard and reads orders for the viewer in the
// context.
type Service struct {
	DB     *bun.DB
	Policy *policies.Enforcer
	// Now returns the current time; nil means time.Now. Tests set it to
	// check date rules on fixed days.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Status is where an order stands: DRAFT while the customer edits it,
// SUBMITTED once sent, then the ERP's processing statuses.
type Status string

// The statuses, in the order an order goes through them; CANCELLED may
// follow any status after DRAFT except the final INVOICED.
const (
	Draft              Status = "DRAFT"
	Submitted          Status = "SUBMITTED"
	Confirmed          Status = "CONFIRMED"
	Picked             Status = "PICKED"
	PartiallyDelivered Status = "PARTIALLY_DELIVERED"
	Delivered          Status = "DELIVERED"
	PartiallyInvoiced  Status = "PARTIALLY_INVOICED"
	Invoiced           Status = "INVOICED"
	Cancelled          Status = "CANCELLED"
)

// Order is a sales order. The header values are copies made when the order
// was created (or its information changed), so a later change to the
// contact or account does not rewrite an order.
type Order struct {
	bun.BaseModel              `bun:"table:sales_order"`
	ID                         string `bun:",pk,type:uuid"`
	LegalEntityID              string `bun:",type:uuid"`
	Number                     string
	Status                     Status
	SyncState                  string
	ErpOrderNumber             *string
	CustomerAccountID          string `bun:",type:uuid"`
	InvoiceAccountID           string `bun:",type:uuid"`
	ContactID                  string `bun:",type:uuid"`
	Currency                   string
	PriceListID                string `bun:",type:uuid"`
	Language                   string
	ShipToCountry              string
	DeliveryAddressDescription string
	DeliveryStreet             string
	DeliveryCity               string
	DeliveryPostalCode         string
	DeliveryCountryCode        string // the delivery address's: the ship-to country
	RequestedReceiptDate       time.Time
	CustomerRequisition        *string
	TotalAmount                decimal.Decimal
	Version                    int
	NextLineNumber             int
	CreatedAt                  time.Time
	UpdatedAt                  time.Time
	SubmittedAt                *time.Time

	// Lines, when not nil, are the order's lines read in the same
	// transaction as the header (what mutations return), so a client sees
	// a total that matches its lines, or read with the page of orders they
	// belong to (lists). Nil means "load them".
	Lines []*Line `bun:"-"`
}

// Line is one item of an order. Ship-to country and delivery address
// description are copies of the order's, as the ERP requires them on lines.
type Line struct {
	bun.BaseModel              `bun:"table:sales_order_line"`
	ID                         string `bun:",pk,type:uuid"`
	SalesOrderID               string `bun:",type:uuid"`
	LineNumber                 int
	ProductID                  string `bun:",type:uuid"`
	Quantity                   decimal.Decimal
	Unit                       string
	UnitPrice                  decimal.Decimal
	Amount                     decimal.Decimal
	ShipToCountry              string
	DeliveryAddressDescription string
}

// InformationInput is wizard step 1: order information.
type InformationInput struct {
	RequestedReceiptDate time.Time
	// DeliveryAddressID is one of the account's delivery addresses, or
	// DeliveryAddress a new address for this order alone; either must be in
	// the order's ship-to country. Neither keeps the order's address (for a
	// new order, the account's first one in the ship-to country).
	DeliveryAddressID *string
	DeliveryAddress   *catalog.AddressInput
	// Company (a legal entity code) and ShipToCountry only administrators
	// may give; everybody else gets their contact's.
	Company       *string
	ShipToCountry *string
	// CustomerRequisition is the customer's own reference (PO number);
	// nil keeps the order's, "" clears it.
	CustomerRequisition *string
}

// LineInput is wizard step 2: one item.
type LineInput struct {
	ProductID string
	Quantity  decimal.Decimal
	Unit      string
}

// Filter selects orders; nil fields do not filter.
type Filter struct {
	Status    []Status
	ContactID *string
	// SubmittedFrom and SubmittedTo are whole days (UTC), both included.
	SubmittedFrom *time.Time
	SubmittedTo   *time.Time
	// SyncStates are sync states (NOT_SENT, PENDING, SYNCED, FAILED); the
	// order must be in one of them.
	SyncStates        []string
	CustomerAccountID *string
	// Number matches the order number or the ERP's, anywhere in them.
	Number *string
}

// Limits on free text, so an order stays a size the ERP accepts.
const (
	maxRequisitionLength = 60
	maxAddressLength     = 200
)

// owner is who owns an order row, for checks on a row already loaded.
func (o *Order) owner() policies.Row {
	return policies.Row{ContactID: o.ContactID, AccountID: o.CustomerAccountID}
}

// lineAllows reports whether a line scope reaches the lines of order o.
func lineAllows(s policies.Scope, o *Order) bool {
	return s.AllowsUnder(o.owner())
}

// notFound is the error for an order that does not exist or that the viewer
// may not read: the two are indistinguishable on purpose, and the message
// names no id (nor echoes the caller's, which may be any text).
func notFound(what, _ string) error {
	return portal.Errorf(portal.ENOTFOUND, "This %s does not exist, or your roles do not allow reading it.", strings.ToLower(what))
}

// requireSignedIn refuses anonymous callers before anything is looked up:
// they can reach no order, and "sign in" helps them more than "not found".
func requireSignedIn(ctx context.Context) error {
	if portal.ViewerFrom(ctx).Anonymous() {
		return portal.Errorf(portal.EUNAUTHENTICATED, "Sign in to work with orders.")
	}
	return nil
}
