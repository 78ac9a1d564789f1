// Package portal holds what every part of Portal shares: the error type with
// its codes, and the viewer that every request carries. It has no
// dependencies of its own, so domain packages, the GraphQL layer and the site
// can all import it.
package portal

// The GraphQL code in graph/ is generated from graph/schema by gqlgen,
// configured in gqlgen.yml; paths there are relative to this directory.
//go:generate go tool gqlgen generate

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error codes. Each maps to exactly one GraphQL extensions.code (see
// graph.errorPresenter) and one HTTP status on the site; domain code only
// ever speaks these.
const (
	EINVALID         = "invalid"         // BAD_USER_INPUT: the caller can fix the input
	ENOTFOUND        = "not_found"       // NOT_FOUND: missing, or not readable by the viewer
	ECONFLICT        = "conflict"        // CONFLICT: the state of a record forbids it
	EUNAUTHENTICATED = "unauthenticated" // UNAUTHENTICATED: sign in first
	EFORBIDDEN       = "forbidden"       // FORBIDDEN: signed in, but not allowed
	ERATELIMITED     = "rate_limited"    // too many attempts; try again later
	EINTERNAL        = "internal"        // INTERNAL: our fault; logged with a request id
)

// Error is Portal's one error type: a code, a message a person can act on,
// and optionally the input field it is about.
type Error struct {
	Code    string
	Message string
	// Field names the input field at fault, as the API spells it
	// (e.g. "input.invoiceAccountNumber"); empty when not about one field.
	Field string
	// Details carries structured extras for the client, such as the list of
	// missing fields; nil when there are none.
	Details map[string]any
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EINVALID error about one input field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, else
// EINTERNAL: an error we did not name is our fault, not the caller's.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	}
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of err if it is an *Error, else a
// generic one: internal details are logged, never shown.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ValidText reports whether s is text PostgreSQL can store and a person
// could have typed: valid UTF-8 without NUL characters.
func ValidText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
