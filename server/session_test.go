package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
