package identity

import "net/mail"

// validEmail accepts a bare address (no display name) that net/mail parses.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}
