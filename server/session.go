package server

import (
	"net"
	"net/http"
	"strings"
	"time"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/graph"
	"github.com/openportal/portal/identity"
)

// SessionCookie is the name of the site's session cookie.
const SessionCookie = "portal_session"

// authenticate puts the request's viewer into its context: the contact of
// a valid session token from "Authorization: Bearer" or the session cookie,
// else an anonymous visitor. An invalid or expired token is simply not
// signed in; what the request then may not do says UNAUTHENTICATED.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := portal.WithClientIP(r.Context(), clientIP(r))
		ctx = identity.WithUserAgent(ctx, r.UserAgent())
		ctx = graph.WithSessionCookies(ctx, &cookies{w: w, secure: s.SecureCookies || r.TLS != nil})
		token := bearer(r)
		if token == "" {
			if c, err := r.Cookie(SessionCookie); err == nil {
				token = c.Value
			}
		}
		if token != "" {
			v, err := s.Identity.Authenticate(ctx, token)
			if err != nil {
				s.Logger.ErrorContext(ctx, "authenticate", "err", err, "request", portal.RequestID(ctx))
				http.Error(w, "Internal error (request "+portal.RequestID(ctx)+").", http.StatusInternalServerError)
				return
			}
			if v != nil {
				ctx = portal.WithViewer(ctx, v)
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// clientIP is the peer address. Proxies' X-Forwarded-For is not trusted:
// anyone could send it to dodge the sign-in rate limit.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// cookies sets the session cookie: HttpOnly so scripts cannot read it,
// SameSite=Lax so other sites cannot send it with their POSTs, Secure when
// the request came over TLS or the site's public URL is https.
type cookies struct {
	w      http.ResponseWriter
	secure bool
}

func (c *cookies) Set(token string, expires time.Time) {
	http.SetCookie(c.w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}

func (c *cookies) Clear() {
	http.SetCookie(c.w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}
