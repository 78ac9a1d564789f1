// Package server assembles Portal's HTTP surface: /graphql, /graphiql,
// /healthz and /readyz, and the route groups added to it (the site,
// /manage, the ERP's endpoints), with what every one of them shares: request
// ids, access logs and panic recovery, authentication (the viewer in the
// request's context), the session cookie, and errors answered with the
// status portal.KindOf gives their code.
package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/graph/graphiql"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/metrics"
)

// Server is Portal's HTTP handler and what it needs. Package app builds it.
type Server struct {
	DB     *bun.DB
	Logger *slog.Logger
	// GraphQL is the /graphql endpoint (graph.NewHandler); it runs for the
	// viewer authenticate puts in the context.
	GraphQL  http.Handler
	Identity *identity.Service
	// Routes are the further route groups: the site, /manage, the ERP's
	// endpoints. Each is mounted as given, behind the common middleware.
	Routes []Route
	// SecureCookies marks the session cookie Secure even on plain HTTP
	// requests: set when the public URL is https, that is when TLS ends at
	// a proxy in front of Portal.
	SecureCookies bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed; from anyone else the peer address is the client's.
	TrustedProxies []netip.Prefix
	// Metrics, when set, is served at /metrics and counts every request
	// (it wraps the mux, whose matched pattern is the route label).
	Metrics *metrics.Metrics
	// MaxInFlight bounds how many requests of the route groups run at
	// once; the others wait their turn in arrival order (see gate). Zero
	// means DefaultInFlight.
	MaxInFlight int

	// queueWait, when set, replaces maxQueueWait (tests).
	queueWait time.Duration

	forwardedWarning sync.Once // see warnUntrustedForwarding
}

// Route is one route group, mounted at Pattern (an http.ServeMux pattern
// such as "/manage/" or "POST /erp/events").
type Route struct {
	Pattern string
	Handler http.Handler
	// Viewer: the group acts for a signed-in (or anonymous) visitor, so
	// requests are authenticated from the session cookie or bearer token
	// and the session cookie can be set. Leave it false for machine
	// endpoints with their own credentials (/erp/events, /metrics): they
	// then never touch the sessions table.
	Viewer bool
	// MaxBody bounds the request body; 0 means maxBody.
	MaxBody int64
}

// Handler returns the routes, wrapped in the common middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	routes := append([]Route{{Pattern: "/graphql", Handler: s.GraphQL, Viewer: true}}, s.Routes...)
	// One gate for every route group: they share the database and the
	// cores. Health checks, /metrics and GraphiQL's static page pass by.
	g := newGate(cmp.Or(s.MaxInFlight, DefaultInFlight()), cmp.Or(s.queueWait, maxQueueWait))
	for _, rt := range routes {
		h := limitBody(rt.Handler, cmp.Or(rt.MaxBody, maxBody))
		busy, fail := busyError, WriteError
		if rt.Pattern == "/graphql" {
			busy, fail = busyGraphQL, GraphQLError
		}
		if rt.Viewer {
			h = s.authenticate(h, fail)
		}
		mux.Handle(rt.Pattern, g.wrap(h, busy))
	}
	gi := graphiql.Handler("/graphql")
	mux.Handle("/graphiql", gi)
	mux.Handle("/graphiql/", gi)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.ready)
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics.Handler())
		return s.middleware(s.Metrics.HTTP(mux))
	}
	return s.middleware(mux)
}

// ready answers 200 when the database answers and every migration is
// applied; a load balancer sends no traffic before that.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.DB.PingContext(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "database unreachable"})
		return
	}
	pending, err := db.Pending(ctx, s.DB)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "cannot read migrations"})
		return
	}
	if pending > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "migrations pending", "pending": pending})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready"})
}

// maxBody bounds a request body: gqlgen reads it whole into memory. 8 MiB
// is room for a price list of tens of thousands of prices.
const maxBody = 8 << 20

func limitBody(next http.Handler, limit int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// middleware gives each request an id (echoed in X-Request-Id), logs it
// when done, and turns a panic into a 500 instead of a dropped connection.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		ctx := portal.WithRequestID(r.Context(), id)
		w.Header().Set("X-Request-Id", id)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.Logger.ErrorContext(ctx, "panic", "panic", p, "request", id)
				WriteError(rec, r.WithContext(ctx), portal.Errorf(portal.EINTERNAL, "Internal error (request %s).", id))
			}
			if r.URL.Path != "/healthz" && r.URL.Path != "/readyz" {
				s.Logger.InfoContext(ctx, "request", "method", r.Method, "path", r.URL.Path,
					"status", rec.status, "duration", time.Since(start), "request", id)
			}
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
