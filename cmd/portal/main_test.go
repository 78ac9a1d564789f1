package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openportal/portal/cmd/portal/cmdtest"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/identity"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// startMain runs the real server in-process on a free port.
func startMain(t *testing.T, c config) (string, *bytes.Buffer) {
	t.Helper()
	c.Addr = "127.0.0.1:0"
	var out bytes.Buffer
	m := &Main{Config: c, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Stdout: &out}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	go m.Serve()
	t.Cleanup(func() { m.Close() })
	return "http://" + m.Addr(), &out
}

func graphql(t *testing.T, base, query string) map[string]any {
	t.Helper()
	return graphqlAs(t, base, "", query)
}

func graphqlAs(t *testing.T, base, token, query string) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest("POST", base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r map[string]any
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestServeWithDemoData(t *testing.T) {
	base, out := startMain(t, config{DatabaseURL: dbtest.NewURL(t), Demo: true})

	if code, body := get(t, base+"/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("/healthz = %d %s", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 200 || !strings.Contains(body, "ready") {
		t.Errorf("/readyz = %d %s", code, body)
	}
	r := graphql(t, base, `{ legalEntities { code } }`)
	if got := r["data"].(map[string]any)["legalEntities"].([]any); len(got) != 1 || got[0].(map[string]any)["code"] != "USMF" {
		t.Errorf("legalEntities = %v", r)
	}
	// The credentials are printed, one line per built-in role's contact.
	for _, want := range []string{"administrators", "customer_representative", "authorized_user", "@"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	// GET works for queries, not for mutations.
	code, body := get(t, base+"/graphql?query=%7BlegalEntities%7Bcode%7D%7D")
	if code != 200 || !strings.Contains(body, "USMF") {
		t.Errorf("GET query = %d %s", code, body)
	}
	code, body = get(t, base+"/graphql?query=mutation%7Bping%7D")
	if code == 200 && !strings.Contains(body, "errors") {
		t.Errorf("GET mutation ran: %d %s", code, body)
	}
	// Anonymous callers cannot change master data; the demo administrator,
	// signed in, can.
	r = graphql(t, base, `mutation { saveLegalEntity(input: {code: "X", name: "X"}) { code } }`)
	if errs, _ := r["errors"].([]any); len(errs) == 0 || errs[0].(map[string]any)["extensions"].(map[string]any)["code"] != "UNAUTHENTICATED" {
		t.Errorf("anonymous saveLegalEntity = %v", r)
	}
	r = graphql(t, base, `mutation { signIn(input: {email: "admin@portal.example", password: "demo-admin-pass"}) { token viewer { isAdministrator } } }`)
	token, _ := r["data"].(map[string]any)["signIn"].(map[string]any)["token"].(string)
	if token == "" || !strings.Contains(mustJSON(r), `"isAdministrator":true`) {
		t.Fatalf("demo admin sign-in = %v", r)
	}
	r = graphqlAs(t, base, token, `mutation { saveLegalEntity(input: {code: "DEMF", name: "Contoso Germany"}) { code } }`)
	if !strings.Contains(mustJSON(r), `"DEMF"`) {
		t.Errorf("admin saveLegalEntity = %v", r)
	}
	if code, body := get(t, base+"/graphiql"); code != 200 || !strings.Contains(body, "<html") {
		t.Errorf("/graphiql = %d", code)
	}
}

func TestReadyzReportsPendingMigrations(t *testing.T) {
	url := dbtest.Empty(t)
	base, _ := startMain(t, config{DatabaseURL: url})
	if code, _ := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("/readyz after start = %d", code)
	}
	// Roll back behind the server's back: it must stop reporting ready.
	d, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := db.RollbackAll(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "migrations pending") {
		t.Errorf("/readyz with pending migrations = %d %s", code, body)
	}
}

func TestAdminCreate(t *testing.T) {
	url := dbtest.NewURL(t)
	env := map[string]string{"DATABASE_URL": url, "PORTAL_ADMIN_PASSWORD": "correct horse battery"}
	getenv := func(k string) string { return env[k] }
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"admin", "create", "--email", "Root@Example.com"}, getenv, strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout.String(), stderr.String())
	}
	d, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var row struct {
		PasswordHash string
		Key          string
	}
	err = d.NewRaw(`SELECT c.password_hash, wr.key FROM contact c JOIN contact_web_role cwr ON cwr.contact_id = c.id
		JOIN web_role wr ON wr.id = cwr.web_role_id WHERE lower(c.email) = 'root@example.com'`).Scan(context.Background(), &row)
	if err != nil {
		t.Fatal(err)
	}
	if row.Key != "administrators" || !strings.HasPrefix(row.PasswordHash, "$argon2id$") ||
		!identity.PasswordMatches("correct horse battery", row.PasswordHash) {
		t.Errorf("admin row = %+v", row)
	}

	// The bootstrapped administrator signs in and is one.
	base, _ := startMain(t, config{DatabaseURL: url})
	r := graphql(t, base, `mutation { signIn(input: {email: "root@example.com", password: "correct horse battery"}) { viewer { isAdministrator roles { name } } } }`)
	if !strings.Contains(mustJSON(r), `"isAdministrator":true`) || !strings.Contains(mustJSON(r), "Administrators") {
		t.Errorf("bootstrapped admin sign-in = %v", r)
	}

	// The same email again (any case) is refused, as is a weak password
	// read from stdin.
	stderr.Reset()
	if code := run(context.Background(), []string{"admin", "create", "--email", "root@example.com"}, getenv, nil, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "already exists") {
		t.Errorf("duplicate: exit %d, %s", code, stderr.String())
	}
	env["PORTAL_ADMIN_PASSWORD"] = ""
	stderr.Reset()
	if code := run(context.Background(), []string{"admin", "create", "--email", "b@example.com"}, getenv, strings.NewReader("short\n"), &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "at least 12") {
		t.Errorf("weak password: exit %d, %s", code, stderr.String())
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string
	}{
		{nil, 2, "Usage"},
		{[]string{"bogus"}, 2, "unknown command"},
		{[]string{"serve", "--help"}, 0, "-addr"},
		{[]string{"migrate", "--help"}, 0, "-data-dir"},
		{[]string{"demo", "--help"}, 0, "-database-url"},
		{[]string{"admin", "create", "--help"}, 0, "-email"},
		{[]string{"admin", "--help"}, 0, "admin create"},
		{[]string{"admin", "create"}, 2, "-email"},
		{[]string{"serve", "--no-such-flag"}, 2, "no-such-flag"},
		{[]string{"version"}, 0, "portal "},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		code := run(context.Background(), tt.args, func(string) string { return "" }, nil, &out, &out)
		if code != tt.wantCode || !strings.Contains(out.String(), tt.wantOut) {
			t.Errorf("portal %v: exit %d, output %q; want exit %d and %q", tt.args, code, out.String(), tt.wantCode, tt.wantOut)
		}
	}
}

