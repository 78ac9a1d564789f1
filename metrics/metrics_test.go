package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openportal/portal/metrics"
)

// TestMetricsAccess: /metrics is not public.
func TestMetricsAccess(t *testing.T) {
	tests := []struct {
		name   string
		token  string
		remote string
		header map[string]string
		want   int
	}{
		{"loopback, no token set", "", "127.0.0.1:5000", nil, 200},
		{"IPv6 loopback", "", "[::1]:5000", nil, 200},
		{"another machine", "", "10.0.0.7:5000", nil, 401},
		{"through a proxy on this machine", "", "127.0.0.1:5000", map[string]string{"X-Forwarded-For": "203.0.113.9"}, 401},
		{"token set, right token", "t0k3n", "10.0.0.7:5000", map[string]string{"Authorization": "Bearer t0k3n"}, 200},
		{"token set, wrong token", "t0k3n", "10.0.0.7:5000", map[string]string{"Authorization": "Bearer nope"}, 401},
		{"token set, loopback without it", "t0k3n", "127.0.0.1:5000", nil, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New()
			m.Token = tt.token
			r := httptest.NewRequest("GET", "/metrics", nil)
			r.RemoteAddr = tt.remote
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			m.Handler().ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("status %d, want %d", w.Code, tt.want)
			}
		})
	}
}

// TestHTTPRouteLabel: requests count by the mux's pattern, never by the
// raw path (which would let anyone grow the series without bound).
func TestHTTPRouteLabel(t *testing.T) {
	m := metrics.New()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {})
	h := m.HTTP(mux)
	for _, p := range []string{"/things/1", "/things/2", "/nowhere/x"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/metrics", nil)
	r.RemoteAddr = "127.0.0.1:1"
	m.Handler().ServeHTTP(w, r)
	body := w.Body.String()
	for _, want := range []string{`portal_http_requests_total{method="GET",route="GET /things/{id}",status="200"} 2`,
		`portal_http_requests_total{method="GET",route="unmatched",status="404"} 1`} {
		if !contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestCacheMetrics: a cache's counts are read at every scrape.
func TestCacheMetrics(t *testing.T) {
	m := metrics.New()
	stats := metrics.CacheStats{Hits: 7, Misses: 2, Drops: 1, Entries: 5}
	m.Cache("products", func() metrics.CacheStats { return stats })
	scrape := func() string {
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.RemoteAddr = "127.0.0.1:5000"
		w := httptest.NewRecorder()
		m.Handler().ServeHTTP(w, r)
		return w.Body.String()
	}
	for _, step := range []struct {
		name  string
		stats metrics.CacheStats
		want  []string
	}{
		{"first scrape", stats, []string{`portal_cache_hits_total{cache="products"} 7`, `portal_cache_misses_total{cache="products"} 2`,
			`portal_cache_drops_total{cache="products"} 1`, `portal_cache_entries{cache="products"} 5`}},
		{"counts moved on", metrics.CacheStats{Hits: 70, Misses: 3, Drops: 2, Entries: 0}, []string{`portal_cache_hits_total{cache="products"} 70`,
			`portal_cache_misses_total{cache="products"} 3`, `portal_cache_drops_total{cache="products"} 2`, `portal_cache_entries{cache="products"} 0`}},
	} {
		t.Run(step.name, func(t *testing.T) {
			stats = step.stats
			body := scrape()
			for _, w := range step.want {
				if !strings.Contains(body, w+"\n") {
					t.Errorf("/metrics lacks %q", w)
				}
			}
		})
	}
}
