package server

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	portal "github.com/openportal/portal"
)

// WriteError answers with the status of the error's code from portal's
// table; an unknown code or an unnamed error is a 500 that shows only the
// request id.
func TestWriteError(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		accept     string
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{"invalid, JSON", portal.FieldErrorf("email", "Not an email."), "application/json", 400, "BAD_USER_INPUT", "Not an email."},
		{"forbidden, JSON", portal.Errorf(portal.EFORBIDDEN, "Not yours."), "application/json", 403, "FORBIDDEN", "Not yours."},
		{"not found, wrapped", errors.Join(portal.Errorf(portal.ENOTFOUND, "Gone.")), "application/json", 404, "NOT_FOUND", "Gone."},
		{"unknown code", &portal.Error{Code: "bogus", Message: "secret detail"}, "application/json", 500, "INTERNAL", "Internal error (request r-7)."},
		{"unnamed error", errors.New("pq: connection refused"), "application/json", 500, "INTERNAL", "Internal error (request r-7)."},
		{"page", portal.Errorf(portal.EUNAUTHENTICATED, "Sign in <first>."), "text/html,*/*", 401, "", "Sign in &lt;first&gt;."},
		{"page for an internal error", errors.New("secret detail"), "", 500, "", "Internal error (request r-7)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x", nil)
			r = r.WithContext(portal.WithRequestID(r.Context(), "r-7"))
			if tt.accept != "" {
				r.Header.Set("Accept", tt.accept)
			}
			rec := httptest.NewRecorder()
			WriteError(rec, r, tt.err)
			body := rec.Body.String()
			if rec.Code != tt.wantStatus {
				t.Errorf("status %d, want %d", rec.Code, tt.wantStatus)
			}
			if strings.Contains(body, "secret") {
				t.Errorf("internal detail shown: %s", body)
			}
			if tt.wantCode == "" {
				if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(body, tt.wantMsg) {
					t.Errorf("page %s %q, want HTML with %q", ct, body, tt.wantMsg)
				}
				return
			}
			var got struct {
				Error struct{ Code, Message, Field, RequestID string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("decode %s: %v", body, err)
			}
			if got.Error.Code != tt.wantCode || got.Error.Message != tt.wantMsg || got.Error.RequestID != "r-7" {
				t.Errorf("error %+v, want %s %q", got.Error, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

// Route groups with Viewer are authenticated and can set the session
// cookie; machine endpoints are not, and never read a session, whatever
// credentials the request carries.
func TestRoutes(t *testing.T) {
	type seen struct {
		called   bool
		clientIP string
		cookies  bool
	}
	var got seen
	probe := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = seen{called: true, clientIP: portal.ClientIP(r.Context())}
		portal.SetSessionCookie(r.Context(), "tok", time.Now().Add(time.Hour))
		got.cookies = len(w.Header().Values("Set-Cookie")) > 0
	})
	s := &Server{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), GraphQL: probe,
		Routes: []Route{{Pattern: "/site/", Handler: probe, Viewer: true}, {Pattern: "POST /erp/events", Handler: probe}}}
	h := s.Handler()
	for _, tt := range []struct {
		name, method, path string
		want               seen
	}{
		{"graphql", "POST", "/graphql", seen{true, "192.0.2.1", true}},
		{"site", "GET", "/site/page", seen{true, "192.0.2.1", true}},
		{"machine endpoint", "POST", "/erp/events", seen{true, "", false}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got = seen{}
			r := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.want.clientIP == "" {
				// Identity is nil: reading a session would panic.
				r.Header.Set("Authorization", "Bearer some-token")
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got != tt.want {
				t.Errorf("handler saw %+v, want %+v", got, tt.want)
			}
		})
	}
}
