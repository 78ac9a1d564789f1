package identity

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/policies"
)

// ContactInput creates or changes a contact. Company and AccountNumber
// place it at a customer account; the optional values override the
// account's.
type ContactInput struct {
	FirstName     string
	LastName      string
	Email         string
	Company       string
	AccountNumber string
	PriceListCode *string
	Currency      *string
	ShipToCountry *string
	Language      *string
}

// CreateContact creates a contact at a customer account. It has no sign-in
// until it redeems an invitation.
// Returns EINVALID naming the field at fault, ECONFLICT for an email in use
// (in any case), EUNAUTHENTICATED/EFORBIDDEN when the viewer may not create
// contacts, or may not give it its own commercial terms. Nothing is written
// on error.
func (s *Service) CreateContact(ctx context.Context, in ContactInput) (*Contact, error) {
	if err := s.Policy.Require(ctx, policies.TableContact, policies.Create); err != nil {
		return nil, err
	}
	return db.TxValue(ctx, s.DB, func(ctx context.Context, tx bun.Tx) (*Contact, error) {
		c, err := s.validateContact(ctx, tx, in)
		if err != nil {
			return nil, err
		}
		// Table-level CREATE is not enough: the new contact's account must
		// be in the viewer's CREATE scope (a representative creating
		// contacts of its own account only, say).
		if !s.Policy.Scope(ctx, policies.TableContact, policies.Create).Allows(policies.Row{AccountID: *c.CustomerAccountID}) {
			return nil, portal.Errorf(portal.EFORBIDDEN, "Your roles do not allow creating contacts at customer account %s; ask an administrator.", strings.TrimSpace(in.AccountNumber))
		}
		// Its own price list, currency or ship-to country are commercial
		// terms, as on updateContact: a representative may add colleagues
		// on the account's terms, not on terms of its choosing.
		if (c.OwnPriceListID != nil || c.OwnCurrency != nil || c.OwnShipToCountry != nil) && !s.Policy.May(ctx, policies.SetContactTerms) {
			return nil, portal.Errorf(portal.EFORBIDDEN, "Only an administrator may give a contact its own price list, currency or ship-to country; leave them out to use the account's.")
		}
		if err := createContact(ctx, tx, c); err != nil {
			return nil, err
		}
		if err := recordContactEvent(ctx, tx, c.ID); err != nil {
			return nil, err
		}
		if err := audit(ctx, tx, ActionContactCreated, "contact", c.ID, map[string]any{"email": c.Email}); err != nil {
			return nil, err
		}
		return s.contactIn(ctx, tx, c.ID)
	})
}

