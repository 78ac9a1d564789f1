package server

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
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
	}), busyError)
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

	t.Run("a request that got its turn leaves the queue's count", func(t *testing.T) {
		started := make(chan string, 2)
		hold := map[string]chan struct{}{"a": make(chan struct{}), "b": make(chan struct{})}
		one := newGate(1, 3*time.Second)
		s := httptest.NewServer(one.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.URL.Query().Get("id")
			started <- id
			<-hold[id]
		}), busyError))
		defer s.Close()
		var both sync.WaitGroup
		for _, id := range []string{"a", "b"} {
			both.Add(1)
			go func() {
				defer both.Done()
				if res, err := http.Get(s.URL + "/?id=" + id); err == nil {
					res.Body.Close()
				}
			}()
			if id == "a" {
				<-started
			}
		}
		waitFor("b to queue", func() bool { return one.waiting.Load() == 1 })
		close(hold["a"])
		<-started // b runs, and holds
		if q := one.waiting.Load(); q != 0 {
			t.Errorf("%d requests counted as waiting while the one that waited runs, want 0", q)
		}
		close(hold["b"])
		both.Wait()
	})

	t.Run("waited too long", func(t *testing.T) {
		hold := make(chan struct{})
		slow := newGate(1, 200*time.Millisecond).wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("hold") != "" {
				<-hold
			}
			fmt.Fprint(w, "ran")
		}), busyError)
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

// TestGateBusyAnswers: a request that waited too long is answered 429
// with Retry-After in its route's own form: on /graphql a GraphQL response
// (errors[0].extensions.code RATE_LIMITED, which GraphQL clients read), on
// the other route groups WriteError's JSON or HTML page.
func TestGateBusyAnswers(t *testing.T) {
	hold := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("hold") != "" {
			<-hold
		}
		fmt.Fprint(w, "ran")
	})
	s := &Server{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), GraphQL: h, MaxInFlight: 1,
		queueWait: 100 * time.Millisecond, Routes: []Route{{Pattern: "/site/", Handler: h, Viewer: true}}}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if res, err := http.Post(srv.URL+"/graphql?hold=1", "application/json", strings.NewReader("{}")); err == nil {
			res.Body.Close()
		}
	}()
	defer func() { close(hold); <-done }()
	time.Sleep(50 * time.Millisecond)
	for _, c := range []struct {
		name, method, path, accept string
		wantType, wantCode         string
	}{
		{"graphql-response+json", "POST", "/graphql", "application/graphql-response+json, application/json", "application/graphql-response+json; charset=utf-8", "RATE_LIMITED"},
		{"graphql, json first", "POST", "/graphql", "application/json, application/graphql-response+json", "application/json; charset=utf-8", "RATE_LIMITED"},
		{"graphql, any type", "POST", "/graphql", "*/*", "application/json; charset=utf-8", "RATE_LIMITED"},
		{"graphql, neither type", "POST", "/graphql", "text/html", "application/json; charset=utf-8", "RATE_LIMITED"},
		{"site page", "GET", "/site/x", "text/html", "text/html; charset=utf-8", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", c.accept)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "1" || res.Header.Get("Content-Type") != c.wantType {
				t.Fatalf("answer %d, Retry-After %q, Content-Type %q; want 429, 1, %s", res.StatusCode,
					res.Header.Get("Retry-After"), res.Header.Get("Content-Type"), c.wantType)
			}
			if c.wantCode == "" {
				return
			}
			var body struct {
				Errors []struct {
					Message    string
					Extensions struct{ Code string }
				}
			}
			if err := json.Unmarshal(b, &body); err != nil || len(body.Errors) != 1 || body.Errors[0].Extensions.Code != c.wantCode || body.Errors[0].Message == "" {
				t.Errorf("body %s, want a GraphQL response with one error, code %s", b, c.wantCode)
			}
		})
	}
}