// TestBinaryOnPrivateCluster is the README's run command: the real binary
// with no configuration but a data dir starts its own PostgreSQL, migrates,
// loads the demo, serves, and on SIGTERM stops everything; started again on
// the same data dir it finds its data and loads nothing twice.
func TestBinaryOnPrivateCluster(t *testing.T) {
	// Not t.TempDir(): its parent is 0700, and as root PostgreSQL runs as
	// the postgres user, which must be able to pass through.
	dir, err := os.MkdirTemp("", "portal-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	bin, err := cmdtest.Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	for round := 1; round <= 2; round++ {
		cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", data, "--demo")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
		// exec copies the child's output from another goroutine while the
		// test reads it: the buffer must be locked.
		var stdout cmdtest.Buffer
		cmd.Stdout = &stdout
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		base := waitListening(t, stderr)
		r := graphql(t, base, `{ legalEntities { code } }`)
		if !strings.Contains(mustJSON(r), `"USMF"`) {
			t.Fatalf("round %d: legalEntities = %v", round, r)
		}
		if round == 1 && !strings.Contains(stdout.String(), "Demo data loaded") {
			t.Errorf("first start did not load the demo: %s", stdout.String())
		}
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("round %d: exit: %v", round, err)
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatal("portal did not stop within 30s of SIGTERM")
		}
		if round == 2 && !strings.Contains(stdout.String(), "already has data") {
			t.Errorf("second start: %s", stdout.String())
		}
		if _, err := os.Stat(filepath.Join(data, "postgres", "postmaster.pid")); !os.IsNotExist(err) {
			t.Errorf("round %d: postgres still running after portal stopped (postmaster.pid: %v)", round, err)
		}
	}
}

