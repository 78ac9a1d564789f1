package site_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/uptrace/bun"

	"github.com/openportal/portal/app"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/policies/policytest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// A tiny site of its own, so these tests do not depend on the defaults.
var testSite = fstest.MapFS{
	"templates/Layout.html": {Data: []byte(`<nav>{% for n in nav %}<a href="{{ n.path }}"{% if n.active %} aria-current="page"{% endif %}>{{ n.title }}</a>{% endfor %}</nav>` +
		`<p>{{ settings.site_name }}|{{ viewer.name }}|{{ snippets.footer }}</p>{% block content %}{% endblock %}`)},
	"templates/Home.html":   {Data: []byte(`{% extends "Layout" %}{% block content %}<h1>Home</h1>{% endblock %}`)},
	"templates/SignIn.html": {Data: []byte(`{% extends "Layout" %}{% block content %}{% form "signIn" mutation="mutation($input: SignInInput!) { signIn(input: $input) { expiresAt } }" redirect="{next}" %}{% field "input.email" label="Email" type="email" required %}{% field "input.password" label="Password" type="password" required %}{% endform %}{% endblock %}`)},
	"templates/Orders.html": {Data: []byte(`{% extends "Layout" %}{% block content %}{% graphql "query { orders(first: 50) { edges { node { number } } } }" as r %}{% for e in r.data.orders.edges %}<li>{{ e.node.number }}</li>{% endfor %}{% endblock %}`)},
	"templates/Order.html":  {Data: []byte(`order {{ page.params.id }}`)},
	"templates/Settings.html": {Data: []byte(`{% extends "Layout" %}{% block content %}saved={{ request.query.saved }}` +
		`{% form "setting" mutation="mutation($name: String!, $value: String!) { saveSiteSetting(name: $name, value: $value) { name } }" redirect="/settings?saved={saveSiteSetting.name}" %}` +
		`{% field "name" label="Name" required %}{% field "value" label="Value" type="textarea" %}{% endform %}{% endblock %}`)},
	"templates/Broken.html":   {Data: []byte("fine {% set x = \"ab\" %}\n{% for a in \"0123456789012345678901234567890123456789\"|make_list %}{% set x = x + x %}{% endfor %}")},
	"templates/Error403.html": {Data: []byte(`E{{ error.status }} {{ error.message }}`)},
	"templates/Error404.html": {Data: []byte(`E{{ error.status }} {{ error.message }}`)},
	"templates/Error500.html": {Data: []byte(`E{{ error.status }} {{ error.message }} request={{ request_id }} template={{ error.template }} line={{ error.line }}`)},
	"static/site.css":         {Data: []byte(`body{}`)},
	"site.json": {Data: []byte(`{
  "pageTemplates": [{"name": "Home", "webTemplate": "Home"}, {"name": "Sign in", "webTemplate": "SignIn"},
    {"name": "Orders", "webTemplate": "Orders"}, {"name": "Order", "webTemplate": "Order"},
    {"name": "Settings", "webTemplate": "Settings"}, {"name": "Broken", "webTemplate": "Broken"}],
  "webPages": [
    {"path": "/", "title": "Home", "pageTemplate": "Home", "public": true, "inNav": true, "navOrder": 0},
    {"path": "/signin", "title": "Sign in", "pageTemplate": "Sign in", "public": true},
    {"path": "/orders", "title": "Orders", "pageTemplate": "Orders", "roles": ["Authorized user", "Customer representative"], "inNav": true, "navOrder": 1},
    {"path": "/orders/{id}", "title": "Order", "pageTemplate": "Order", "roles": ["Authorized user"]},
    {"path": "/settings", "title": "Settings", "pageTemplate": "Settings", "roles": ["administrators"], "inNav": true, "navOrder": 2},
    {"path": "/broken", "title": "Broken", "pageTemplate": "Broken"}
  ],
  "snippets": [{"name": "footer", "language": "", "value": "Footer <b>text</b>"}],
  "settings": [{"name": "site_name", "value": "Test portal"}]
}`)},
}

