package identity

import (
	"context"
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

// MaxConcurrentHashes bounds how many argon2id hashes run at once in this
// process: each takes 64 MiB and two threads for tens of milliseconds, so a
// burst of sign-ins (an attacker's, say) would otherwise take memory
// without limit. Four is 256 MiB at most; the rest wait their turn.
const MaxConcurrentHashes = 4

// hashSlots is the semaphore behind MaxConcurrentHashes.
var hashSlots = make(chan struct{}, MaxConcurrentHashes)

// withHashSlot runs fn once a hashing slot is free, or returns ctx's error
// when ctx ends first (the client went away: nobody waits for the answer).
func withHashSlot(ctx context.Context, fn func()) error {
	select {
	case hashSlots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-hashSlots }()
	fn()
	return nil
}

// HashPassword returns the argon2id hash of password in PHC string format.
func HashPassword(password string) (string, error) {
	return hashPassword(context.Background(), password)
}

func hashPassword(ctx context.Context, password string) (hash string, err error) {
	if werr := withHashSlot(ctx, func() { hash, err = argon2id.CreateHash(password, argonParams) }); werr != nil {
		return "", werr
	}
	return hash, err
}

// PasswordMatches reports whether password matches the stored hash.
func PasswordMatches(password, hash string) bool {
	ok, _ := passwordMatches(context.Background(), password, hash)
	return ok
}

// passwordMatches is PasswordMatches within a request: it waits for a
// hashing slot no longer than ctx lasts, and says so with an error.
func passwordMatches(ctx context.Context, password, hash string) (bool, error) {
	var ok bool
	var err error
	if werr := withHashSlot(ctx, func() { ok, err = argon2id.ComparePasswordAndHash(password, hash) }); werr != nil {
		return false, werr
	}
	return err == nil && ok, nil
}