// waitListening reads the server's log until it says where it listens.
func waitListening(t *testing.T, r io.Reader) string {
	t.Helper()
	var log cmdtest.Buffer
	select {
	case u, ok := <-cmdtest.Listening(r, &log):
		if !ok {
			t.Fatalf("portal exited before listening; log:\n%s", log.String())
		}
		return u
	case <-time.After(60 * time.Second):
		t.Fatal("portal did not start listening within 60s")
	}
	return ""
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestGracefulShutdown closes the server while a request is still being
// sent: the request is answered before the server is gone.
func TestGracefulShutdown(t *testing.T) {
	c := config{DatabaseURL: dbtest.NewURL(t), Addr: "127.0.0.1:0"}
	m := &Main{Config: c, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Stdout: io.Discard}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	go m.Serve()

	// The request's body arrives in two parts; the server is told to stop
	// in between, while the request is in flight.
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", "http://"+m.Addr()+"/graphql", pr)
	req.Header.Set("Content-Type", "application/json")
	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		done <- result{status: res.StatusCode, body: string(b)}
	}()
	pw.Write([]byte(`{"query": "{ legalEnt`))
	time.Sleep(100 * time.Millisecond) // the server is now reading the body
	closed := make(chan error, 1)
	go func() { closed <- m.Close() }()
	time.Sleep(100 * time.Millisecond)
	select {
	case <-closed:
		t.Fatal("Close returned while a request was in flight")
	default:
	}
	pw.Write([]byte(`ities { code } }"}`))
	pw.Close()
	r := <-done
	if r.err != nil || r.status != 200 || !strings.Contains(r.body, `{"data":{"legalEntities":[`) || strings.Contains(r.body, "errors") {
		t.Fatalf("in-flight request: %+v", r)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	// And new connections are refused afterwards.
	if _, err := http.Get("http://" + m.Addr() + "/healthz"); err == nil {
		t.Error("server still answers after Close")
	}
}

// Passwords in DATABASE_URL and PORTAL_SMTP_URL never reach the usage
// text, which --help and any mistyped flag print; the usage says whether
// they are set, and the values still take effect (TestAdminCreate runs on
// DATABASE_URL alone).
func TestUsageHidesSecrets(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL":    "postgres://portal:db-s3cret@db.example/portal",
		"PORTAL_SMTP_URL": "smtp://mailer:smtp-s3cret@mail.example:587?from=portal@example.com",
	}
	getenv := func(k string) string { return env[k] }
	for _, args := range [][]string{
		{"serve", "--help"},
		{"serve", "--adr", "x"},
		{"migrate", "--help"},
		{"demo", "--no-such-flag"},
		{"admin", "create", "--help"},
		{"admin", "create"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out bytes.Buffer
			run(context.Background(), args, getenv, strings.NewReader(""), &out, &out)
			if strings.Contains(out.String(), "s3cret") {
				t.Errorf("usage shows a password:\n%s", out.String())
			}
			if !strings.Contains(out.String(), "env DATABASE_URL: set, value not shown") {
				t.Errorf("usage does not say DATABASE_URL is set:\n%s", out.String())
			}
		})
	}
	var out bytes.Buffer
	run(context.Background(), []string{"serve", "--help"}, func(string) string { return "" }, nil, &out, &out)
	if !strings.Contains(out.String(), "env PORTAL_SMTP_URL: not set") {
		t.Errorf("usage does not say PORTAL_SMTP_URL is unset:\n%s", out.String())
	}
}

// A secret flag takes its environment variable unless the command line
// gives it, even as empty.
func TestSecretFlagFromEnvironment(t *testing.T) {
	getenv := func(k string) string {
		if k == "DATABASE_URL" {
			return "postgres://from-env/db"
		}
		return ""
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"environment", nil, "postgres://from-env/db"},
		{"flag wins", []string{"--database-url", "postgres://from-flag/db"}, "postgres://from-flag/db"},
		{"empty flag wins", []string{"--database-url="}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c config
			fs := newFlags("test", "test", io.Discard)
			dbFlags(fs, &c, getenv)
			if err := parse(fs, tt.args); err != nil {
				t.Fatal(err)
			}
			if c.DatabaseURL != tt.want {
				t.Errorf("DatabaseURL = %q, want %q", c.DatabaseURL, tt.want)
			}
		})
	}
}
