package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestGate: at most n requests run at once; the others run in the order
// they arrived; one that waits too long is answered 429 RATE_LIMITED with
// Retry-After, and its handler never runs.
func TestGate(t *testing.T) {
	const n = 2
	release := make(chan struct{}, n)
	var mu sync.Mutex
	running, most := 0, 0
	var order []string
	g := newGate(n, 3*time.Second)
	h := g.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		running++
		most = max(most, running)
		order = append(order, r.URL.Query().Get("id"))
		mu.Unlock()
		if r.URL.Query().Get("hold") != "" {
			<-release
		}
		mu.Lock()
		running--
		mu.Unlock()
		fmt.Fprint(w, "ok")
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(q string) (*http.Response, string) {
		res, err := http.Get(srv.URL + "/?" + q)
		if err != nil {
			t.Error(err)
			return nil, ""
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	var wg sync.WaitGroup
	// Two requests hold both places; then five queue, one after another.
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); get(fmt.Sprintf("id=h%d&hold=1", i)) }()
	}
	waitFor("the gate to fill", func() bool { mu.Lock(); defer mu.Unlock(); return running == n })
	for i := range 5 {
		wg.Add(1)
		go func() { defer wg.Done(); get(fmt.Sprintf("id=q%d", i)) }()
		waitFor("the request to queue", func() bool { return g.waiting.Load() == int64(i+1) })
	}
	// One holder leaves: the queue goes through the one free place, in
	// the order it formed; then the other.
	release <- struct{}{}
	waitFor("the queue to empty", func() bool { mu.Lock(); defer mu.Unlock(); return len(order) == n+5 })
	release <- struct{}{}
	wg.Wait()
	if most != n {
		t.Errorf("%d requests ran at once, want at most (and here exactly) %d", most, n)
	}
	if got := strings.Join(order[n:], ","); got != "q0,q1,q2,q3,q4" {
		t.Errorf("queued requests ran in the order %s, want q0,q1,q2,q3,q4", got)
	}

	t.Run("waited too long", func(t *testing.T) {
		hold := make(chan struct{})
		slow := newGate(1, 200*time.Millisecond).wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("hold") != "" {
				<-hold
			}
			fmt.Fprint(w, "ran")
		}))
		s := httptest.NewServer(slow)
		defer s.Close()
		done := make(chan struct{})
		go func() {
			defer close(done)
			res, err := http.Get(s.URL + "/?hold=1")
			if err == nil {
				res.Body.Close()
			}
		}()
		time.Sleep(50 * time.Millisecond)
		req, _ := http.NewRequest("GET", s.URL+"/", nil)
		req.Header.Set("Accept", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error struct{ Code, Message string }
		}
		json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		close(hold)
		<-done
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "1" || body.Error.Code != "RATE_LIMITED" {
			t.Errorf("answer %d, Retry-After %q, %+v; want 429, 1, RATE_LIMITED", res.StatusCode, res.Header.Get("Retry-After"), body)
		}
	})
}
