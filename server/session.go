package server

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/identity"
)

// SessionCookie is the name of the site's session cookie.
const SessionCookie = "portal_session"

// Authenticate puts the request's viewer into its context: the contact of
// a valid session token from "Authorization: Bearer" or the session cookie,
// else an anonymous visitor. An invalid or expired token is simply not
// signed in; what the request then may not do says UNAUTHENTICATED. It also
// puts in the client's address and user agent (rate limits, audit log) and
// the session cookie setter (portal.SetSessionCookie). Handler applies it
// to every route group with Route.Viewer; it is exported for handlers
// mounted some other way.
func (s *Server) Authenticate(next http.Handler) http.Handler {
	return s.authenticate(next, WriteError)
}

// authenticate is Authenticate, answering a failure with fail (WriteError,
// or GraphQLError on /graphql).
func (s *Server) authenticate(next http.Handler, fail func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.warnUntrustedForwarding(r)
		ctx := portal.WithClientIP(r.Context(), clientIP(r, s.TrustedProxies))
		ctx = identity.WithUserAgent(ctx, r.UserAgent())
		ctx = portal.WithSessionCookies(ctx, &cookies{w: w, secure: s.SecureCookies || r.TLS != nil})
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
				fail(w, r.WithContext(ctx), err)
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

// clientIP is the address the request came from, for rate limits and the
// audit log: the peer, unless the peer is a trusted proxy; then the nearest
// address in X-Forwarded-For that is not a trusted proxy (read from the
// right, since a client can put anything at the left to dodge the sign-in
// rate limit).
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	isTrusted := func(s string) bool {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return false
		}
		a = a.Unmap()
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	if !isTrusted(host) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" || isTrusted(hop) {
			continue
		}
		if a, err := netip.ParseAddr(hop); err == nil {
			return a.Unmap().String()
		}
		if ap, err := netip.ParseAddrPort(hop); err == nil { // some proxies add the port
			return ap.Addr().Unmap().String()
		}
		return host // garbage from a proxy we trust: fall back to it
	}
	return host
}

// ParseProxies reads a comma-separated list of addresses and CIDR prefixes
// (PORTAL_TRUSTED_PROXIES), e.g. "10.0.0.0/8, 127.0.0.1".
func ParseProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is neither an address nor a CIDR prefix such as 10.0.0.0/8", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
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
