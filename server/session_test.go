package server

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/openportal/portal/identity"
)

func TestClientIP(t *testing.T) {
	trusted, err := ParseProxies("10.0.0.0/8, 127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"direct client", "203.0.113.5:4000", nil, "203.0.113.5"},
		{"direct client's forged header is ignored", "203.0.113.5:4000", []string{"1.2.3.4"}, "203.0.113.5"},
		{"behind the proxy", "10.1.2.3:4000", []string{"198.51.100.7"}, "198.51.100.7"},
		{"forged left part, proxy appended the real one", "10.1.2.3:4000", []string{"1.2.3.4, 198.51.100.7"}, "198.51.100.7"},
		{"two trusted hops", "127.0.0.1:4000", []string{"198.51.100.7, 10.9.9.9"}, "198.51.100.7"},
		{"two header lines", "10.1.2.3:4000", []string{"1.2.3.4", "198.51.100.7"}, "198.51.100.7"},
		{"proxy without a header", "10.1.2.3:4000", nil, "10.1.2.3"},
		{"garbage from the proxy", "10.1.2.3:4000", []string{"not-an-ip"}, "10.1.2.3"},
		{"IPv6 client", "10.1.2.3:4000", []string{"2001:db8::1"}, "2001:db8::1"},
		{"proxy adds the port", "10.1.2.3:4000", []string{"198.51.100.7:5678"}, "198.51.100.7"},
		{"proxy adds the port, IPv6", "10.1.2.3:4000", []string{"[2001:db8::1]:5678"}, "2001:db8::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientIP(r, trusted); got != tt.want {
				t.Errorf("clientIP = %s, want %s", got, tt.want)
			}
		})
	}
	if _, err := ParseProxies("10.0.0.0/8, nonsense"); err == nil {
		t.Error("ParseProxies accepted nonsense")
	}
}

func TestLimitBody(t *testing.T) {
	var readErr error
	h := limitBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, readErr = io.ReadAll(r.Body)
	}), maxBody)
	for _, size := range []int{maxBody, maxBody + 1} {
		r := httptest.NewRequest("POST", "/graphql", strings.NewReader(strings.Repeat("x", size)))
		h.ServeHTTP(httptest.NewRecorder(), r)
		if (readErr == nil) != (size <= maxBody) {
			t.Errorf("body of %d bytes: read error %v", size, readErr)
		}
	}
}

// TestWarnUntrustedForwarding: X-Forwarded-For with no trusted proxy
// configured is warned about once; with one configured, never.
func TestWarnUntrustedForwarding(t *testing.T) {
	tests := []struct {
		name    string
		proxies string
		xff     []string
		want    int
	}{
		{"behind an untrusted proxy", "", []string{"198.51.100.7", "198.51.100.8", "198.51.100.9"}, 1},
		{"no header", "", []string{"", ""}, 0},
		{"trusted proxy configured", "10.0.0.0/8", []string{"198.51.100.7"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			s := &Server{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			if tt.proxies != "" {
				s.TrustedProxies, _ = ParseProxies(tt.proxies)
			}
			for _, xff := range tt.xff {
				r := httptest.NewRequest("POST", "/graphql", nil)
				r.RemoteAddr = "10.1.2.3:4000"
				if xff != "" {
					r.Header.Set("X-Forwarded-For", xff)
				}
				s.warnUntrustedForwarding(r)
			}
			if got := strings.Count(logs.String(), "level=WARN"); got != tt.want {
				t.Errorf("%d warnings, want %d:\n%s", got, tt.want, logs.String())
			}
			if tt.want > 0 && !strings.Contains(logs.String(), "--trusted-proxies") {
				t.Errorf("the warning does not say what to set:\n%s", logs.String())
			}
		})
	}
}

// TestAuthenticationFailureAnswers: when a session cannot be checked (the
// database is unreachable), /graphql answers as GraphQL does, errors[0]
// with extensions.code, whatever the client accepts; the other route
// groups answer as WriteError does. The handler never runs, and the
// database's error is not shown.
func TestAuthenticationFailureAnswers(t *testing.T) {
	sqldb, err := sql.Open("pgx", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer sqldb.Close()
	ran := false
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran = true })
	s := &Server{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), GraphQL: h,
		Identity: &identity.Service{DB: bun.NewDB(sqldb, pgdialect.New())},
		Routes:   []Route{{Pattern: "/site/", Handler: h, Viewer: true}}}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	for _, c := range []struct {
		name, method, path, accept string
		wantType                   string
		graphQL                    bool
	}{
		{"graphql, json", "POST", "/graphql", "application/json", "application/json; charset=utf-8", true},
		{"graphql-response+json", "POST", "/graphql", "application/graphql-response+json, application/json", "application/graphql-response+json; charset=utf-8", true},
		// The first acceptable type wins, as the GraphQL handler chooses.
		{"graphql, json first", "POST", "/graphql", "application/json, application/graphql-response+json", "application/json; charset=utf-8", true},
		{"graphql, any type", "POST", "/graphql", "*/*", "application/json; charset=utf-8", true},
		{"site page", "GET", "/site/x", "text/html", "text/html; charset=utf-8", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(`{"query":"{ __typename }"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", c.accept)
			req.Header.Set("Authorization", "Bearer some-session-token")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if ran {
				t.Fatal("the handler ran without a checked session")
			}
			if res.StatusCode != http.StatusInternalServerError || res.Header.Get("Content-Type") != c.wantType {
				t.Fatalf("answer %d, Content-Type %q; want 500, %s: %s", res.StatusCode, res.Header.Get("Content-Type"), c.wantType, b)
			}
			if strings.Contains(string(b), "127.0.0.1:1") || strings.Contains(string(b), "connect") {
				t.Errorf("the database's error is shown: %s", b)
			}
			if !c.graphQL {
				return
			}
			var body struct {
				Errors []struct {
					Message    string
					Extensions struct{ Code string }
				}
			}
			if err := json.Unmarshal(b, &body); err != nil || len(body.Errors) != 1 || body.Errors[0].Extensions.Code != "INTERNAL" ||
				!strings.Contains(body.Errors[0].Message, "Internal error") {
				t.Errorf("body %s, want a GraphQL response with one error, code INTERNAL", b)
			}
		})
	}
}
