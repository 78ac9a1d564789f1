package identity

import (
	"context"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
)

// AdminInput describes the administrator that `portal admin create` makes.
type AdminInput struct {
	Email     string
	Password  string
	FirstName string
	LastName  string
}

// CreateAdministrator creates a contact with a password in the built-in
// Administrators role. It is the bootstrap for a new installation, run from
// the command line by whoever runs the server, so it asks no permission.
// Returns EINVALID for a bad email or weak password, ECONFLICT when a
// contact with that email exists.
func (s *Service) CreateAdministrator(ctx context.Context, in AdminInput) (*Contact, error) {
	c := &Contact{Email: normalizeEmail(in.Email), FirstName: in.FirstName, LastName: in.LastName}
	if c.FirstName == "" {
		c.FirstName = "Portal"
	}
	if c.LastName == "" {
		c.LastName = "Administrator"
	}
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
		if err := createContact(ctx, tx, c); err != nil {
			return err
		}
		return s.Roles.Assign(ctx, tx, c.ID, portal.RoleAdministrators)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
