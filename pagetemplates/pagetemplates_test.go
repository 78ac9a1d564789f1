package pagetemplates_test

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/app"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/demo"
	"github.com/openportal/portal/engine"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/pagetemplates"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type manifest struct {
	PageTemplates []struct{ Name, WebTemplate string }
	WebPages      []struct {
		Path, Title, PageTemplate string
		Public, InNav             bool
		Roles                     []string
	}
}

func readManifest(t *testing.T) manifest {
	t.Helper()
	b, err := fs.ReadFile(pagetemplates.FS, "site.json")
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestManifest checks that site.json names only templates that exist, that
// every page's template is a page template, and that the pages the site's
// links expect are there.
func TestManifest(t *testing.T) {
	m := readManifest(t)
	pageTemplates := map[string]string{}
	for _, p := range m.PageTemplates {
		if _, err := fs.Stat(pagetemplates.FS, "templates/"+p.WebTemplate+".html"); err != nil {
			t.Errorf("page template %s: no templates/%s.html", p.Name, p.WebTemplate)
		}
		pageTemplates[p.Name] = p.WebTemplate
	}
	paths := map[string]bool{}
	for _, p := range m.WebPages {
		if _, ok := pageTemplates[p.PageTemplate]; !ok {
			t.Errorf("page %s: unknown page template %q", p.Path, p.PageTemplate)
		}
		if paths[p.Path] {
			t.Errorf("page %s twice", p.Path)
		}
		paths[p.Path] = true
	}
	for _, want := range []string{"/", "/signin", "/signout", "/sign-up", "/password/forgot", "/password/reset", "/profile",
		"/orders", "/orders/new", "/orders/{id}", "/orders/{id}/items", "/orders/{id}/review", "/account", "/terms", "/about"} {
		if !paths[want] {
			t.Errorf("no page %s", want)
		}
	}
	for _, name := range []string{"Layout", "Error403", "Error404", "Error500"} {
		if _, err := fs.Stat(pagetemplates.FS, "templates/"+name+".html"); err != nil {
			t.Errorf("no template %s", name)
		}
	}
}

// world is the demo data set with the default site seeded and the engine
// rendering it through the real GraphQL executor, all built by app.New as
// portal serve builds it.
type world struct {
	t     testing.TB
	e     *engine.Engine
	ids   *identity.Service
	exec  engine.API
	creds map[string]demo.Credential // by email
}

func newWorld(t testing.TB) *world {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(ctx, dbtest.New(t), app.Config{SiteAssets: pagetemplates.FS}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	creds, err := demo.Load(ctx, a.Catalog, a.Identity)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, e: a.Site.Engine, ids: a.Identity, exec: a.Site.Engine.API, creds: map[string]demo.Credential{}}
	for _, c := range creds {
		w.creds[c.Email] = c
	}
	return w
}

// as returns a context acting for the demo contact with this email
// (anonymous for ""), and the viewer as templates see it.
func (w *world) as(email string) (context.Context, map[string]any) {
	w.t.Helper()
	ctx := context.Background()
	if email == "" {
		return ctx, map[string]any{"signedIn": false, "roles": []any{"Anonymous users"}, "roleKeys": []any{"anonymous_users"}, "isAdmin": false}
	}
	in, err := w.ids.SignIn(ctx, email, w.creds[email].Password)
	if err != nil {
		w.t.Fatal(err)
	}
	ctx = portal.WithViewer(ctx, in.Viewer)
	res := engine.Result(w.exec.Exec(ctx, `{ viewer { isAdministrator roles { name } contact { id firstName lastName email company { name } customerAccount { id accountNumber name } } } }`, nil))
	v := res["data"].(map[string]any)["viewer"].(map[string]any)
	c := v["contact"].(map[string]any)
	var roles, keys []any
	for _, r := range v["roles"].([]any) {
		roles = append(roles, r.(map[string]any)["name"])
	}
	for _, k := range in.Viewer.RoleKeys {
		keys = append(keys, k)
	}
	out := map[string]any{"signedIn": true, "id": c["id"], "firstName": c["firstName"], "lastName": c["lastName"],
		"name": c["firstName"].(string) + " " + c["lastName"].(string), "email": c["email"], "roles": roles, "roleKeys": keys, "isAdmin": v["isAdministrator"]}
	if a, ok := c["customerAccount"].(map[string]any); ok {
		out["accountId"], out["accountNumber"], out["accountName"] = a["id"], a["accountNumber"], a["name"]
	}
	return ctx, out
}

// mutate runs a mutation as ctx's viewer and returns its data.
func (w *world) mutate(ctx context.Context, q string, vars map[string]any) map[string]any {
	w.t.Helper()
	res := engine.Result(w.exec.Exec(ctx, q, vars))
	if errs := res["errors"].([]any); len(errs) > 0 {
		w.t.Fatalf("%s: %v", q, errs)
	}
	return res["data"].(map[string]any)
}

// render renders a template the way the site does, with the documented
// context.
func (w *world) render(ctx context.Context, viewer map[string]any, template, path string, params, query map[string]any) string {
	w.t.Helper()
	snap := w.e.Current()
	if query == nil {
		query = map[string]any{}
	}
	data := map[string]any{
		"viewer":     viewer,
		"page":       map[string]any{"title": "Title of " + path, "path": path, "template": template, "params": params},
		"nav":        []any{map[string]any{"title": "Home", "path": "/", "active": path == "/"}, map[string]any{"title": "Create order", "path": "/orders/new"}, map[string]any{"title": "Orders", "path": "/orders"}, map[string]any{"title": "Account", "path": "/account"}, map[string]any{"title": "Profile", "path": "/profile"}},
		"settings":   anyMap(snap.Settings()),
		"snippets":   anyMap(snap.Snippets("en")),
		"request":    map[string]any{"path": path, "query": query, "url": path},
		"csrf_token": "csrf-token",
		"request_id": "req-1",
		"lang":       "en-US",
		"error":      map[string]any{"message": "boom", "template": "Home", "line": 3},
	}
	out, err := w.e.Render(ctx, snap, engine.Render{Template: template, Lang: "en-US", Data: data, CSRFToken: "csrf-token"})
	if err != nil {
		w.t.Fatalf("render %s for %v: %v", template, viewer["email"], err)
	}
	return string(out)
}

func anyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestEveryPageRenders renders every default template for each demo role
// (and anonymous), with an order in each state the pages show, and checks
// that each says what it should.
func TestEveryPageRenders(t *testing.T) {
	w := newWorld(t)
	alice, aliceV := w.as("alice@forest.example")
	rep, repV := w.as("rep@forest.example")
	admin, adminV := w.as("admin@portal.example")
	anon, anonV := w.as("")

	// Alice has a draft with two lines and a submitted order.
	products := w.mutate(alice, `{ products(search: "100", first: 2) { edges { node { id defaultUnit } } } }`, nil)["products"].(map[string]any)["edges"].([]any)
	newOrder := func() string {
		o := w.mutate(alice, `mutation($d: Date!) { createOrder(input: {requestedReceiptDate: $d, customerRequisition: "PO-7"}) { id } }`,
			map[string]any{"d": time.Now().AddDate(0, 0, 30).Format(time.DateOnly)})["createOrder"].(map[string]any)["id"].(string)
		for _, p := range products {
			n := p.(map[string]any)["node"].(map[string]any)
			w.mutate(alice, `mutation($o: ID!, $p: ID!, $u: String!) { addOrderLine(orderId: $o, input: {productId: $p, quantity: "2", unit: $u}) { id } }`,
				map[string]any{"o": o, "p": n["id"], "u": n["defaultUnit"]})
		}
		return o
	}
	draft := newOrder()
	submitted := newOrder()
	w.mutate(alice, `mutation($o: ID!) { submitOrder(orderId: $o) { id } }`, map[string]any{"o": submitted})

	for _, tc := range []struct {
		name     string
		ctx      context.Context
		viewer   map[string]any
		template string
		params   map[string]any
		query    map[string]any
		want     []string
		not      []string
	}{
		{"home anonymous", anon, anonV, "Home", nil, nil, []string{"Sign in", "About this portal", "Your company"}, []string{"Create order</strong>"}},
		{"home alice", alice, aliceV, "Home", nil, nil, []string{"Welcome back, Alice", "Recent orders", "WEB-000002", "Create order", "My orders", "Profile", "Sign out", `name="_csrf" value="csrf-token"`}, nil},
		{"sign in", anon, anonV, "SignIn", nil, map[string]any{"next": "/orders"}, []string{`name="input.email"`, `type="password"`, "Please sign in to continue", "Forgot your password?"}, nil},
		{"sign out", alice, aliceV, "SignOut", nil, nil, []string{`value="signOut"`, "Sign out on this device?"}, nil},
		{"sign up without code", anon, anonV, "SignUp", nil, nil, []string{"Open the link from your invitation mail"}, nil},
		{"sign up bad code", anon, anonV, "SignUp", nil, map[string]any{"code": "nonsense"}, []string{"This link cannot be used", "not valid", "/password/forgot"}, []string{`name="password"`}},
		{"forgot", anon, anonV, "ForgotPassword", nil, nil, []string{`name="email"`, "Send the link"}, nil},
		{"forgot sent", anon, anonV, "ForgotPassword", nil, map[string]any{"sent": "1"}, []string{"Check your mail"}, nil},
		{"reset without token", anon, anonV, "ResetPassword", nil, nil, []string{"Open the link from the password reset mail"}, nil},
		{"reset bad token", anon, anonV, "ResetPassword", nil, map[string]any{"token": "t"}, []string{"This link cannot be used", "not valid", "/password/forgot"}, []string{`name="password"`}},
		{"profile", alice, aliceV, "Profile", nil, nil, []string{`value="Alice"`, "alice@forest.example", `name="currentPassword"`, "Forest Wholesales"}, nil},
		{"orders alice", alice, aliceV, "Orders", nil, nil, []string{"WEB-000001", "WEB-000002", "Submitted", "Draft", "2 orders"}, []string{"Placed by"}},
		{"orders filtered", alice, aliceV, "Orders", nil, map[string]any{"status": "SUBMITTED"}, []string{"WEB-000002", "1 order"}, []string{"WEB-000001<"}},
		{"orders rep", rep, repV, "Orders", nil, nil, []string{"WEB-000002", "Placed by", "Alice"}, nil},
		{"orders admin", admin, adminV, "Orders", nil, nil, []string{"WEB-000002", "Placed by"}, nil},
		{"new order", alice, aliceV, "OrderNew", nil, nil, []string{"Continue a draft", "WEB-000001", `name="input.requestedReceiptDate"`, `name="input.deliveryAddressId"`}, []string{"input.company"}},
		{"new order admin", admin, adminV, "OrderNew", nil, nil, []string{`name="input.company"`, `name="input.shipToCountry"`}, nil},
		{"items", alice, aliceV, "OrderItems", map[string]any{"id": draft}, nil, []string{"Order lines", "Update", "Remove", "Find a product", "Add", "Next: review", "Discard this draft"}, nil},
		{"items search", alice, aliceV, "OrderItems", map[string]any{"id": draft}, map[string]any{"q": "zzzz-nothing"}, []string{"No product matches"}, nil},
		{"items of a submitted order", alice, aliceV, "OrderItems", map[string]any{"id": submitted}, nil, []string{"can no longer be changed"}, []string{"Remove"}},
		{"items of another's order", rep, repV, "OrderItems", map[string]any{"id": "00000000-0000-0000-0000-000000000000"}, nil, []string{"Order not found"}, nil},
		{"review", alice, aliceV, "OrderReview", map[string]any{"id": draft}, nil, []string{"Review order", "Submit order", "PO-7", "Forest Wholesales"}, nil},
		{"order", alice, aliceV, "Order", map[string]any{"id": submitted}, map[string]any{"submitted": "1"}, []string{"your order was submitted", "WEB-000002", "History", "Submitted"}, nil},
		{"order as rep", rep, repV, "Order", map[string]any{"id": submitted}, nil, []string{"WEB-000002", "Alice"}, []string{"your order was submitted"}},
		{"order unknown", alice, aliceV, "Order", map[string]any{"id": "nope"}, nil, []string{"Order not found"}, nil},
		{"account", rep, repV, "Account", nil, nil, []string{"Forest Wholesales", "US-001", "Delivery addresses", "alice@forest.example", "bob@forest.example", "Authorized user"}, nil},
		{"terms", anon, anonV, "Terms", nil, nil, []string{"sales agreement"}, nil},
		{"about", anon, anonV, "About", nil, nil, []string{"by invitation"}, nil},
		{"403", alice, aliceV, "Error403", nil, nil, []string{"You may not open this page", "req-1"}, nil},
		{"404", anon, anonV, "Error404", nil, nil, []string{"This page does not exist", "req-1"}, nil},
		{"500", anon, anonV, "Error500", nil, nil, []string{"Something went wrong", "req-1"}, []string{"For administrators"}},
		{"500 admin", admin, adminV, "Error500", nil, nil, []string{"For administrators: template Home, line 3"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.t = t
			html := w.render(tc.ctx, tc.viewer, tc.template, "/x", tc.params, tc.query)
			for _, s := range tc.want {
				if !strings.Contains(html, s) {
					t.Errorf("%s lacks %q", tc.template, s)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(html, s) {
					t.Errorf("%s has %q", tc.template, s)
				}
			}
			if t.Failed() {
				t.Log(html)
			}
		})
	}
}

// TestOrdersPaging pages through more orders than fit one page.
func TestOrdersPaging(t *testing.T) {
	w := newWorld(t)
	alice, aliceV := w.as("alice@forest.example")
	for range 23 {
		w.mutate(alice, `mutation($d: Date!) { createOrder(input: {requestedReceiptDate: $d}) { id } }`,
			map[string]any{"d": time.Now().AddDate(0, 0, 30).Format(time.DateOnly)})
	}
	first := w.render(alice, aliceV, "Orders", "/orders", nil, nil)
	if !strings.Contains(first, "23 orders") || !strings.Contains(first, "WEB-000023") || strings.Contains(first, "WEB-000003<") ||
		strings.Contains(first, "First page") {
		t.Fatalf("first page:\n%s", first)
	}
	m := regexp.MustCompile(`href="/orders\?after=([^"&]+)"`).FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("no next page link:\n%s", first)
	}
	after, err := url.QueryUnescape(m[1])
	if err != nil {
		t.Fatal(err)
	}
	second := w.render(alice, aliceV, "Orders", "/orders", nil, map[string]any{"after": after})
	for _, want := range []string{"WEB-000003<", "WEB-000001<", "First page"} {
		if !strings.Contains(second, want) {
			t.Errorf("second page lacks %q", want)
		}
	}
	if strings.Contains(second, "WEB-000004<") || strings.Contains(second, "Next page") {
		t.Errorf("second page:\n%s", second)
	}
}

// BenchmarkRender renders default pages as Alice with 20 orders (each page's
// GraphQL included), as the site does per request: go test ./pagetemplates
// -run '^$' -bench Render -benchmem.
func BenchmarkRender(b *testing.B) {
	w := newWorld(b)
	alice, aliceV := w.as("alice@forest.example")
	var draft string
	for range 20 {
		draft = w.mutate(alice, `mutation($d: Date!) { createOrder(input: {requestedReceiptDate: $d}) { id } }`,
			map[string]any{"d": time.Now().AddDate(0, 0, 30).Format(time.DateOnly)})["createOrder"].(map[string]any)["id"].(string)
	}
	for _, bc := range []struct {
		template string
		params   map[string]any
	}{{"Home", nil}, {"Orders", nil}, {"OrderItems", map[string]any{"id": draft}}, {"Terms", nil}} {
		b.Run(bc.template, func(b *testing.B) {
			w.t = b
			w.render(alice, aliceV, bc.template, "/x", bc.params, nil) // compile once
			b.ReportAllocs()
			for b.Loop() {
				w.render(alice, aliceV, bc.template, "/x", bc.params, nil)
			}
		})
	}
}