// UpdateContact changes a contact; every field of the input is set. The
// contact is locked before anything about it is checked, so a concurrent
// change cannot slip between the check and the write.
// Returns ENOTFOUND when the contact does not exist or is not readable,
// EINVALID naming the field at fault, ECONFLICT for an email in use,
// EFORBIDDEN when the viewer may read but not change it.
func (s *Service) UpdateContact(ctx context.Context, id string, in ContactInput) (*Contact, error) {
	return s.forgetAfter(db.TxValue(ctx, s.DB, func(ctx context.Context, tx bun.Tx) (*Contact, error) {
		old, err := s.lockContact(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if err := s.requireWrite(ctx, old); err != nil {
			return nil, err
		}
		c, err := s.validateContact(ctx, tx, in)
		if err != nil {
			return nil, err
		}
		// What decides what a contact may see and pay (its account,
		// company, price list, currency, ship-to country) is the company's
		// to set (policies.SetContactTerms), not only write on the contact
		// (a SELF permission to edit one's own profile, say).
		commercial := deref(old.CustomerAccountID) != *c.CustomerAccountID || deref(old.OwnPriceListID) != deref(c.OwnPriceListID) ||
			deref(old.OwnCurrency) != deref(c.OwnCurrency) || deref(old.OwnShipToCountry) != deref(c.OwnShipToCountry)
		if commercial && !s.Policy.May(ctx, policies.SetContactTerms) {
			return nil, portal.Errorf(portal.EFORBIDDEN, "Only an administrator may change the account, price list, currency or ship-to country of %s.", old.Email)
		}
		_, err = tx.ExecContext(ctx, `UPDATE contact SET legal_entity_id = ?, customer_account_id = ?,
			first_name = ?, last_name = ?, email = ?, price_list_id = ?, currency = ?, ship_to_country = ?,
			language = ?, updated_at = now() WHERE id = ?`,
			c.LegalEntityID, c.CustomerAccountID, c.FirstName, c.LastName, c.Email,
			c.OwnPriceListID, c.OwnCurrency, c.OwnShipToCountry, c.OwnLanguage, old.ID)
		if db.IsUniqueViolation(err, "contact_email_key") {
			return nil, emailTaken(c.Email)
		}
		if err != nil {
			return nil, err
		}
		// An open invitation was meant for the contact as it was: a new
		// email or account withdraws it (the administrator invites again).
		if commercial || !strings.EqualFold(old.Email, c.Email) {
			if err := revokeOpenInvitations(ctx, tx, old.ID); err != nil {
				return nil, err
			}
		}
		if err := recordContactEvent(ctx, tx, old.ID); err != nil {
			return nil, err
		}
		if err := audit(ctx, tx, ActionContactUpdated, "contact", old.ID, map[string]any{"email": c.Email, "previousEmail": old.Email}); err != nil {
			return nil, err
		}
		return s.contactIn(ctx, tx, old.ID)
	}))
}

// SetDisabled disables a contact, which ends its sessions and stops it
// signing in, or enables it again. Like UpdateContact it locks the contact
// first and checks it under the lock.
// Returns ENOTFOUND, EFORBIDDEN, and ECONFLICT when an administrator would
// disable themselves (someone else must).
func (s *Service) SetDisabled(ctx context.Context, id string, disabled bool) (*Contact, error) {
	action := ActionContactEnabled
	if disabled {
		action = ActionContactDisabled
	}
	return s.forgetAfter(db.TxValue(ctx, s.DB, func(ctx context.Context, tx bun.Tx) (*Contact, error) {
		c, err := s.lockContact(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if err := s.requireWrite(ctx, c); err != nil {
			return nil, err
		}
		// c.ID is the database's spelling of the id: the caller's may
		// differ in case and still name the same contact.
		if disabled && db.SameID(c.ID, portal.ViewerFrom(ctx).ContactID) {
			return nil, portal.Errorf(portal.ECONFLICT, "You cannot disable your own contact; ask another administrator.")
		}
		if _, err := tx.ExecContext(ctx, "UPDATE contact SET disabled = ?, updated_at = now() WHERE id = ?", disabled, c.ID); err != nil {
			return nil, err
		}
		if disabled {
			if err := policies.AdminsRemain(ctx, tx); err != nil {
				return nil, err
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM session WHERE contact_id = ?", c.ID); err != nil {
				return nil, err
			}
			if err := revokeOpenInvitations(ctx, tx, c.ID); err != nil {
				return nil, err
			}
		}
		if err := recordContactEvent(ctx, tx, c.ID); err != nil {
			return nil, err
		}
		if err := audit(ctx, tx, action, "contact", c.ID, nil); err != nil {
			return nil, err
		}
		return s.contactIn(ctx, tx, c.ID)
	}))
}

// forgetAfter drops a changed contact's cached sessions on this instance
// once the change is committed, so that its next request here sees it
// (disabled, another account) without waiting for the trigger's
// notification, which tells the other instances.
func (s *Service) forgetAfter(c *Contact, err error) (*Contact, error) {
	if err == nil {
		s.Sessions.ForgetContact(c.ID)
	}
	return c, err
}

// lockContact locks a contact the viewer may read, for a change checked
// under that lock. It answers ENOTFOUND, naming nothing, for a contact that
// does not exist or that the viewer may not read.
func (s *Service) lockContact(ctx context.Context, tx bun.IDB, id string) (*Contact, error) {
	scope := s.Policy.ReadScope(ctx, policies.TableContact)
	if !db.ValidID(id) || scope.None() {
		return nil, errNoContact
	}
	where, args := scope.Where(policies.ContactColumns("c"))
	c := &Contact{}
	err := tx.NewRaw(contactSelect+" WHERE "+where+" AND c.id = ? FOR UPDATE OF c", append(args, id)...).Scan(ctx, c)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoContact
	}
	return c, err
}

// errNoContact answers for a contact that does not exist or that the
// viewer may not read; it names nothing, so it tells which is which to
// nobody.
var errNoContact = portal.Errorf(portal.ENOTFOUND, "This contact does not exist, or your roles do not allow reading it.")

// requireWrite checks WRITE on a contact the viewer can already read: a
// readable row it may not change is FORBIDDEN, not NOT_FOUND.
func (s *Service) requireWrite(ctx context.Context, c *Contact) error {
	scope := s.Policy.Scope(ctx, policies.TableContact, policies.Write)
	if scope.Allows(policies.Row{ContactID: c.ID, AccountID: deref(c.CustomerAccountID)}) {
		return nil
	}
	return portal.Errorf(portal.EFORBIDDEN, "Your roles do not allow changing contact %s; ask an administrator.", c.Email)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Contact returns one contact; ENOTFOUND when it does not exist or the
// viewer may not read it.
func (s *Service) Contact(ctx context.Context, id string) (*Contact, error) {
	return s.contactIn(ctx, s.DB, id)
}

// contactIn is Contact inside a transaction (or not, with s.DB).
func (s *Service) contactIn(ctx context.Context, idb bun.IDB, id string) (*Contact, error) {
	cs, err := s.contactsByID(ctx, idb, []string{id})
	if err != nil {
		return nil, err
	}
	if cs[0] == nil {
		return nil, errNoContact
	}
	return cs[0], nil
}

// Length limits of a contact's text, checked before the database's index
// on email would refuse an over-long one as an internal error. 254 is the
// longest address SMTP can carry (RFC 5321's path limit).
const (
	maxContactNameLength = 200
	maxEmailLength       = 254
	maxCodeLength        = 100 // as catalog's codes
)

// validateContact checks an input and resolves its codes.
func (s *Service) validateContact(ctx context.Context, idb bun.IDB, in ContactInput) (*Contact, error) {
	c := &Contact{FirstName: strings.TrimSpace(in.FirstName), LastName: strings.TrimSpace(in.LastName), Email: normalizeEmail(in.Email)}
	for _, f := range []struct{ field, value, what string }{
		{"firstName", c.FirstName, "First name"}, {"lastName", c.LastName, "Last name"},
	} {
		if f.value == "" {
			return nil, portal.FieldErrorf(f.field, "%s is required.", f.what)
		}
		if n := utf8.RuneCountInString(f.value); n > maxContactNameLength {
			return nil, portal.FieldErrorf(f.field, "%s is %d characters long; at most %d fit.", f.what, n, maxContactNameLength)
		}
	}
	if len(c.Email) > maxEmailLength {
		return nil, portal.FieldErrorf("email", "The email address is %d characters long; at most %d fit.", len(c.Email), maxEmailLength)
	}
	if !validEmail(c.Email) {
		return nil, portal.FieldErrorf("email", "%q is not an email address such as jane@example.com.", c.Email)
	}
	company := strings.ToUpper(strings.TrimSpace(in.Company))
	number := strings.TrimSpace(in.AccountNumber)
	// Codes are short; a longer one exists nowhere and is not echoed.
	if utf8.RuneCountInString(company) > maxCodeLength {
		return nil, portal.FieldErrorf("company", "Company codes are at most %d characters long; use the code of a legal entity such as USMF.", maxCodeLength)
	}
	if utf8.RuneCountInString(number) > maxCodeLength {
		return nil, portal.FieldErrorf("accountNumber", "Account numbers are at most %d characters long.", maxCodeLength)
	}
	var ids struct{ LegalEntityID, AccountID sql.NullString }
	err := idb.NewRaw(`SELECT le.id AS legal_entity_id, a.id AS account_id FROM legal_entity le
		LEFT JOIN customer_account a ON a.legal_entity_id = le.id AND a.account_number = ?
		WHERE le.code = ?`, number, company).Scan(ctx, &ids)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, portal.FieldErrorf("company", "Company %q does not exist; use the code of a legal entity such as USMF.", in.Company)
	case err != nil:
		return nil, err
	case !ids.AccountID.Valid:
		return nil, portal.FieldErrorf("accountNumber", "Customer account %q does not exist in company %s.", number, company)
	}
	c.LegalEntityID, c.CustomerAccountID = &ids.LegalEntityID.String, &ids.AccountID.String
	if in.Currency != nil && strings.TrimSpace(*in.Currency) != "" {
		cur := strings.ToUpper(strings.TrimSpace(*in.Currency))
		if err := s.Catalog.CheckCurrency(ctx, "currency", cur); err != nil {
			return nil, err
		}
		c.OwnCurrency = &cur
	}
	if in.ShipToCountry != nil && strings.TrimSpace(*in.ShipToCountry) != "" {
		country := strings.ToUpper(strings.TrimSpace(*in.ShipToCountry))
		if err := s.Catalog.CheckCountry(ctx, "shipToCountry", country); err != nil {
			return nil, err
		}
		c.OwnShipToCountry = &country
	}
	if in.Language != nil && strings.TrimSpace(*in.Language) != "" {
		lang, err := catalog.CanonicalLanguage("language", strings.TrimSpace(*in.Language))
		if err != nil {
			return nil, err
		}
		c.OwnLanguage = &lang
	}
	if in.PriceListCode != nil && strings.TrimSpace(*in.PriceListCode) != "" {
		code := strings.TrimSpace(*in.PriceListCode)
		var pl struct{ ID, Currency string }
		err := idb.NewRaw("SELECT id, currency FROM price_list WHERE legal_entity_id = ? AND code = ?", ids.LegalEntityID.String, code).Scan(ctx, &pl)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, portal.FieldErrorf("priceListCode", "Price list %q does not exist in company %s.", code, company)
		}
		if err != nil {
			return nil, err
		}
		// The contact's prices must be in the currency it orders in: its
		// own, else its account's.
		cur := deref(c.OwnCurrency)
		if cur == "" {
			if err := idb.NewRaw("SELECT currency FROM customer_account WHERE id = ?", ids.AccountID.String).Scan(ctx, &cur); err != nil {
				return nil, err
			}
		}
		if pl.Currency != cur {
			return nil, portal.FieldErrorf("priceListCode", "Price list %q is in %s but the contact orders in %s; choose a %s price list or set the contact's currency to %s.",
				code, pl.Currency, cur, cur, pl.Currency)
		}
		c.OwnPriceListID = &pl.ID
	}
	return c, nil
}

func emailTaken(email string) error {
	return &portal.Error{Code: portal.ECONFLICT, Field: "email",
		Message: "A contact with email " + email + " already exists; emails are unique regardless of case."}
}
