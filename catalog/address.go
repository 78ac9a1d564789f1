package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/policies"
)

// Delivery addresses have their own mutations, governed by the
// delivery_address permissions alone: maintaining an account's addresses
// must not need write on the account itself, which would also reach its
// commercial terms.

// errNoAddress answers for an address or account that does not exist or
// that the viewer may not read; it names nothing.
var errNoAddress = portal.Errorf(portal.ENOTFOUND, "This delivery address does not exist, or your roles do not allow reading it.")

// CreateDeliveryAddress adds a delivery address at the end of an account's
// list.
// Returns ENOTFOUND when the viewer may not read the account, EFORBIDDEN
// when it may read but not add addresses to it (CREATE on delivery_address,
// GLOBAL or PARENT through the account), EINVALID naming the field at
// fault, ECONFLICT when the account already has an address with that
// description.
func (s *Service) CreateDeliveryAddress(ctx context.Context, accountID string, in AddressInput) (*Address, error) {
	if err := s.Policy.Require(ctx, policies.TableDeliveryAddress, policies.Create); err != nil {
		return nil, err
	}
	return db.TxValue(ctx, s.DB, func(ctx context.Context, tx bun.Tx) (*Address, error) {
		number, err := s.lockReadableAccount(ctx, tx, accountID)
		if err != nil {
			return nil, err
		}
		if !addressAllowed(s.Policy.Scope(ctx, policies.TableDeliveryAddress, policies.Create), accountID) {
			return nil, portal.Errorf(portal.EFORBIDDEN, "Your roles do not allow adding delivery addresses to customer account %s; ask an administrator.", number)
		}
		a, err := validateAddress(ctx, tx, "input", in)
		if err != nil {
			return nil, err
		}
		err = tx.NewRaw(`INSERT INTO delivery_address (customer_account_id, position, description, street, city, postal_code, country_code)
			SELECT ?, COALESCE(max(position), 0) + 1, ?, ?, ?, ?, ? FROM delivery_address WHERE customer_account_id = ?
			RETURNING id, customer_account_id, position`,
			accountID, a.Description, a.Street, a.City, a.PostalCode, a.CountryCode, accountID).Scan(ctx, &a.ID, &a.CustomerAccountID, &a.Position)
		if db.IsUniqueViolation(err, "") {
			return nil, descriptionTaken(number, a.Description)
		}
		return a, err
	})
}

// UpdateDeliveryAddress changes an address; it keeps its id and position.
// Returns ENOTFOUND when the viewer may not read it, EFORBIDDEN when it may
// read but not change it, EINVALID naming the field at fault, ECONFLICT
// when another address of the account has that description.
func (s *Service) UpdateDeliveryAddress(ctx context.Context, id string, in AddressInput) (*Address, error) {
	return db.TxValue(ctx, s.DB, func(ctx context.Context, tx bun.Tx) (*Address, error) {
		old, number, err := s.lockAddress(ctx, tx, id, policies.Write)
		if err != nil {
			return nil, err
		}
		a, err := validateAddress(ctx, tx, "input", in)
		if err != nil {
			return nil, err
		}
		a.ID, a.CustomerAccountID, a.Position = old.ID, old.CustomerAccountID, old.Position
		_, err = tx.ExecContext(ctx, `UPDATE delivery_address SET description = ?, street = ?, city = ?, postal_code = ?,
			country_code = ? WHERE id = ?`, a.Description, a.Street, a.City, a.PostalCode, a.CountryCode, a.ID)
		if db.IsUniqueViolation(err, "") {
			return nil, descriptionTaken(number, a.Description)
		}
		return a, err
	})
}

// DeleteDeliveryAddress deletes an address. Orders keep theirs: they hold a
// copy of the address, not a reference.
// Returns ENOTFOUND when the viewer may not read it, EFORBIDDEN when it may
// read but not delete it.
func (s *Service) DeleteDeliveryAddress(ctx context.Context, id string) error {
	return db.Tx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		a, _, err := s.lockAddress(ctx, tx, id, policies.Delete)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM delivery_address WHERE id = ?", a.ID)
		return err
	})
}

