// Package metrics is Portal's Prometheus surface: one registry per process
// with HTTP requests by route and status, GraphQL operations by name and
// error code, database pool statistics, and whatever other packages
// register (the ERP sync's series live in package dualwrite).
package metrics

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is a process's registry and the server's own series.
type Metrics struct {
	Registry *prometheus.Registry
	// Token, when set, is the bearer token /metrics requires
	// (PORTAL_METRICS_TOKEN).
	Token string

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	ops      *prometheus.CounterVec
	opTime   *prometheus.HistogramVec

	mu    sync.Mutex
	names map[string]bool
}

// maxOperationNames bounds the operation label: names are the client's
// choice, so past this many distinct ones the rest count as "other".
const maxOperationNames = 500

func (m *Metrics) opName(name string) string {
	if len(name) > 64 {
		name = name[:64]
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.names[name] {
		return name
	}
	if len(m.names) >= maxOperationNames {
		return "other"
	}
	m.names[name] = true
	return name
}

// New makes a registry with the Go runtime and process collectors and the
// server's series.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: reg,
		names:    map[string]bool{},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portal_http_requests_total",
			Help: "HTTP requests by route pattern, method and status."}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "portal_http_request_duration_seconds",
			Help: "HTTP request latency by route pattern and method.", Buckets: prometheus.DefBuckets}, []string{"route", "method"}),
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portal_graphql_operations_total",
			Help: "GraphQL operations by operation name (\"\" when anonymous), type and error code (\"\" when none)."},
			[]string{"operation", "type", "code"}),
		opTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "portal_graphql_operation_duration_seconds",
			Help: "GraphQL operation latency by operation name.", Buckets: prometheus.DefBuckets}, []string{"operation"}),
	}
	reg.MustRegister(m.requests, m.duration, m.ops, m.opTime)
	return m
}

// Handler is GET /metrics. The series tell order volumes and error rates,
// so they are not public: with Token set a scraper sends
// "Authorization: Bearer <token>"; without it only unproxied requests from
// the machine itself (loopback, no X-Forwarded-For) are answered.
func (m *Metrics) Handler() http.Handler {
	h := promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !m.allowed(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "Metrics need Authorization: Bearer $PORTAL_METRICS_TOKEN (or a request from this machine when no token is set).", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (m *Metrics) allowed(r *http.Request) bool {
	if m.Token != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		return ok && subtle.ConstantTimeCompare([]byte(got), []byte(m.Token)) == 1
	}
	if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" {
		return false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && ap.Addr().IsLoopback()
}

// DB exports a database/sql pool's statistics as go_sql_* with the label
// db_name=name (open, in use and idle connections, waits for one).
func (m *Metrics) DB(name string, db *sql.DB) {
	m.Registry.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// CacheStats is what an in-memory cache reports to Cache.
type CacheStats struct {
	// Hits and Misses count entries looked up and found or not; Drops
	// the times the cache was emptied because what it copies changed.
	Hits, Misses, Drops uint64
	// Entries is how many it holds now.
	Entries int
}

// Cache exports a cache's counts with the label cache=name, read from
// stats at every scrape: portal_cache_hits_total, portal_cache_misses_total,
// portal_cache_drops_total and portal_cache_entries. The hit ratio says
// whether the cache pays for its memory; drops that climb with no change
// made say its notifications are being lost.
func (m *Metrics) Cache(name string, stats func() CacheStats) {
	m.Registry.MustRegister(cacheCollector{name: name, stats: stats})
}

var (
	cacheHits = prometheus.NewDesc("portal_cache_hits_total",
		"Entries looked up in an in-memory cache and found.", []string{"cache"}, nil)
	cacheMisses = prometheus.NewDesc("portal_cache_misses_total",
		"Entries looked up in an in-memory cache and read from the database.", []string{"cache"}, nil)
	cacheDrops = prometheus.NewDesc("portal_cache_drops_total",
		"Times an in-memory cache was emptied because what it copies changed.", []string{"cache"}, nil)
	cacheEntries = prometheus.NewDesc("portal_cache_entries",
		"Entries an in-memory cache holds.", []string{"cache"}, nil)
)

type cacheCollector struct {
	name  string
	stats func() CacheStats
}

func (c cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- cacheHits
	ch <- cacheMisses
	ch <- cacheDrops
	ch <- cacheEntries
}

func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(cacheHits, prometheus.CounterValue, float64(s.Hits), c.name)
	ch <- prometheus.MustNewConstMetric(cacheMisses, prometheus.CounterValue, float64(s.Misses), c.name)
	ch <- prometheus.MustNewConstMetric(cacheDrops, prometheus.CounterValue, float64(s.Drops), c.name)
	ch <- prometheus.MustNewConstMetric(cacheEntries, prometheus.GaugeValue, float64(s.Entries), c.name)
}

// HTTP counts the requests next serves. It must wrap the ServeMux itself:
// the mux writes the matched pattern into the request it is given, which
// gives the route label a bounded set of values (unmatched paths count as
// "unmatched", never as themselves).
func (m *Metrics) HTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			method := r.Method
			switch method {
			case http.MethodGet, http.MethodPost, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions:
			default:
				method = "OTHER"
			}
			m.requests.WithLabelValues(route, method, strconv.Itoa(rec.status)).Inc()
			m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(rec, r)
	})
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// GraphQL returns the gqlgen extension that counts operations.
func (m *Metrics) GraphQL() graphql.HandlerExtension { return gqlExtension{m} }

type gqlExtension struct{ m *Metrics }

func (gqlExtension) ExtensionName() string                   { return "PortalMetrics" }
func (gqlExtension) Validate(graphql.ExecutableSchema) error { return nil }
func (e gqlExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	start := time.Now()
	resp := next(ctx)
	name, typ := "", ""
	if graphql.HasOperationContext(ctx) {
		oc := graphql.GetOperationContext(ctx)
		if oc.Operation != nil {
			name, typ = e.m.opName(oc.Operation.Name), string(oc.Operation.Operation)
		}
	}
	codes := map[string]bool{}
	if resp != nil {
		for _, err := range resp.Errors {
			code, _ := err.Extensions["code"].(string)
			if code == "" {
				code = "UNKNOWN"
			}
			codes[code] = true
		}
	}
	if len(codes) == 0 {
		e.m.ops.WithLabelValues(name, typ, "").Inc()
	}
	for code := range codes {
		e.m.ops.WithLabelValues(name, typ, code).Inc()
	}
	e.m.opTime.WithLabelValues(name).Observe(time.Since(start).Seconds())
	return resp
}
