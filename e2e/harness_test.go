// Package e2e drives the real portal binary with headless Chromium: the
// default site as customers use it. Every step's screenshot is kept under
// e2e/screenshots/<test>/ (not committed).
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/openportal/portal/cmd/portal/cmdtest"
	"github.com/openportal/portal/db/dbtest"
)

// portalBin is the portal command built once for all tests.
var portalBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "portal-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	portalBin, err = cmdtest.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	dbtest.Main(m)
}

// server is one running portal process.
type server struct {
	url string
	cmd *exec.Cmd
	log *cmdtest.Buffer
}

// startServers runs `portal serve` processes on free ports against
// databaseURL, side by side, the first with demo data, and waits until each
// listens; they are stopped (SIGTERM) when the test ends.
func startServers(t *testing.T, databaseURL, smtpURL string, n int) []*server {
	t.Helper()
	var out []*server
	var waits []func()
	for i := range n {
		s, wait := launchServer(t, databaseURL, smtpURL, i == 0)
		out = append(out, s)
		waits = append(waits, wait)
	}
	for _, w := range waits {
		w()
	}
	return out
}

func launchServer(t *testing.T, databaseURL, smtpURL string, demo bool) (*server, func()) {
	t.Helper()
	cmd := exec.Command(portalBin, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL, "PORTAL_LOG_LEVEL=info", "PORTAL_SMTP_URL="+smtpURL, "PORTAL_BASE_URL=")
	if demo {
		cmd.Env = append(cmd.Env, "PORTAL_DEMO=1")
	}
	s := &server{cmd: cmd, log: &cmdtest.Buffer{}}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = s.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := cmdtest.Listening(stderr, s.log)
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(25 * time.Second):
			cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("server log:\n%s", s.log.String())
		}
	})
	return s, func() {
		t.Helper()
		select {
		case u, ok := <-found:
			if !ok {
				t.Fatalf("portal exited before listening:\n%s", s.log.String())
			}
			s.url = u
		case <-time.After(60 * time.Second):
			t.Fatalf("portal did not start within 60 s:\n%s", s.log.String())
		}
	}
}

// gql posts a GraphQL request to a server, with a bearer token when given.
func gql(t *testing.T, base, token, query string, vars map[string]any) (data map[string]any, errs []map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
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
	b, _ := io.ReadAll(res.Body)
	var out struct {
		Data   map[string]any
		Errors []map[string]any
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("graphql answer %s: %v", b, err)
	}
	return out.Data, out.Errors
}

func gqlOK(t *testing.T, base, token, query string, vars map[string]any) map[string]any {
	t.Helper()
	data, errs := gql(t, base, token, query, vars)
	if len(errs) > 0 {
		t.Fatalf("graphql errors: %v\nquery: %s", errs, query)
	}
	return data
}

func signInToken(t *testing.T, base, email, password string) string {
	t.Helper()
	d := gqlOK(t, base, "", `mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token } }`,
		map[string]any{"e": email, "p": password})
	return d["signIn"].(map[string]any)["token"].(string)
}

// newBrowser starts headless Chromium with a fresh profile. A missing
// Chromium fails the test: the browser tests are part of the test command.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: install it with `apt-get install -y chromium` (the browser tests need it; .ci/run does this)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.NoSandbox, // tests run as root in CI containers
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-features", "Translate,AutofillServerCommunication,PasswordLeakDetection"),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting chromium failed: %v (is `chromium --headless --no-sandbox` working on this machine?)", err)
	}
	return bctx
}

// user is one person's browser session: its own cookies (a separate
// browser context), its own screenshots folder.
type user struct {
	t    *testing.T
	ctx  context.Context
	name string
	dir  string
}

// steps numbers screenshots across users, so a folder reads in order.
var steps atomic.Int32

func newUser(t *testing.T, browser context.Context, name string) *user {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first run makes the tab, which lives as long as the context of
	// that run: so not under a step's timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("screenshots", sanitize(strings.SplitN(t.Name(), "/", 2)[0]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &user{t: t, ctx: ctx, name: name, dir: dir}
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// timeout bounds one step.
const timeout = 30 * time.Second

func (u *user) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		u.shot("failed-" + what)
		u.t.Fatalf("%s: %s: %v\npage text:\n%s", u.name, what, err, u.textNow())
	}
}

// open loads a path and waits for the page.
func (u *user) open(url string) {
	u.t.Helper()
	u.do("open "+url, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")))
}

// textNow is the page's visible text, for assertions and failure messages.
func (u *user) textNow() string {
	ctx, cancel := context.WithTimeout(u.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
	return s
}

// location is the page's current URL.
func (u *user) location() string {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		u.t.Fatal(err)
	}
	return s
}

// sees and seesNot check the page's visible text now.
func (u *user) sees(texts ...string) {
	u.t.Helper()
	page := u.textNow()
	for _, s := range texts {
		if !strings.Contains(page, s) {
			u.shot("failed-sees")
			u.t.Errorf("%s at %s does not see %q; page text:\n%s", u.name, u.location(), s, page)
		}
	}
}

func (u *user) seesNot(texts ...string) {
	u.t.Helper()
	page := u.textNow()
	for _, s := range texts {
		if strings.Contains(page, s) {
			u.shot("failed-seesnot")
			u.t.Errorf("%s at %s sees %q; page text:\n%s", u.name, u.location(), s, page)
		}
	}
}

// fill sets a form control's value.
func (u *user) fill(css, value string) {
	u.t.Helper()
	u.do("fill "+css, chromedp.WaitVisible(chromedp.CSS(css)), chromedp.SetValue(chromedp.CSS(css), value))
}

// click clicks an element; when it submits a form, follow with waitText.
func (u *user) click(css string) {
	u.t.Helper()
	u.do("click "+css, chromedp.WaitVisible(chromedp.CSS(css)), chromedp.Click(chromedp.CSS(css)))
}

// shot keeps a screenshot of the whole page as the next numbered step.
func (u *user) shot(name string) {
	step := steps.Add(1)
	ctx, cancel := context.WithTimeout(u.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		u.t.Logf("screenshot %s: %v", name, err)
		return
	}
	file := filepath.Join(u.dir, fmt.Sprintf("%02d-%s-%s.png", step, u.name, sanitize(name)))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		u.t.Logf("screenshot %s: %v", name, err)
	}
}
