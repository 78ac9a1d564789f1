package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"

	"github.com/uptrace/bun/dialect/pgdialect"
)

// newSecret returns a random 256-bit secret, URL-safe, and its SHA-256,
// which is all that is stored: invitation codes and session tokens.
func newSecret() (secret string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics rather than return an error since Go 1.24)
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, hashSecret(secret)
}

func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// pgArray passes a Go slice as a PostgreSQL array parameter.
func pgArray(v []string) any { return pgdialect.Array(v) }
