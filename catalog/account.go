package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/policies"
)

// SaveCustomerAccount creates the account with this company and number, or
// changes it. The invoice account and price list must belong to the same
// company, and the price list must be in the account's currency.
// Returns EINVALID naming the field at fault (nothing is written),
// EUNAUTHENTICATED/EFORBIDDEN when the viewer may not change accounts, or
// may not change the account's commercial terms (see policies.SetAccountTerms).
func (s *Service) SaveCustomerAccount(ctx context.Context, in CustomerAccountInput) (*CustomerAccount, error) {
	if err := s.Policy.Require(ctx, policies.TableCustomerAccount, policies.Write); err != nil {
		return nil, err
	}
	return db.TxValue(ctx, s.DB, func(ctx context.Context, tx bun.Tx) (*CustomerAccount, error) {
		a, addrs, err := s.validateAccount(ctx, tx, in)
		if err != nil {
			return nil, err
		}
		if err := s.checkAccountWrite(ctx, tx, a, addrs != nil); err != nil {
			return nil, err
		}
		if err := upsertAccount(ctx, tx, a); err != nil {
			return nil, err
		}
		if addrs != nil {
			if err := replaceAddresses(ctx, tx, a.ID, addrs); err != nil {
				return nil, err
			}
		}
		return a, nil
	})
}

// validateAccount checks the whole input and resolves its codes to ids.
func (s *Service) validateAccount(ctx context.Context, tx bun.Tx, in CustomerAccountInput) (*CustomerAccount, []*AddressInput, error) {
	a := &CustomerAccount{
		AccountNumber: trim(in.AccountNumber),
		Name:          trim(in.Name),
		Currency:      upperCode(in.Currency),
		ShipToCountry: upperCode(in.ShipToCountry),
	}
	var v validator
	v.check(a.AccountNumber != "", "accountNumber", "Account number is required.")
	v.length("accountNumber", a.AccountNumber, maxCodeLength)
	v.check(a.Name != "", "name", "Account name is required.")
	v.length("name", a.Name, maxNameLength)
	company := upperCode(in.Company)
	if v.err == nil {
		a.LegalEntityID, v.err = companyID(ctx, tx, "company", company)
	}
	if v.err == nil {
		v.fail(checkCurrency(ctx, tx, "currency", a.Currency))
	}
	if v.err == nil {
		v.fail(checkCountry(ctx, tx, "shipToCountry", a.ShipToCountry))
	}
	if v.err == nil {
		a.Language, v.err = canonicalLanguage("language", trim(in.Language))
	}
	if v.err == nil && in.InvoiceAccountNumber != nil && trim(*in.InvoiceAccountNumber) != "" &&
		trim(*in.InvoiceAccountNumber) != a.AccountNumber {
		a.InvoiceAccountID, v.err = s.invoiceAccountID(ctx, tx, a.LegalEntityID, company, trim(*in.InvoiceAccountNumber))
	}
	if v.err == nil && in.PriceListCode != nil && trim(*in.PriceListCode) != "" {
		var pl PriceList
		code := trim(*in.PriceListCode)
		err := tx.NewSelect().Model(&pl).Where("legal_entity_id = ? AND code = ?", a.LegalEntityID, code).Scan(ctx)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			v.fail(portal.FieldErrorf("priceListCode", "Price list %q does not exist in company %s.", code, company))
		case err != nil:
			v.fail(err)
		case pl.Currency != a.Currency:
			v.fail(portal.FieldErrorf("priceListCode", "Price list %q is in %s but the account's currency is %s; choose a %s price list.",
				code, pl.Currency, a.Currency, a.Currency))
		default:
			a.PriceListID = &pl.ID
		}
	}
	var addrs []*AddressInput
	if v.err == nil && in.DeliveryAddresses != nil {
		addrs = make([]*AddressInput, 0, len(in.DeliveryAddresses))
		seen := map[string]bool{}
		for i, ai := range in.DeliveryAddresses {
			f := fmt.Sprintf("deliveryAddresses[%d]", i)
			ad := &AddressInput{
				Description: trim(ai.Description), Street: trim(ai.Street), City: trim(ai.City),
				PostalCode: trim(ai.PostalCode), CountryCode: upperCode(ai.CountryCode),
			}
			v.check(ad.Description != "", f+".description", "A delivery address needs a description; it travels with the order.")
			v.check(ad.Street != "", f+".street", "A delivery address needs a street.")
			v.check(ad.City != "", f+".city", "A delivery address needs a city.")
			for _, fv := range []struct{ name, value string }{
				{"description", ad.Description}, {"street", ad.Street}, {"city", ad.City}, {"postalCode", ad.PostalCode},
			} {
				v.length(f+"."+fv.name, fv.value, maxNameLength)
			}
			v.check(!seen[ad.Description], f+".description", "Delivery address description %q is used twice; descriptions must differ.", ad.Description)
			seen[ad.Description] = true
			if v.err == nil {
				v.fail(checkCountry(ctx, tx, f+".countryCode", ad.CountryCode))
			}
			addrs = append(addrs, ad)
		}
	}
	return a, addrs, v.err
}

