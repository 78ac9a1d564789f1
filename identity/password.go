package identity

import (
	"strings"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"

	portal "github.com/openportal/portal"
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 12

// argonParams follow RFC 9106's second recommended option (64 MiB, 3
// passes) scaled to 2 lanes for small servers.
var argonParams = &argon2id.Params{Memory: 64 * 1024, Iterations: 3, Parallelism: 2, SaltLength: 16, KeyLength: 32}

// CheckPasswordPolicy refuses passwords that are too short or that are the
// email address itself.
func CheckPasswordPolicy(field, password, email string) error {
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return portal.FieldErrorf(field, "The password must be at least %d characters long.", MinPasswordLength)
	}
	if strings.EqualFold(strings.TrimSpace(password), strings.TrimSpace(email)) {
		return portal.FieldErrorf(field, "The password must not be your email address.")
	}
	return nil
}

// HashPassword returns the argon2id hash of password in PHC string format.
func HashPassword(password string) (string, error) {
	return argon2id.CreateHash(password, argonParams)
}

// PasswordMatches reports whether password matches the stored hash.
func PasswordMatches(password, hash string) bool {
	ok, err := argon2id.ComparePasswordAndHash(password, hash)
	return err == nil && ok
}