// lockReadableAccount locks an account the viewer may read and returns its
// number, or ENOTFOUND naming nothing.
func (s *Service) lockReadableAccount(ctx context.Context, tx bun.Tx, id string) (string, error) {
	notFound := portal.Errorf(portal.ENOTFOUND, "This customer account does not exist, or your roles do not allow reading it.")
	scope := s.Policy.ReadScope(ctx, policies.TableCustomerAccount)
	if !db.ValidID(id) || scope.None() {
		return "", notFound
	}
	where, args := scope.Where(policies.AccountColumns("a"))
	var number string
	err := tx.NewRaw("SELECT a.account_number FROM customer_account a WHERE "+where+" AND a.id = ? FOR UPDATE",
		append(args, id)...).Scan(ctx, &number)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound
	}
	return number, err
}

// lockAddress locks an address the viewer may read (with its account, so
// changes of one account's addresses follow one another) and checks priv
// on it; it returns the address and its account's number.
func (s *Service) lockAddress(ctx context.Context, tx bun.Tx, id string, priv policies.Privilege) (*Address, string, error) {
	scope := s.Policy.ReadScope(ctx, policies.TableDeliveryAddress)
	if !db.ValidID(id) || scope.None() {
		return nil, "", errNoAddress
	}
	where, args := scope.Where(policies.AddressColumns("d"))
	a := &Address{}
	var number string
	err := tx.NewRaw(`SELECT d.id, d.customer_account_id, d.position, d.description, d.street, d.city, d.postal_code, d.country_code,
			acc.account_number
		FROM delivery_address d JOIN customer_account acc ON acc.id = d.customer_account_id
		WHERE `+where+` AND d.id = ? FOR UPDATE`, append(args, id)...).
		Scan(ctx, &a.ID, &a.CustomerAccountID, &a.Position, &a.Description, &a.Street, &a.City, &a.PostalCode, &a.CountryCode, &number)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", errNoAddress
	}
	if err != nil {
		return nil, "", err
	}
	if !addressAllowed(s.Policy.Scope(ctx, policies.TableDeliveryAddress, priv), a.CustomerAccountID) {
		return nil, "", portal.Errorf(portal.EFORBIDDEN, "Your roles do not allow %s on the delivery addresses of customer account %s; ask an administrator.", priv, number)
	}
	return a, number, nil
}

// addressAllowed reports whether scope, of delivery_address, reaches the
// addresses of an account: an address is owned through its account only
// (GLOBAL, or PARENT).
func addressAllowed(scope policies.Scope, accountID string) bool {
	return scope.AllowsUnder(policies.Row{AccountID: accountID})
}

// validateAddress checks one address input; prefix is its field's path.
func validateAddress(ctx context.Context, idb bun.IDB, prefix string, in AddressInput) (*Address, error) {
	a := &Address{Description: trim(in.Description), Street: trim(in.Street), City: trim(in.City),
		PostalCode: trim(in.PostalCode), CountryCode: upperCode(in.CountryCode)}
	var v validator
	v.check(a.Description != "", prefix+".description", "A delivery address needs a description; it travels with the order.")
	v.check(a.Street != "", prefix+".street", "A delivery address needs a street.")
	v.check(a.City != "", prefix+".city", "A delivery address needs a city.")
	for _, fv := range []struct{ name, value string }{
		{"description", a.Description}, {"street", a.Street}, {"city", a.City}, {"postalCode", a.PostalCode},
	} {
		v.length(prefix+"."+fv.name, fv.value, maxNameLength)
	}
	v.length(prefix+".countryCode", a.CountryCode, maxCodeLength)
	if v.err == nil {
		v.fail(checkCountry(ctx, idb, prefix+".countryCode", a.CountryCode))
	}
	return a, v.err
}

func descriptionTaken(account, description string) error {
	return &portal.Error{Code: portal.ECONFLICT, Field: "description",
		Message: fmt.Sprintf("Customer account %s already has a delivery address %q; descriptions must differ.", account, description)}
}
