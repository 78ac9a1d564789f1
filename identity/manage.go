package identity

import (
	"context"
	"database/sql"
	"errors"
	"strings"

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
// contacts. Nothing is written on error.
func (s *Service) CreateContact(ctx context.Context, in ContactInput) (*Contact, error) {
	if err := s.Policy.Require(ctx, policies.TableContact, policies.Create); err != nil {
		return nil, err
	}
	c, err := s.validateContact(ctx, in)
	if err != nil {
		return nil, err
	}
	// Table-level CREATE is not enough: the new contact's account must be
	// in the viewer's CREATE scope (a representative creating contacts of
	// its own account only, say).
	if !s.Policy.Scope(ctx, policies.TableContact, policies.Create).Allows(policies.Row{AccountID: *c.CustomerAccountID}) {
		return nil, portal.Errorf(portal.EFORBIDDEN, "Your roles do not allow creating contacts at customer account %s; ask an administrator.", in.AccountNumber)
	}
	err = db.Tx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if err := createContact(ctx, tx, c); err != nil {
			return err
		}
		if err := recordContactEvent(ctx, tx, c.ID); err != nil {
			return err
		}
		return audit(ctx, tx, ActionContactCreated, "contact", c.ID, map[string]any{"email": c.Email})
	})
	if err != nil {
		return nil, err
	}
	return s.Contact(ctx, c.ID)
}

// UpdateContact changes a contact; every field of the input is set.
// Returns ENOTFOUND when the contact does not exist or is not readable,
// EINVALID naming the field at fault, ECONFLICT for an email in use,
// EFORBIDDEN when the viewer may read but not change it.
func (s *Service) UpdateContact(ctx context.Context, id string, in ContactInput) (*Contact, error) {
	old, err := s.Contact(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.requireWrite(ctx, old); err != nil {
		return nil, err
	}
	c, err := s.validateContact(ctx, in)
	if err != nil {
		return nil, err
	}
	// What decides what a contact may see and pay (its account, company,
	// price list, currency, ship-to country) is the company's to set:
	// changing it needs GLOBAL write, not only write on the contact (a
	// SELF permission to edit one's own profile, say).
	write := s.Policy.Scope(ctx, policies.TableContact, policies.Write)
	commercial := deref(old.CustomerAccountID) != *c.CustomerAccountID || deref(old.OwnPriceListID) != deref(c.OwnPriceListID) ||
		deref(old.OwnCurrency) != deref(c.OwnCurrency) || deref(old.OwnShipToCountry) != deref(c.OwnShipToCountry)
	if commercial && !write.All {
		return nil, portal.Errorf(portal.EFORBIDDEN, "Only an administrator may change the account, price list, currency or ship-to country of %s.", old.Email)
	}
	// An open invitation was meant for the contact as it was: a new email
	// or account withdraws it (the administrator invites again).
	revokeInvitations := commercial || !strings.EqualFold(old.Email, c.Email)
	err = db.Tx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE contact SET legal_entity_id = ?, customer_account_id = ?,
			first_name = ?, last_name = ?, email = ?, price_list_id = ?, currency = ?, ship_to_country = ?,
			language = ?, updated_at = now() WHERE id = ?`,
			c.LegalEntityID, c.CustomerAccountID, c.FirstName, c.LastName, c.Email,
			c.OwnPriceListID, c.OwnCurrency, c.OwnShipToCountry, c.OwnLanguage, id)
		if db.IsUniqueViolation(err, "contact_email_key") {
			return emailTaken(c.Email)
		}
		if err != nil {
			return err
		}
		if revokeInvitations {
			if err := revokeOpenInvitations(ctx, tx, id); err != nil {
				return err
			}
		}
		if err := recordContactEvent(ctx, tx, id); err != nil {
			return err
		}
		return audit(ctx, tx, ActionContactUpdated, "contact", id, map[string]any{"email": c.Email, "previousEmail": old.Email})
	})
	if err != nil {
		return nil, err
	}
	return s.Contact(ctx, id)
}

// SetDisabled disables a contact, which ends its sessions and stops it
// signing in, or enables it again.
// Returns ENOTFOUND, EFORBIDDEN, and ECONFLICT when an administrator would
// disable themselves (someone else must).
func (s *Service) SetDisabled(ctx context.Context, id string, disabled bool) (*Contact, error) {
	c, err := s.Contact(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.requireWrite(ctx, c); err != nil {
		return nil, err
	}
	if disabled && id == portal.ViewerFrom(ctx).ContactID {
		return nil, portal.Errorf(portal.ECONFLICT, "You cannot disable your own contact; ask another administrator.")
	}
	action := ActionContactEnabled
	if disabled {
		action = ActionContactDisabled
	}
	err = db.Tx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE contact SET disabled = ?, updated_at = now() WHERE id = ?", disabled, id); err != nil {
			return err
		}
		if disabled {
			if err := policies.AdminsRemain(ctx, tx); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM session WHERE contact_id = ?", id); err != nil {
				return err
			}
			if err := revokeOpenInvitations(ctx, tx, id); err != nil {
				return err
			}
		}
		if err := recordContactEvent(ctx, tx, id); err != nil {
			return err
		}
		return audit(ctx, tx, action, "contact", id, nil)
	})
	if err != nil {
		return nil, err
	}
	return s.Contact(ctx, id)
}

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
	cs, err := s.ContactsByID(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if cs[0] == nil {
		return nil, portal.Errorf(portal.ENOTFOUND, "Contact %s does not exist.", id)
	}
	return cs[0], nil
}

// validateContact checks an input and resolves its codes.
func (s *Service) validateContact(ctx context.Context, in ContactInput) (*Contact, error) {
	c := &Contact{FirstName: strings.TrimSpace(in.FirstName), LastName: strings.TrimSpace(in.LastName), Email: normalizeEmail(in.Email)}
	if c.FirstName == "" {
		return nil, portal.FieldErrorf("firstName", "First name is required.")
	}
	if c.LastName == "" {
		return nil, portal.FieldErrorf("lastName", "Last name is required.")
	}
	if !validEmail(c.Email) {
		return nil, portal.FieldErrorf("email", "%q is not an email address such as jane@example.com.", in.Email)
	}
	company := strings.ToUpper(strings.TrimSpace(in.Company))
	number := strings.TrimSpace(in.AccountNumber)
	var ids struct{ LegalEntityID, AccountID sql.NullString }
	err := s.DB.NewRaw(`SELECT le.id AS legal_entity_id, a.id AS account_id FROM legal_entity le
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
		err := s.DB.NewRaw("SELECT id, currency FROM price_list WHERE legal_entity_id = ? AND code = ?", ids.LegalEntityID.String, code).Scan(ctx, &pl)
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
			if err := s.DB.NewRaw("SELECT currency FROM customer_account WHERE id = ?", ids.AccountID.String).Scan(ctx, &cur); err != nil {
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