// checkAccountWrite applies the row scopes that the table-level check in
// SaveCustomerAccount cannot: changing an existing account needs WRITE on
// that account, and GLOBAL write to change its commercial terms; a new
// account needs GLOBAL CREATE (no narrower scope can reach an account that
// does not exist yet); and replacing its delivery addresses needs WRITE on
// delivery_address for it (GLOBAL, or PARENT through the account). The
// existing account is locked while it is checked and changed.
func (s *Service) checkAccountWrite(ctx context.Context, tx bun.Tx, a *CustomerAccount, addresses bool) error {
	old := &CustomerAccount{}
	err := tx.NewRaw(`SELECT id, invoice_account_id, currency, price_list_id, ship_to_country FROM customer_account
		WHERE legal_entity_id = ? AND account_number = ? FOR UPDATE`,
		a.LegalEntityID, a.AccountNumber).Scan(ctx, &old.ID, &old.InvoiceAccountID, &old.Currency, &old.PriceListID, &old.ShipToCountry)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		old = nil
		if err := s.Policy.RequireDecision(ctx, policies.CreateCustomerAccount); err != nil {
			return err
		}
	case err != nil:
		return err
	case !s.Policy.Scope(ctx, policies.TableCustomerAccount, policies.Write).Allows(policies.Row{AccountID: old.ID}):
		return portal.Errorf(portal.EFORBIDDEN, "Your roles do not allow changing customer account %s; ask an administrator.", a.AccountNumber)
	default:
		if f := changedTerm(old, a); f != "" && !s.Policy.May(ctx, policies.SetAccountTerms) {
			return &portal.Error{Code: portal.EFORBIDDEN, Field: f,
				Message: fmt.Sprintf("Only an administrator may change the invoice account, price list, currency or ship-to country of customer account %s; send those as they are.", a.AccountNumber)}
		}
	}
	if !addresses {
		return nil
	}
	as := s.Policy.Scope(ctx, policies.TableDeliveryAddress, policies.Write)
	if as.All || (old != nil && as.AllowsUnder(policies.Row{AccountID: old.ID})) { // a new account: GLOBAL only
		return nil
	}
	return portal.Errorf(portal.EFORBIDDEN, "Your roles do not allow changing the delivery addresses of customer account %s; ask an administrator.", a.AccountNumber)
}

