// Package demo fills an empty database with a small, fixed set of demo
// data (a Contoso-like company with customer accounts, products, price
// lists and one sign-in per built-in role) so that `portal serve --demo`
// shows a working portal straight away.
//
// Everything is written through the catalog and identity services, the
// same code the API uses, so the demo data passes the same validation as
// real data and cannot drift from what the schema allows.
package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/policies"
)

// Credential is a demo sign-in printed at start and listed in the README.
type Credential struct {
	Role     string // key of the contact's built-in role (portal.Role*)
	Email    string
	Password string
	Account  string // customer account number; "" for the administrator
}

// Empty reports whether the database has no legal entity yet (serve --demo
// loads demo data only then). Every other master record hangs off a legal
// entity, so none means nothing was ever loaded or synchronised.
func Empty(ctx context.Context, db *bun.DB) (bool, error) {
	var exists bool
	err := db.NewRaw("SELECT EXISTS (SELECT 1 FROM legal_entity)").Scan(ctx, &exists)
	return !exists, err
}

// Load fills an empty database with the demo data and returns the demo
// sign-ins. Call it only when Empty reports true: the master data are
// upserts and would be saved again harmlessly, but the contacts exist then
// and Load fails with an ECONFLICT error naming the first one.
//
// Load acts as an administrator whatever viewer ctx carries, since it runs
// from the command line on behalf of whoever runs the server.
func Load(ctx context.Context, cat *catalog.Service, ids *identity.Service) ([]Credential, error) {
	// No contact stands behind the loader (policies.Operator has no
	// ContactID, and Anonymous() reports true). That is fine: the enforcer
	// unions the Administrators role it holds with Anonymous users, so it
	// may write master data. A made-up ContactID would be worse: an id
	// that looks like a contact's but matches no row.
	ctx = policies.Operator(ctx)

	if _, err := cat.SaveLegalEntity(ctx, catalog.LegalEntityInput{Code: companyCode, Name: companyName}); err != nil {
		return nil, fmt.Errorf("demo company %s: %w", companyCode, err)
	}
	// Products before price lists, price lists before accounts: each Save
	// checks that what it refers to exists.
	for _, p := range products {
		in := catalog.ProductInput{Number: p.number, Name: p.name, Company: companyCode}
		for _, spec := range p.units {
			code, _, _ := strings.Cut(spec, "=")
			in.Units = append(in.Units, code)
		}
		in.DefaultUnit = in.Units[0]
		if _, err := cat.SaveProduct(ctx, in); err != nil {
			return nil, fmt.Errorf("demo product %s: %w", p.number, err)
		}
	}
	for _, pl := range priceLists {
		prices, err := pricesIn(pl.currency)
		if err != nil {
			return nil, fmt.Errorf("demo price list %s: %w", pl.code, err)
		}
		in := catalog.PriceListInput{Code: pl.code, Company: companyCode, Currency: pl.currency, Prices: prices}
		if _, err := cat.SavePriceList(ctx, in); err != nil {
			return nil, fmt.Errorf("demo price list %s: %w", pl.code, err)
		}
	}
	for _, a := range accounts {
		in := catalog.CustomerAccountInput{
			AccountNumber: a.number, Name: a.name, Company: companyCode,
			Currency: a.currency, PriceListCode: &a.priceList,
			ShipToCountry: a.shipToCountry, Language: a.language,
			// Non-nil, so the account's addresses become exactly these.
			DeliveryAddresses: []*catalog.AddressInput{},
		}
		if a.invoiceAccount != "" {
			in.InvoiceAccountNumber = &a.invoiceAccount
		}
		for _, ad := range a.deliveryAddress {
			in.DeliveryAddresses = append(in.DeliveryAddresses, &catalog.AddressInput{
				Description: ad.description, Street: ad.street, City: ad.city,
				PostalCode: ad.postalCode, CountryCode: ad.country,
			})
		}
		if _, err := cat.SaveCustomerAccount(ctx, in); err != nil {
			return nil, fmt.Errorf("demo account %s: %w", a.number, err)
		}
	}

	creds := make([]Credential, 0, len(contacts))
	for _, c := range contacts {
		in := identity.SeedContact{
			Email: c.email, Password: c.password, FirstName: c.firstName, LastName: c.lastName,
			RoleKeys: []string{c.role},
		}
		if c.account != "" {
			in.Company, in.AccountNumber = companyCode, c.account
		}
		if _, err := ids.CreateSeedContact(ctx, in); err != nil {
			if portal.ErrorCode(err) == portal.ECONFLICT {
				return nil, &portal.Error{Code: portal.ECONFLICT, Message: fmt.Sprintf(
					"Demo contact %s already exists: demo data loads only into an empty database; use a new database or drop this one.", c.email)}
			}
			return nil, fmt.Errorf("demo contact %s: %w", c.email, err)
		}
		creds = append(creds, Credential{Role: c.role, Email: c.email, Password: c.password, Account: c.account})
	}
	return creds, nil
}

// pricesIn returns a price for every product in every one of its units, in
// the given currency. The default unit costs the product's USD price,
// converted at eurPerUSD for EUR and rounded to cents; a unit holding n
// default units costs n times that, rounded to cents.
func pricesIn(currency string) ([]*catalog.PriceInput, error) {
	rate := decimal.NewFromInt(1)
	switch currency {
	case "USD":
	case "EUR":
		rate = decimal.RequireFromString(eurPerUSD)
	default:
		return nil, fmt.Errorf("no demo exchange rate for %s", currency)
	}
	var out []*catalog.PriceInput
	for _, p := range products {
		base, err := decimal.NewFromString(p.price)
		if err != nil {
			return nil, fmt.Errorf("product %s: price %q: %w", p.number, p.price, err)
		}
		base = base.Mul(rate).Round(2)
		for i, spec := range p.units {
			code, per, hasPer := strings.Cut(spec, "=")
			if i == 0 && hasPer {
				return nil, fmt.Errorf("product %s: the default unit %q must not name a quantity", p.number, spec)
			}
			n := decimal.NewFromInt(1)
			if i > 0 {
				if n, err = decimal.NewFromString(per); err != nil || !hasPer || n.Sign() <= 0 {
					return nil, fmt.Errorf("product %s: unit %q must be code=quantity of default units", p.number, spec)
				}
			}
			out = append(out, &catalog.PriceInput{ProductNumber: p.number, Unit: code, UnitPrice: base.Mul(n).Round(2)})
		}
	}
	return out, nil
}
