package graph

import (
	"context"
	"time"
)

// SessionCookies sets and clears the site's session cookie. The HTTP layer
// puts one in the request context, so signIn, redeemInvitation and signOut
// serve browsers (cookie) and API clients (token in the answer) alike.
type SessionCookies interface {
	Set(token string, expires time.Time)
	Clear()
}

type cookiesKey struct{}

// WithSessionCookies returns a context whose sign-in mutations set cookies
// through c.
func WithSessionCookies(ctx context.Context, c SessionCookies) context.Context {
	return context.WithValue(ctx, cookiesKey{}, c)
}

func setSessionCookie(ctx context.Context, token string, expires time.Time) {
	if c, ok := ctx.Value(cookiesKey{}).(SessionCookies); ok {
		c.Set(token, expires)
	}
}

func clearSessionCookie(ctx context.Context) {
	if c, ok := ctx.Value(cookiesKey{}).(SessionCookies); ok {
		c.Clear()
	}
}
