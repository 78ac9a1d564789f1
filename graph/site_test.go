package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/openportal/portal/app"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/identity"
)

// site is the whole HTTP surface (sessions included) on a fresh database,
// with the log captured so tests can check what reaches it.
type site struct {
	t        *testing.T
	db       *bun.DB
	srv      *httptest.Server
	identity *identity.Service
	logs     *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newSite(t *testing.T, mailer identity.Mailer, options ...func(*app.Config)) *site {
	t.Helper()
	d := dbtest.New(t)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := app.Config{BaseURL: "https://portal.example", Mailer: mailer}
	for _, o := range options {
		o(&cfg)
	}
	ap, err := app.New(context.Background(), d, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ap.Close() })
	s := &site{t: t, db: d, identity: ap.Identity, logs: logs}
	s.srv = httptest.NewServer(ap.Handler)
	t.Cleanup(s.srv.Close)
	return s
}

// client is one caller of the site: anonymous until it signs in.
type client struct {
	s     *site
	token string
	// cookies, when set, sends the session cookie instead of a bearer token.
	cookies []*http.Cookie
	last    *http.Response
}

func (s *site) anonymous() *client { return &client{s: s} }

func (c *client) do(query string, vars map[string]any) response {
	c.s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", c.s.srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for _, k := range c.cookies {
		req.AddCookie(k)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.s.t.Fatal(err)
	}
	defer res.Body.Close()
	c.last = res
	b, _ := io.ReadAll(res.Body)
	var r response
	if err := json.Unmarshal(b, &r); err != nil {
		c.s.t.Fatalf("decode %s: %v", b, err)
	}
	return r
}

func (c *client) ok(query string, vars map[string]any, out any) {
	c.s.t.Helper()
	r := c.do(query, vars)
	if len(r.Errors) > 0 {
		c.s.t.Fatalf("unexpected errors: %+v\nlog:\n%s", r.Errors, c.s.logs.String())
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			c.s.t.Fatalf("decode data %s: %v", r.Data, err)
		}
	}
}

func (c *client) fails(query string, vars map[string]any, code string) gqlError {
	c.s.t.Helper()
	r := c.do(query, vars)
	if len(r.Errors) == 0 {
		c.s.t.Fatalf("succeeded, want %s: %s", code, r.Data)
	}
	if got := r.Errors[0].Extensions["code"]; got != code {
		c.s.t.Fatalf("code %v, want %s: %+v", got, code, r.Errors)
	}
	return r.Errors[0]
}

const signIn = `mutation($email: String!, $password: String!) { signIn(input: {email: $email, password: $password}) {
	token expiresAt viewer { isAdministrator contact { email } roles { name } } } }`

// signIn signs in with a bearer token.
func (s *site) signIn(email, password string) *client {
	s.t.Helper()
	c := s.anonymous()
	var out struct{ SignIn struct{ Token string } }
	c.ok(signIn, map[string]any{"email": email, "password": password}, &out)
	c.token = out.SignIn.Token
	return c
}

// admin creates an administrator through the bootstrap and signs it in.
func (s *site) admin() *client {
	s.t.Helper()
	if _, err := s.identity.CreateAdministrator(context.Background(), "root@portal.example", "root password 123"); err != nil {
		s.t.Fatal(err)
	}
	return s.signIn("root@portal.example", "root password 123")
}
