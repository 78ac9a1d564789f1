package identity

import (
	"context"
	"errors"
	"strings"
	"time"

	portal "github.com/openportal/portal"
)

// InvitationCheck is what the sign-up page shows before asking for a
// password: whom the code is for, or why it cannot be used and what to do.
type InvitationCheck struct {
	Usable bool
	// Message says what to do when the code cannot be used.
	Message   *string
	Email     *string
	FirstName *string
	ExpiresAt *time.Time
}

// CheckInvitation looks at an invitation code without using it. The code is
// a 256-bit secret, so whoever holds it may learn whom it is for.
func (s *Service) CheckInvitation(ctx context.Context, code string) (*InvitationCheck, error) {
	codeHash := hashSecret(strings.TrimSpace(code))
	inv, err := s.usableInvitation(ctx, s.DB, codeHash, false)
	if err != nil {
		return refusedCheck(err)
	}
	c, err := s.redeemableContact(ctx, s.DB, inv.ContactID, false)
	if err != nil {
		return refusedCheck(err)
	}
	return &InvitationCheck{Usable: true, Email: &c.Email, FirstName: &c.FirstName, ExpiresAt: &inv.ExpiresAt}, nil
}

// refusedCheck turns a redemption's refusal into its explanation.
func refusedCheck(err error) (*InvitationCheck, error) {
	var pe *portal.Error
	if errors.As(err, &pe) && pe.Code == portal.EINVALID {
		return &InvitationCheck{Message: &pe.Message}, nil
	}
	return nil, err
}
