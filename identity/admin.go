package identity

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/policies"
)

// SeedContact describes a contact made with a password and roles but no
// invitation. Only the command line makes these (the administrator
// bootstrap and demo data): no API, page or form reaches it.
type SeedContact struct {
	Email     string
	Password  string
	FirstName string
	LastName  string
	// Company and AccountNumber place the contact at a customer account;
	// both empty for an administrator of the portal itself.
	Company       string
	AccountNumber string
	// RoleKeys are keys of built-in roles (portal.Role*).
	RoleKeys []string
}

// CreateAdministrator creates a contact with a password in the built-in
// Administrators role: the bootstrap of a new installation, run by whoever
// runs the server, so it asks no permission.
// Returns EINVALID for a bad email or weak password, ECONFLICT when a
// contact with that email exists.
func (s *Service) CreateAdministrator(ctx context.Context, email, password string) (*Contact, error) {
	return s.CreateSeedContact(ctx, SeedContact{
		Email: email, Password: password, FirstName: "Portal", LastName: "Administrator",
		RoleKeys: []string{portal.RoleAdministrators},
	})
}

// CreateSeedContact creates a contact that can sign in at once, acting as
// the operator (policies.Operator) whatever ctx's viewer: see SeedContact
// for who may call it; the API never does.
// Returns EINVALID for a bad email, weak password, unknown company or
// account, ECONFLICT when a contact with that email exists.
func (s *Service) CreateSeedContact(ctx context.Context, in SeedContact) (*Contact, error) {
	ctx = policies.Operator(ctx)
	c := &Contact{Email: normalizeEmail(in.Email), FirstName: strings.TrimSpace(in.FirstName), LastName: strings.TrimSpace(in.LastName)}
	if !validEmail(c.Email) {
		return nil, portal.FieldErrorf("email", "%q is not an email address.", in.Email)
	}
	if err := CheckPasswordPolicy("password", in.Password, c.Email); err != nil {
		return nil, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	c.PasswordHash = &hash
	err = db.Tx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if in.Company != "" || in.AccountNumber != "" {
			var ids struct{ LegalEntityID, ID string }
			err := tx.NewRaw(`SELECT a.legal_entity_id, a.id FROM customer_account a
				JOIN legal_entity le ON le.id = a.legal_entity_id
				WHERE le.code = ? AND a.account_number = ?`, strings.ToUpper(in.Company), in.AccountNumber).Scan(ctx, &ids)
			if errors.Is(err, sql.ErrNoRows) {
				return portal.FieldErrorf("accountNumber", "Customer account %q does not exist in company %q.", in.AccountNumber, in.Company)
			}
			if err != nil {
				return err
			}
			c.LegalEntityID, c.CustomerAccountID = &ids.LegalEntityID, &ids.ID
		}
		if err := createContact(ctx, tx, c); err != nil {
			return err
		}
		for _, k := range in.RoleKeys {
			if err := s.Roles.Assign(ctx, tx, c.ID, k); err != nil {
				return err
			}
		}
		return auditAs(ctx, tx, "", ActionContactCreated, "contact", c.ID,
			map[string]any{"email": c.Email, "roles": in.RoleKeys, "via": "command line"})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