// changedTerm names the input field of the first commercial term that a
// differs in from old, "" when none does. An empty invoice account in a is
// the account itself.
func changedTerm(old, a *CustomerAccount) string {
	invoice := a.InvoiceAccountID
	if invoice == "" {
		invoice = old.ID
	}
	switch {
	case invoice != old.InvoiceAccountID:
		return "invoiceAccountNumber"
	case deref(a.PriceListID) != deref(old.PriceListID):
		return "priceListCode"
	case a.Currency != old.Currency:
		return "currency"
	case a.ShipToCountry != old.ShipToCountry:
		return "shipToCountry"
	}
	return ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// invoiceAccountID finds the invoice account in the account's company and
// explains when it exists only in another one.
func (s *Service) invoiceAccountID(ctx context.Context, tx bun.Tx, legalEntityID, company, number string) (string, error) {
	var id string
	err := tx.NewRaw("SELECT id FROM customer_account WHERE legal_entity_id = ? AND account_number = ?",
		legalEntityID, number).Scan(ctx, &id)
	if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	var other string
	err = tx.NewRaw(`SELECT le.code FROM customer_account a JOIN legal_entity le ON le.id = a.legal_entity_id
		WHERE a.account_number = ? ORDER BY le.code LIMIT 1`, number).Scan(ctx, &other)
	if err == nil {
		return "", portal.FieldErrorf("invoiceAccountNumber",
			"Invoice account %s belongs to company %s, not %s; an invoice account must be in the account's own company.", number, other, company)
	}
	return "", portal.FieldErrorf("invoiceAccountNumber", "Invoice account %s does not exist in company %s; save it first.", number, company)
}

func upsertAccount(ctx context.Context, tx bun.Tx, a *CustomerAccount) error {
	newID := uuid.NewString()
	selfInvoice := a.InvoiceAccountID == ""
	invoice := a.InvoiceAccountID
	if selfInvoice {
		invoice = newID
	}
	// On conflict the row keeps its id; a self-invoicing account then
	// points at that id, not at the id we made up for the insert.
	return tx.NewRaw(`
		INSERT INTO customer_account AS ca (id, legal_entity_id, account_number, name, invoice_account_id,
			currency, price_list_id, ship_to_country, language)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (legal_entity_id, account_number) DO UPDATE SET
			name = EXCLUDED.name,
			invoice_account_id = CASE WHEN ? THEN ca.id ELSE EXCLUDED.invoice_account_id END,
			currency = EXCLUDED.currency, price_list_id = EXCLUDED.price_list_id,
			ship_to_country = EXCLUDED.ship_to_country, language = EXCLUDED.language, updated_at = now()
		RETURNING id, invoice_account_id`,
		newID, a.LegalEntityID, a.AccountNumber, a.Name, invoice, a.Currency, a.PriceListID,
		a.ShipToCountry, a.Language, selfInvoice).Scan(ctx, &a.ID, &a.InvoiceAccountID)
}

// replaceAddresses makes the account's addresses exactly addrs, updating
// those whose description stays so their ids stay too.
func replaceAddresses(ctx context.Context, tx bun.Tx, accountID string, addrs []*AddressInput) error {
	descs := make([]string, len(addrs))
	for i, a := range addrs {
		descs[i] = a.Description
	}
	q := tx.NewDelete().TableExpr("delivery_address").Where("customer_account_id = ?", accountID)
	if len(descs) > 0 {
		q = q.Where("description NOT IN (?)", bun.List(descs))
	}
	if _, err := q.Exec(ctx); err != nil {
		return err
	}
	for i, a := range addrs {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO delivery_address (customer_account_id, position, description, street, city, postal_code, country_code)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (customer_account_id, description) DO UPDATE SET position = EXCLUDED.position,
				street = EXCLUDED.street, city = EXCLUDED.city, postal_code = EXCLUDED.postal_code,
				country_code = EXCLUDED.country_code`,
			accountID, i+1, a.Description, a.Street, a.City, a.PostalCode, a.CountryCode)
		if err != nil {
			return err
		}
	}
	return nil
}

// CustomerAccountsByID returns the accounts with these ids in the same
// order, nil where there is none or the viewer may not read it.
func (s *Service) CustomerAccountsByID(ctx context.Context, ids []string) ([]*CustomerAccount, error) {
	scope := s.Policy.ReadScope(ctx, policies.TableCustomerAccount)
	var rows []*CustomerAccount
	if valid := db.ValidIDs(ids); len(valid) > 0 && !scope.None() {
		// The scope reaches the invoice account of the viewer's account
		// too (the model's INVOICE_ACCOUNT rule). Bound, not formatted:
		// one statement text for every viewer and set of ids.
		where, args := scope.Where(policies.AccountColumns("customer_account"))
		args = append(args, db.UUIDs(valid))
		var err error
		rows, err = db.Query(ctx, s.DB, make([]*CustomerAccount, 0, len(valid)), scanCustomerAccount,
			`SELECT customer_account.id, customer_account.legal_entity_id, customer_account.account_number,
				customer_account.name, customer_account.invoice_account_id, customer_account.currency,
				customer_account.price_list_id, customer_account.ship_to_country, customer_account.language
			FROM customer_account WHERE `+where+` AND customer_account.id = ANY(?::uuid[])`, args...)
		if err != nil {
			return nil, err
		}
	}
	return db.InOrder(ids, rows, func(a *CustomerAccount) string { return a.ID }), nil
}

// scanCustomerAccount reads a row of CustomerAccountsByID's columns
// (db.Query): every field of CustomerAccount.
func scanCustomerAccount(rows pgx.Rows) (*CustomerAccount, error) {
	a := new(CustomerAccount)
	err := rows.Scan(&a.ID, &a.LegalEntityID, &a.AccountNumber, &a.Name, &a.InvoiceAccountID, &a.Currency,
		&a.PriceListID, &a.ShipToCountry, &a.Language)
	return a, err
}

// CustomerAccount returns one account; ENOTFOUND when there is none or the
// viewer may not read it.
func (s *Service) CustomerAccount(ctx context.Context, id string) (*CustomerAccount, error) {
	as, err := s.CustomerAccountsByID(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if as[0] == nil {
		return nil, portal.Errorf(portal.ENOTFOUND, "This customer account does not exist, or your roles do not allow reading it.")
	}
	return as[0], nil
}

// DeliveryAddresses lists an account's delivery addresses in their order,
// as far as the viewer may read them: by default through their account
// (PARENT scope), so an account the viewer cannot read has none.
func (s *Service) DeliveryAddresses(ctx context.Context, accountID string) ([]*Address, error) {
	out := []*Address{}
	scope := s.Policy.ReadScope(ctx, policies.TableDeliveryAddress)
	if scope.None() || !db.ValidID(accountID) {
		return out, nil
	}
	// "address" is bun's alias for the Address model.
	where, args := scope.Where(policies.AddressColumns("address"))
	err := s.DB.NewSelect().Model(&out).Where("address.customer_account_id = ?", accountID).
		Where(where, args...).Order("address.position").Scan(ctx)
	return out, err
}