type testServer struct {
	t     testing.TB
	db    *bun.DB
	world *policytest.World
	srv   *httptest.Server
	logs  *syncBuffer
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

func newServer(t *testing.T) *testServer {
	t.Helper()
	ctx := context.Background()
	d := dbtest.New(t)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	a, err := app.New(ctx, d, app.Config{SiteAssets: testSite}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	w := policytest.New(t, d, a.Identity)
	if err := a.Policy.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	return &testServer{t: t, db: d, world: w, srv: srv, logs: logs}
}

// client is a browser: cookies kept, redirects not followed.
type client struct {
	ts  *testServer
	c   *http.Client
	raw string // last body
}

func (ts *testServer) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{ts: ts, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (c *client) do(req *http.Request) (int, string, http.Header) {
	c.ts.t.Helper()
	resp, err := c.c.Do(req)
	if err != nil {
		c.ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	c.raw = string(b)
	return resp.StatusCode, string(b), resp.Header
}

func (c *client) get(path string) (int, string, http.Header) {
	req, _ := http.NewRequest(http.MethodGet, c.ts.srv.URL+path, nil)
	return c.do(req)
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// post submits form on the page at path as a browser would: the CSRF token
// read from the page's form.
func (c *client) post(path, form string, fields url.Values) (int, string, http.Header) {
	c.ts.t.Helper()
	status, body, _ := c.get(path)
	m := csrfInput.FindStringSubmatch(body)
	if m == nil {
		c.ts.t.Fatalf("GET %s (%d): no CSRF token in %s", path, status, body)
	}
	fields.Set("_csrf", m[1])
	fields.Set("_form", form)
	return c.postRaw(path, fields)
}

func (c *client) postRaw(path string, fields url.Values) (int, string, http.Header) {
	req, _ := http.NewRequest(http.MethodPost, c.ts.srv.URL+path, strings.NewReader(fields.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func (c *client) signIn(name string) {
	c.ts.t.Helper()
	status, body, h := c.post("/signin?next=/", "signIn", url.Values{"input.email": {name + "@example.com"}, "input.password": {"correct horse battery"}})
	if status != http.StatusSeeOther || h.Get("Location") != "/" {
		c.ts.t.Fatalf("sign in as %s: %d %s %s", name, status, h.Get("Location"), body)
	}
}

func TestAccess(t *testing.T) {
	ts := newServer(t)
	anon := ts.client()
	t.Run("anonymous sees public pages and public navigation", func(t *testing.T) {
		status, body, h := anon.get("/")
		if status != 200 || !strings.Contains(body, "<h1>Home</h1>") || !strings.Contains(body, "Test portal") {
			t.Fatalf("%d %s", status, body)
		}
		if strings.Contains(body, `href="/orders"`) || strings.Contains(body, `href="/settings"`) {
			t.Fatalf("restricted pages in the navigation: %s", body)
		}
		if !strings.Contains(body, "Footer &lt;b&gt;text&lt;/b&gt;") {
			t.Fatalf("snippet not escaped: %s", body)
		}
		if h.Get("Content-Security-Policy") == "" || h.Get("X-Frame-Options") != "DENY" {
			t.Fatalf("headers: %v", h)
		}
	})
	t.Run("anonymous is sent to sign in and back", func(t *testing.T) {
		status, _, h := anon.get("/orders?status=DRAFT")
		if status != http.StatusFound || h.Get("Location") != "/signin?next=%2Forders%3Fstatus%3DDRAFT" {
			t.Fatalf("%d %s", status, h.Get("Location"))
		}
		status, body, h := anon.post("/signin?next=%2Forders%3Fstatus%3DDRAFT", "signIn",
			url.Values{"input.email": {"alice@example.com"}, "input.password": {"correct horse battery"}})
		if status != http.StatusSeeOther || h.Get("Location") != "/orders?status=DRAFT" {
			t.Fatalf("%d %s %s", status, h.Get("Location"), body)
		}
		status, body, _ = anon.get("/orders?status=DRAFT")
		if status != 200 || !strings.Contains(body, "alice") {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("next never leaves the site", func(t *testing.T) {
		for _, next := range []string{"//evil.example/x", "/\\evil.example", "https://evil.example/", "javascript:alert(1)"} {
			c := ts.client()
			status, _, h := c.post("/signin?next="+url.QueryEscape(next), "signIn",
				url.Values{"input.email": {"bob@example.com"}, "input.password": {"correct horse battery"}})
			if status != http.StatusSeeOther || h.Get("Location") != "/" {
				t.Errorf("next=%s: %d %s", next, status, h.Get("Location"))
			}
		}
	})
	t.Run("unknown path", func(t *testing.T) {
		status, body, _ := ts.client().get("/nope")
		if status != 404 || !strings.HasPrefix(body, "E404") {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("signed in without the role gets 403", func(t *testing.T) {
		c := ts.client()
		c.signIn("nobody")
		if status, body, _ := c.get("/orders"); status != 403 || !strings.HasPrefix(body, "E403") {
			t.Fatalf("%d %s", status, body)
		}
		if status, body, _ := c.get("/settings"); status != 403 {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("navigation shows what the viewer may open", func(t *testing.T) {
		c := ts.client()
		c.signIn("rep")
		_, body, _ := c.get("/orders")
		if !strings.Contains(body, `<a href="/orders" aria-current="page">Orders</a>`) || strings.Contains(body, `href="/settings"`) {
			t.Fatalf("%s", body)
		}
		// the rep sees the orders of its account, through the same permissions as the API
		for _, n := range []string{"alice", "bob", "rep"} {
			var number string
			ts.db.NewRaw("SELECT number FROM sales_order WHERE id = ?", ts.world.Orders[n]).Scan(context.Background(), &number)
			if !strings.Contains(body, "<li>"+number+"</li>") {
				t.Errorf("order of %s (%s) missing", n, number)
			}
		}
		var carla string
		ts.db.NewRaw("SELECT number FROM sales_order WHERE id = ?", ts.world.Orders["carla"]).Scan(context.Background(), &carla)
		if strings.Contains(body, carla) {
			t.Errorf("the rep sees another account's order")
		}
	})
	t.Run("path parameters", func(t *testing.T) {
		c := ts.client()
		c.signIn("alice")
		if status, body, _ := c.get("/orders/abc"); status != 200 || body != "order abc" {
			t.Fatalf("%d %q", status, body)
		}
	})
	t.Run("static files", func(t *testing.T) {
		status, body, h := ts.client().get("/static/site.css")
		if status != 200 || body != "body{}" || !strings.HasPrefix(h.Get("Content-Type"), "text/css") {
			t.Fatalf("%d %s %v", status, body, h)
		}
	})
}

func TestFormPost(t *testing.T) {
	ts := newServer(t)
	admin := ts.client()
	admin.signIn("admin")
	count := func(name string) int {
		var n int
		ts.db.NewRaw("SELECT count(*) FROM site_setting WHERE name = ?", name).Scan(context.Background(), &n)
		return n
	}
	t.Run("a bad field shows its error, keeps the input and changes nothing", func(t *testing.T) {
		status, body, _ := admin.post("/settings", "setting", url.Values{"name": {"Bad <Name>"}, "value": {"kept value"}})
		if status != http.StatusUnprocessableEntity {
			t.Fatalf("%d %s", status, body)
		}
		if !regexp.MustCompile(`<input type="text" id="f-setting-name" name="name" required aria-required="true" aria-invalid="true" aria-describedby="f-setting-name-error" value="Bad &lt;Name&gt;">`).MatchString(body) {
			t.Fatalf("input not kept or not marked: %s", body)
		}
		if !strings.Contains(body, `<p class="error" id="f-setting-name-error" role="alert">A setting name is lower case`) {
			t.Fatalf("no error next to the field: %s", body)
		}
		if !strings.Contains(body, ">kept value</textarea>") {
			t.Fatalf("other input not kept: %s", body)
		}
		if count("Bad <Name>") != 0 {
			t.Fatal("the bad post changed something")
		}
	})
	t.Run("a missing required value is refused before the mutation runs", func(t *testing.T) {
		status, body, _ := admin.post("/settings", "setting", url.Values{"name": {"ok_name"}})
		if status != http.StatusUnprocessableEntity || count("ok_name") != 0 {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("success redirects with the result", func(t *testing.T) {
		status, body, h := admin.post("/settings", "setting", url.Values{"name": {"greeting"}, "value": {"Hello"}})
		if status != http.StatusSeeOther || h.Get("Location") != "/settings?saved=greeting" || count("greeting") != 1 {
			t.Fatalf("%d %s %s", status, h.Get("Location"), body)
		}
	})
	t.Run("CSRF", func(t *testing.T) {
		for name, token := range map[string]string{"missing": "", "wrong": strings.Repeat("x", 43)} {
			status, body, _ := admin.postRaw("/settings", url.Values{"_csrf": {token}, "_form": {"setting"}, "name": {"csrf_" + name}, "value": {"x"}})
			if status != http.StatusForbidden || count("csrf_"+name) != 0 {
				t.Errorf("%s token: %d %s", name, status, body)
			}
		}
		// another site's page posting with the victim's cookies but no token
		req, _ := http.NewRequest(http.MethodPost, ts.srv.URL+"/settings", strings.NewReader("_form=setting&name=evil&value=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		if status, _, _ := admin.do(req); status != http.StatusForbidden || count("evil") != 0 {
			t.Errorf("cross-site post: %d", status)
		}
	})
	t.Run("a form that is not on the page", func(t *testing.T) {
		status, _, _ := admin.post("/settings", "nope", url.Values{})
		if status != http.StatusBadRequest {
			t.Fatalf("%d", status)
		}
	})
	t.Run("sign-in errors show at the top, password not echoed", func(t *testing.T) {
		c := ts.client()
		status, body, _ := c.post("/signin", "signIn", url.Values{"input.email": {"alice@example.com"}, "input.password": {"wrong password"}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `class="form-error"`) || strings.Contains(body, "wrong password") {
			t.Fatalf("%d %s", status, body)
		}
		if !strings.Contains(body, `value="alice@example.com"`) {
			t.Fatalf("email not kept: %s", body)
		}
	})
}

func TestRenderFailureShowsFriendlyPage(t *testing.T) {
	ts := newServer(t)
	for _, c := range []struct {
		who      string
		template bool
	}{{"alice", false}, {"admin", true}} {
		t.Run(c.who, func(t *testing.T) {
			cl := ts.client()
			cl.signIn(c.who)
			status, body, h := cl.get("/broken")
			if status != 500 || !strings.HasPrefix(body, "E500") || !strings.Contains(body, "request="+h.Get("X-Request-Id")) {
				t.Fatalf("%d %s", status, body)
			}
			if got := strings.Contains(body, "template=Broken line=2"); got != c.template {
				t.Fatalf("template shown: %v, want %v: %s", got, c.template, body)
			}
			if !strings.Contains(ts.logs.String(), "page render failed") {
				t.Fatal("not logged")
			}
		})
	}
}

func TestTemplateAPI(t *testing.T) {
	ts := newServer(t)
	gql := func(c *client, query string, vars map[string]any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req, _ := http.NewRequest(http.MethodPost, ts.srv.URL+"/graphql", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		_, body, _ := c.do(req)
		var out map[string]any
		json.Unmarshal([]byte(body), &out)
		return out
	}
	admin := ts.client()
	admin.signIn("admin")
	t.Run("a broken save is refused with line and column and the site keeps rendering", func(t *testing.T) {
		out := gql(admin, `mutation($s: String!) { saveWebTemplate(name: "Home", source: $s) { version } }`,
			map[string]any{"s": "{% extends \"Layout\" %}\n{% block content %}{% if %}{% endblock %}"})
		errs, _ := out["errors"].([]any)
		if len(errs) != 1 {
			t.Fatalf("%v", out)
		}
		e := errs[0].(map[string]any)
		ext := e["extensions"].(map[string]any)
		if ext["code"] != "BAD_USER_INPUT" || ext["line"] != float64(2) || !strings.Contains(e["message"].(string), "line 2") {
			t.Fatalf("%v", e)
		}
		if status, body, _ := ts.client().get("/"); status != 200 || !strings.Contains(body, "<h1>Home</h1>") {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("a save shows on the next request", func(t *testing.T) {
		out := gql(admin, `mutation($s: String!) { saveWebTemplate(name: "Home", source: $s) { version history { version } } }`,
			map[string]any{"s": `{% extends "Layout" %}{% block content %}<h1>Welcome</h1>{% endblock %}`})
		if out["errors"] != nil {
			t.Fatalf("%v", out)
		}
		if _, body, _ := ts.client().get("/"); !strings.Contains(body, "<h1>Welcome</h1>") {
			t.Fatalf("%s", body)
		}
		out = gql(admin, `{ home: webTemplate(name: "Home") { edited defaultSource } layout: webTemplate(name: "Layout") { edited defaultSource } }`, nil)
		data, _ := out["data"].(map[string]any)
		home, _ := data["home"].(map[string]any)
		layout, _ := data["layout"].(map[string]any)
		if home["edited"] != true || home["defaultSource"] != string(testSite["templates/Home.html"].Data) ||
			layout["edited"] != false || layout["defaultSource"] != nil {
			t.Fatalf("%v", out)
		}
	})
	t.Run("preview as a chosen contact, administrators only", func(t *testing.T) {
		vars := map[string]any{"s": `{% extends "Layout" %}{% block content %}preview for {{ viewer.email }}{% endblock %}`, "as": ts.world.Contacts["alice"].ID}
		q := `query($s: String!, $as: ID) { previewWebTemplate(source: $s, path: "/", asContactId: $as) { html } }`
		out := gql(admin, q, vars)
		data, _ := out["data"].(map[string]any)
		if data == nil || !strings.Contains(data["previewWebTemplate"].(map[string]any)["html"].(string), "preview for alice@example.com") {
			t.Fatalf("%v", out)
		}
		if _, body, _ := ts.client().get("/"); strings.Contains(body, "preview for") {
			t.Fatal("the preview was saved")
		}
		alice := ts.client()
		alice.signIn("alice")
		out = gql(alice, q, vars)
		if errs, _ := out["errors"].([]any); len(errs) == 0 || errs[0].(map[string]any)["extensions"].(map[string]any)["code"] != "FORBIDDEN" {
			t.Fatalf("%v", out)
		}
	})
	t.Run("previewTemplateEdit previews a layout on a page and names the line of an error", func(t *testing.T) {
		q := `query($n: String!, $s: String!, $p: String!) { previewTemplateEdit(name: $n, source: $s, path: $p) { html } }`
		tests := []struct {
			name, template, source, path, want, line string
		}{
			{"layout change on the home page", "Layout", `<p>edited layout</p>{% block content %}{% endblock %}`, "/", "edited layout", ""},
			{"the page's own template", "Home", `{% extends "Layout" %}{% block content %}own home{% endblock %}`, "/", "own home", ""},
			{"parse error at its line", "Layout", "ok\nok\n{% if %}", "/", "", "3"},
			{"unknown path", "Layout", `x`, "/nope", "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				out := gql(admin, q, map[string]any{"n": tt.template, "s": tt.source, "p": tt.path})
				errs, _ := out["errors"].([]any)
				if tt.want != "" {
					data, _ := out["data"].(map[string]any)
					if len(errs) > 0 || !strings.Contains(data["previewTemplateEdit"].(map[string]any)["html"].(string), tt.want) {
						t.Fatalf("%v", out)
					}
					return
				}
				if len(errs) != 1 {
					t.Fatalf("no error: %v", out)
				}
				ext := errs[0].(map[string]any)["extensions"].(map[string]any)
				if ext["code"] != "BAD_USER_INPUT" || (tt.line != "" && fmt.Sprint(ext["line"]) != tt.line) {
					t.Fatalf("%v", errs[0])
				}
			})
		}
		if _, body, _ := ts.client().get("/"); strings.Contains(body, "edited layout") || strings.Contains(body, "own home") {
			t.Fatal("the preview was saved")
		}
		alice := ts.client()
		alice.signIn("alice")
		out := gql(alice, q, map[string]any{"n": "Layout", "s": "x", "p": "/"})
		if errs, _ := out["errors"].([]any); len(errs) == 0 || errs[0].(map[string]any)["extensions"].(map[string]any)["code"] != "FORBIDDEN" {
			t.Fatalf("a customer previewed a template: %v", out)
		}
	})
	t.Run("pages, snippets and settings", func(t *testing.T) {
		out := gql(admin, `mutation { saveWebPage(input: {path: "/about", title: "About", pageTemplateName: "Home", public: true, inNav: true, navOrder: 5}) { path pageTemplate { webTemplate { name } } } saveContentSnippet(name: "footer", value: "New footer") { value } saveSiteSetting(name: "site_name", value: "Renamed") { value } }`, nil)
		if out["errors"] != nil {
			t.Fatalf("%v\n%s", out, ts.logs.String())
		}
		status, body, _ := ts.client().get("/about")
		if status != 200 || !strings.Contains(body, `<a href="/about" aria-current="page">About</a>`) || !strings.Contains(body, "New footer") || !strings.Contains(body, "Renamed") {
			t.Fatalf("%d %s", status, body)
		}
		out = gql(admin, `mutation { saveWebPage(input: {path: "/orders/{number}", title: "X", pageTemplateName: "Home", public: true}) { path } }`, nil)
		if errs, _ := out["errors"].([]any); len(errs) == 0 || !strings.Contains(errs[0].(map[string]any)["message"].(string), "conflicts") {
			t.Fatalf("a conflicting pattern was accepted: %v", out)
		}
		var n int
		ts.db.NewRaw("SELECT count(*) FROM audit_log WHERE action IN ('web_page.saved', 'content_snippet.saved', 'site_setting.saved')").Scan(context.Background(), &n)
		if n != 3 {
			t.Fatalf("%d audit entries", n)
		}
	})
}
