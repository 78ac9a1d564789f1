// Package portal holds what every part of Portal shares: the error type with
// its codes, and the viewer that every request carries. It has no
// dependencies of its own, so domain packages, the GraphQL layer and the site
// can all import it.
package portal

// The GraphQL code in graph/ is generated from graph/schema by gqlgen,
// configured in gqlgen.yml; paths there are relative to this directory.
//go:generate go tool gqlgen generate
//go:generate go run ./graph/internal/sequentiallists
//go:generate go run ./graph/internal/plainfields

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error codes. Each maps to exactly one GraphQL extensions.code and one
// HTTP status, in the table below; domain code only ever speaks these.
const (
	EINVALID         = "invalid"         // BAD_USER_INPUT: the caller can fix the input
	ENOTFOUND        = "not_found"       // NOT_FOUND: missing, or not readable by the viewer
	ECONFLICT        = "conflict"        // CONFLICT: the state of a record forbids it
	EUNAUTHENTICATED = "unauthenticated" // UNAUTHENTICATED: sign in first
	EFORBIDDEN       = "forbidden"       // FORBIDDEN: signed in, but not allowed
	ERATELIMITED     = "rate_limited"    // RATE_LIMITED: too many attempts; try again later
	EINTERNAL        = "internal"        // INTERNAL: our fault; logged with a request id
)

// ErrorKind is how one error code is presented: its GraphQL
// extensions.code and its HTTP status.
type ErrorKind struct {
	GraphQL    string
	HTTPStatus int
}

// errorKinds is the one table from code to presentation, read by the
// GraphQL error presenter and by every HTTP route group (site, /manage)
// through KindOf. It lives here, in the package everything imports, so
// that neither graph nor server has to import the other for it.
var errorKinds = map[string]ErrorKind{
	EINVALID:         {"BAD_USER_INPUT", 400},
	ENOTFOUND:        {"NOT_FOUND", 404},
	ECONFLICT:        {"CONFLICT", 409},
	EUNAUTHENTICATED: {"UNAUTHENTICATED", 401},
	EFORBIDDEN:       {"FORBIDDEN", 403},
	ERATELIMITED:     {"RATE_LIMITED", 429},
	EINTERNAL:        {"INTERNAL", 500},
}

// KindOf returns how code is presented, and whether code is one of
// Portal's. An unknown code is presented as EINTERNAL: a code without an
// entry is a bug of ours, never the caller's to fix.
func KindOf(code string) (ErrorKind, bool) {
	k, ok := errorKinds[code]
	if !ok {
		return errorKinds[EINTERNAL], false
	}
	return k, true
}

// Error is Portal's one error type: a code, a message a person can act on,
// and optionally the input field it is about.
type Error struct {
	Code    string
	Message string
	// Field names the input field at fault relative to the input the
	// domain method was given (e.g. "invoiceAccountNumber",
	// "prices[2].unit"), so that a site form can put the message next to
	// its field; the GraphQL layer prefixes the argument that carried the
	// input ("input.invoiceAccountNumber"). Empty when not about one field.
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
