package server

import "net/http"

// warnUntrustedForwarding warns, once per server (it is about the
// deployment, not about one request), when a request carries
// X-Forwarded-For but no trusted proxy is configured. Then Portal sits
// behind a proxy it does not believe, every client has the proxy's address,
// and the sign-in rate limit and the audit log treat all users as one:
// one guesser locks everybody out of signing in from that address.
func (s *Server) warnUntrustedForwarding(r *http.Request) {
	if len(s.TrustedProxies) > 0 || r.Header.Get("X-Forwarded-For") == "" {
		return
	}
	s.forwardedWarning.Do(func() {
		s.Logger.WarnContext(r.Context(), "X-Forwarded-For arrived but no trusted proxy is configured: every client behind the proxy shares its address, so the sign-in rate limit and the audit log cannot tell users apart. Set --trusted-proxies (PORTAL_TRUSTED_PROXIES) to the proxy's address.",
			"peer", r.RemoteAddr)
	})
}
