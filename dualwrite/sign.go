package dualwrite

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Headers of the protocol.
const (
	HeaderSignature   = "X-Portal-Signature"
	HeaderIdempotency = "Idempotency-Key"
)

// Envelope is every event, both ways.
type Envelope struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	OccurredAt time.Time `json:"occurredAt"`
	Data       any       `json:"data"`
}

// Sign returns the X-Portal-Signature of body: "sha256=" and the hex
// HMAC-SHA256 of the body with the shared secret.
func Sign(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature is body's signature with secret, in
// constant time. An empty secret verifies nothing: Portal refuses to accept
// unsigned events.
func Verify(body []byte, secret, signature string) bool {
	if secret == "" || !strings.HasPrefix(signature, "sha256=") {
		return false
	}
	return hmac.Equal([]byte(Sign(body, secret)), []byte(signature))
}
