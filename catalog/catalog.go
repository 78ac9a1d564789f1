// Package catalog provides the master data that orders are made of: legal
// entities (companies), customer accounts with their delivery and invoice
// accounts, units, products and price lists. The ERP owns this data and
// sends it in; administrators may maintain it by hand. Every Save is an
// upsert by natural key that validates its whole input first and writes
// nothing when any field is wrong.
package catalog

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/policies"
)

// Service reads and writes master data for the viewer in the context.
type Service struct {
	DB     *bun.DB
	Policy *policies.Enforcer
	// ProductCache, when set, keeps the products ProductsByID has read
	// (servers; see ProductCache). Nil reads them every time.
	ProductCache *ProductCache
}

// LegalEntity is a company (the ERP's legal entity, e.g. USMF).
type LegalEntity struct {
	bun.BaseModel `bun:"table:legal_entity"`
	ID            string    `bun:",pk,type:uuid"`
	Code          string    `bun:",notnull"`
	Name          string    `bun:",notnull"`
	CreatedAt     time.Time `bun:",nullzero,notnull,default:now()"`
	UpdatedAt     time.Time `bun:",nullzero,notnull,default:now()"`
}

// CustomerAccount is a customer of a company.
type CustomerAccount struct {
	bun.BaseModel    `bun:"table:customer_account"`
	ID               string  `bun:",pk,type:uuid"`
	LegalEntityID    string  `bun:",type:uuid"`
	AccountNumber    string  `bun:",notnull"`
	Name             string  `bun:",notnull"`
	InvoiceAccountID string  `bun:",type:uuid"`
	Currency         string  `bun:",notnull"`
	PriceListID      *string `bun:",type:uuid"`
	ShipToCountry    string  `bun:",notnull"`
	Language         string  `bun:",notnull"`
}

// Address is a delivery address of a customer account.
type Address struct {
	bun.BaseModel     `bun:"table:delivery_address"`
	ID                string `bun:",pk,type:uuid"`
	CustomerAccountID string `bun:",type:uuid"`
	Position          int
	Description       string
	Street            string
	City              string
	PostalCode        string
	CountryCode       string
}

// Product is something a company sells, in one or more units.
type Product struct {
	bun.BaseModel `bun:"table:product"`
	ID            string   `bun:",pk,type:uuid"`
	LegalEntityID string   `bun:",type:uuid"`
	Number        string   `bun:",notnull"`
	Name          string   `bun:",notnull"`
	DefaultUnit   string   `bun:",notnull"`
	Units         []string `bun:",array,scanonly"`
}

// PriceList is a company's list of unit prices in one currency.
type PriceList struct {
	bun.BaseModel `bun:"table:price_list"`
	ID            string `bun:",pk,type:uuid"`
	LegalEntityID string `bun:",type:uuid"`
	Code          string `bun:",notnull"`
	Currency      string `bun:",notnull"`
}

// Unit is a unit of measure and the decimals a quantity in it may have.
type Unit struct {
	bun.BaseModel `bun:"table:unit"`
	Code          string `bun:",pk"`
	Name          string
	Decimals      int
}

// LegalEntityInput creates or changes a company, by code.
type LegalEntityInput struct {
	Code string
	Name string
}

// AddressInput is a delivery address.
type AddressInput struct {
	Description string
	Street      string
	City        string
	PostalCode  string
	CountryCode string
}

// CustomerAccountInput creates or changes an account, by company and number.
type CustomerAccountInput struct {
	AccountNumber        string
	Name                 string
	Company              string
	InvoiceAccountNumber *string
	Currency             string
	PriceListCode        *string
	ShipToCountry        string
	Language             string
	// nil leaves the addresses as they are; a list replaces them, keeping
	// the ids of addresses whose description stays.
	DeliveryAddresses []*AddressInput
}

// ProductInput creates or changes a product, by company and number.
type ProductInput struct {
	Number      string
	Name        string
	Company     string
	Units       []string
	DefaultUnit string
}

// PriceInput is one price of a price list.
type PriceInput struct {
	ProductNumber string
	Unit          string
	UnitPrice     decimal.Decimal
}

// PriceListInput creates or changes a price list, by company and code. Its
// prices replace the list's prices.
type PriceListInput struct {
	Code     string
	Company  string
	Currency string
	Prices   []*PriceInput
}

// UnitInput creates or changes a unit of measure, by code.
type UnitInput struct {
	Code     string
	Name     string
	Decimals int
}

// trim returns s without surrounding spaces; names and codes are compared
// and stored trimmed so " USMF" and "USMF" are one company.
func trim(s string) string { return strings.TrimSpace(s) }

// upperCode normalises codes that the ERP treats case-insensitively.
func upperCode(s string) string { return strings.ToUpper(trim(s)) }

// Length limits of text fields: long enough for any real code or name,
// short enough for the unique indexes on them (a value of some kilobytes
// would fail there as an internal error).
const (
	maxCodeLength = 100
	maxNameLength = 200
)

// validator collects the first error of an input; later checks are skipped
// once one failed, so the caller gets one clear message.
type validator struct{ err error }

// length refuses text longer than max characters.
func (v *validator) length(field, value string, max int) {
	v.check(utf8.RuneCountInString(value) <= max, field, "This is longer than %d characters.", max)
}

func (v *validator) check(ok bool, field, format string, args ...any) {
	if v.err == nil && !ok {
		v.err = portal.FieldErrorf(field, format, args...)
	}
}

func (v *validator) fail(err error) {
	if v.err == nil && err != nil {
		v.err = err
	}
}

// mayUpsert is the table-level check at the start of an upsert: the viewer
// needs CREATE or WRITE on the table, and which one is decided by
// requireSave once the row is known to exist or not.
func (s *Service) mayUpsert(ctx context.Context, table string) error {
	if err := s.Policy.Require(ctx, table, policies.Write); err == nil {
		return nil
	}
	return s.Policy.Require(ctx, table, policies.Create)
}

// requireSave checks what an upsert does: CREATE for a new row, WRITE for
// an existing one (GLOBAL: master data has no narrower scope).
func (s *Service) requireSave(ctx context.Context, table string, exists bool) error {
	priv, verb := policies.Write, "change"
	if !exists {
		priv, verb = policies.Create, "create"
	}
	if s.Policy.EveryRow(ctx, table, priv) {
		return nil
	}
	return portal.Errorf(portal.EFORBIDDEN, "Your roles do not allow you to %s %s records; ask an administrator.", verb, table)
}
