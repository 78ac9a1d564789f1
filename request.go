package portal

import (
	"context"
	"time"
)

type requestIDKey struct{}

// WithRequestID returns a context that carries the request's id, which
// internal errors quote so a user's report can be found in the logs.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id of ctx, "" outside a request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

type clientIPKey struct{}

// WithClientIP returns a context that carries the address the request came
// from, for rate limits and the audit log.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// ClientIP returns the client address of ctx, "" outside a request.
func ClientIP(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return ip
}

// SessionCookies sets and clears the session cookie of the request's
// browser. Package server puts one in every request's context (it owns the
// cookie's name and flags), so the GraphQL mutations and the site's forms
// that sign in and out serve browsers (cookie) and API clients (token in
// the answer) alike without knowing about HTTP.
type SessionCookies interface {
	Set(token string, expires time.Time)
	Clear()
}

type cookiesKey struct{}

// WithSessionCookies returns a context whose sign-ins set cookies through c.
func WithSessionCookies(ctx context.Context, c SessionCookies) context.Context {
	return context.WithValue(ctx, cookiesKey{}, c)
}

// SetSessionCookie gives the request's browser the session token; outside
// an HTTP request (tests, commands) it does nothing.
func SetSessionCookie(ctx context.Context, token string, expires time.Time) {
	if c, ok := ctx.Value(cookiesKey{}).(SessionCookies); ok {
		c.Set(token, expires)
	}
}

// ClearSessionCookie removes the session cookie from the request's browser.
func ClearSessionCookie(ctx context.Context) {
	if c, ok := ctx.Value(cookiesKey{}).(SessionCookies); ok {
		c.Clear()
	}
}
