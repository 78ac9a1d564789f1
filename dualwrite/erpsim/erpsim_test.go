package erpsim

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestSendRetriesBusy: a status sent back to a Portal that answers 429
// (its request gate is full) or 408 is sent again, not dropped; a 400 is
// final.
func TestSendRetriesBusy(t *testing.T) {
	for _, c := range []struct {
		name     string
		first    int
		wantErr  bool
		wantSent int32
	}{
		{"429 busy", http.StatusTooManyRequests, false, 2},
		{"408 timeout", http.StatusRequestTimeout, false, 2},
		{"503 unavailable", http.StatusServiceUnavailable, false, 2},
		{"400 refused", http.StatusBadRequest, true, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			var sent atomic.Int32
			portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if sent.Add(1) == 1 {
					w.Header().Set("Retry-After", "1")
					w.WriteHeader(c.first)
					return
				}
				w.WriteHeader(http.StatusOK)
			}))
			defer portal.Close()
			s := &Sim{Secret: "s", PortalURL: portal.URL}
			defer s.Close()
			err := s.Send("salesorder.status", map[string]string{"number": "WEB-000001", "status": "CONFIRMED"})
			if (err != nil) != c.wantErr || sent.Load() != c.wantSent {
				t.Errorf("Send: %v after %d requests; want error %v after %d", err, sent.Load(), c.wantErr, c.wantSent)
			}
		})
	}
}
