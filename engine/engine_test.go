package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	portal "github.com/openportal/portal"
	"github.com/uptrace/bun"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/engine"
	"github.com/openportal/portal/policies/policytest"
)

func TestLoaderIncludesAndExtendsStoredTemplates(t *testing.T) {
	e := newEnvOn(t, dbtest.New(t))
	w := e.world()
	admin := w.Ctx(t, "admin")
	e.save(admin, "Header", `<header>{{ settings.site_name }}</header>`)
	e.save(admin, "Layout", `<html>{% include "Header" %}<main>{% block content %}default{% endblock %}</main></html>`)
	e.save(admin, "Home", `{% extends "Layout" %}{% block content %}Hello {{ viewer.name }}{% endblock %}`)
	got, err := e.render(admin, "Home", map[string]any{"settings": map[string]string{"site_name": "Contoso"}, "viewer": map[string]any{"name": "Ann"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `<html><header>Contoso</header><main>Hello Ann</main></html>`; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	// A change to an included template shows in the pages that include it.
	e.save(admin, "Header", `<header>New {{ settings.site_name }}</header>`)
	got, _ = e.render(admin, "Home", map[string]any{"settings": map[string]string{"site_name": "Contoso"}})
	contains(t, got, "<header>New Contoso</header>")

	t.Run("history and rollback", func(t *testing.T) {
		tpl, err := e.eng.WebTemplate(admin, "Header")
		if err != nil || tpl.Version != 2 {
			t.Fatalf("version: %+v %v", tpl, err)
		}
		h, err := e.eng.History(admin, tpl, 10)
		if err != nil || len(h) != 1 || h[0].Version != 1 || !strings.Contains(h[0].Source, "<header>{{") {
			t.Fatalf("history: %+v %v", h, err)
		}
		back, err := e.eng.RollbackWebTemplate(admin, "Header", 1)
		if err != nil || back.Version != 3 || back.Source != h[0].Source {
			t.Fatalf("rollback: %+v %v", back, err)
		}
		got, _ := e.render(admin, "Home", map[string]any{"settings": map[string]string{"site_name": "C"}})
		contains(t, got, "<header>C</header>")
	})
	t.Run("delete refused while included", func(t *testing.T) {
		err := e.eng.DeleteWebTemplate(admin, "Header")
		if code(err) != portal.ECONFLICT || !strings.Contains(err.Error(), "includes or extends Header") {
			t.Fatalf("got %v", err)
		}
		if _, err := e.eng.SavePageTemplate(admin, engine.PageTemplateInput{Name: "Home page", WebTemplateName: "Home"}); err != nil {
			t.Fatal(err)
		}
		err = e.eng.DeleteWebTemplate(admin, "Home")
		if code(err) != portal.ECONFLICT || !strings.Contains(err.Error(), "Home page") {
			t.Fatalf("got %v", err)
		}
		e.save(admin, "Unused", `x`)
		if err := e.eng.DeleteWebTemplate(admin, "Unused"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("audit log", func(t *testing.T) {
		var n int
		if err := e.db.NewRaw("SELECT count(*) FROM audit_log WHERE action LIKE 'web_template.%' AND actor_id = ?", w.Contacts["admin"].ID).Scan(context.Background(), &n); err != nil {
			t.Fatal(err)
		}
		// 4 saves, 1 rollback, 1 save of Unused, 1 delete
		if n != 7 {
			t.Fatalf("%d template entries in the audit log, want 7", n)
		}
	})
	t.Run("only administrators", func(t *testing.T) {
		for _, who := range []string{"anonymous", "alice", "rep", "nobody"} {
			_, err := e.eng.SaveWebTemplate(w.Ctx(t, who), "Header", "hacked")
			if c := code(err); c != portal.EFORBIDDEN && c != portal.EUNAUTHENTICATED {
				t.Errorf("%s: got %v", who, err)
			}
			if _, err := e.eng.WebTemplates(w.Ctx(t, who)); err == nil {
				t.Errorf("%s may list templates", who)
			}
		}
	})
}

func TestSandbox(t *testing.T) {
	e := newEnvOn(t, dbtest.New(t))
	w := e.world()
	admin := w.Ctx(t, "admin")
	e.save(admin, "Header", `header`)
	refused := []struct{ name, src, want string }{
		{"ssi", `{% ssi "/etc/passwd" %}`, "not allowed"},
		{"absolute include", `{% include "/etc/passwd" %}`, "not a template name"},
		{"relative include", `{% include "../Header" %}`, "not a template name"},
		{"path include", `{% include "templates/Header.html" %}`, "not a template name"},
		{"extends a path", `{% extends "/etc/passwd" %}`, "not a template name"},
		{"missing include", "ok\n{% include \"Nope\" %}", "does not exist"},
		{"unknown tag", "a\nb {% frobnicate %}", "frobnicate"},
		{"unknown filter", `{{ x|frobnicate }}`, "frobnicate"},
		{"lorem", `{% lorem 100000000 w %}`, "not allowed"},
		{"ljust", `{{ "x"|ljust:1000000000 }}`, "not allowed"},
		{"rjust", `{{ "x"|rjust:1000000000 }}`, "not allowed"},
		{"center", `{{ "x"|center:1000000000 }}`, "not allowed"},
		{"stringformat", `{{ 1|stringformat:"%0999999999d" }}`, "not allowed"},
		{"macro", `{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}`, "not allowed"},
		{"import", `{% import "Header" m %}`, "not allowed"},
		{"include cycle", `{% include "Cycle" %}`, "cycle"},
		{"graphql mutation", `{% graphql "mutation { signOut }" as r %}`, "must be a query"},
		{"graphql invalid", `{% graphql "query { nope }" as r %}`, "nope"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.eng.SaveWebTemplate(admin, "Cycle", c.src)
			if code(err) != portal.EINVALID || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want BAD_USER_INPUT containing %q", err, c.want)
			}
		})
	}

	t.Run("computed include refused", func(t *testing.T) {
		_, err := e.eng.SaveWebTemplate(admin, "Dyn", "x\n  {% include name %}")
		if code(err) != portal.EINVALID || !strings.Contains(err.Error(), "in quotes") || !strings.Contains(err.Error(), "line 2") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("include with and only", func(t *testing.T) {
		e.save(admin, "Greet", `{{ who }}{{ other }}`)
		e.save(admin, "Greeter", `{% include "Greet" with who="Ann" %}|{% include "Greet" with who="Bo" only %}|{% include "Missing" if_exists %}`)
		got, err := e.render(admin, "Greeter", map[string]any{"other": "!"})
		if err != nil || got != "Ann!|Bo|" {
			t.Fatalf("%q %v", got, err)
		}
	})
	long := strings.Repeat("x", 5000)
	cutOff := []struct{ name, src, want string }{
		{"nested loops that print nothing", `{% for a in s|make_list %}{% for b in s|make_list %}{% endfor %}{% endfor %}`, "loop iterations"},
		{"loops that print without end", `{% for a in s|make_list %}{% for b in s|make_list %}{{ s }}{% endfor %}{% endfor %}`, "printed more than"},
		{"a string doubled in a loop", `{% set x = "ab" %}{% for a in s|make_list %}{% set x = x + x %}{% endfor %}`, "longer than"},
		{"add doubling", `{% set x = "ab" %}{% for a in s|make_list %}{% set x = x|add:x %}{% endfor %}`, "longer than"},
		{"an included template printing in a loop", `{% for a in s|make_list %}{% include "Big" %}{% endfor %}`, "printed more than"},
	}
	e.save(admin, "Big", `{% for b in s|make_list %}{{ s }}{% endfor %}`)
	for _, c := range cutOff {
		t.Run(c.name, func(t *testing.T) {
			e.save(admin, "Loop", c.src)
			start := time.Now()
			_, err := e.render(admin, "Loop", map[string]any{"s": long})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			if d := time.Since(start); d > 6*time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
	t.Run("a template reaching into what it cannot read fails alone", func(t *testing.T) {
		e.save(admin, "Reach", `{% for a in "ab"|make_list %}{{ forloop.Parentloop.Counter }}{% endfor %}`)
		if _, err := e.render(admin, "Reach", nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("context cannot reach the render state", func(t *testing.T) {
		e.save(admin, "Probe", `[{{ _portal }}][{{ _portal.r }}][{{ forloop.Parentloop }}]`)
		got, err := e.render(admin, "Probe", nil)
		if err != nil {
			t.Fatal(err)
		}
		if got != "[][][]" {
			t.Fatalf("the render state leaks: %q", got)
		}
	})
}

func TestAutoescape(t *testing.T) {
	e := newEnvOn(t, dbtest.New(t))
	w := e.world()
	admin := w.Ctx(t, "admin")
	if _, err := e.db.ExecContext(context.Background(), "UPDATE product SET name = '<script>alert(1)</script>' WHERE id = ?", w.Product); err != nil {
		t.Fatal(err)
	}
	e.save(admin, "Products", `{% graphql "query { products(first: 5) { edges { node { name } } } }" as r %}`+
		`{% for e in r.data.products.edges %}<li>{{ e.node.name }}</li>{% endfor %}|{{ q }}`)
	for _, who := range []string{"anonymous", "alice"} {
		got, err := e.render(w.Ctx(t, who), "Products", map[string]any{"q": `"><img src=x onerror=alert(2)>`})
		if err != nil {
			t.Fatal(err)
		}
		contains(t, got, "<li>&lt;script&gt;alert(1)&lt;/script&gt;</li>")
		contains(t, got, "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;")
		if strings.Contains(got, "<script>") || strings.Contains(got, "<img") {
			t.Fatalf("%s: not escaped: %s", who, got)
		}
	}
}

func TestParseErrorsNameLineAndColumn(t *testing.T) {
	e := newEnvOn(t, dbtest.New(t))
	w := e.world()
	admin := w.Ctx(t, "admin")
	e.save(admin, "Page", "good version")
	cases := []struct{ name, src, want string }{
		{"unclosed tag", "line one\nline two\n{% if x %}never closed", "line 3"},
		{"bad expression", "a\n\n\n{{ 1 + }}", "line 4"},
		{"graphql field", "a\n{% graphql \"query { viewer { nope } }\" as r %}", "line 2, column 30"},
		{"graphql block on a later line", "a\n{% graphql as r %}query {\n  viewer {\n    nope\n  }\n}{% endgraphql %}", "line 4, column 5"},
		{"graphql block, first line", "{% graphql as r %}{ nope }{% endgraphql %}", "line 1, column 21"},
		{"form mutation", "{% form \"f\" mutation=\"mutation { nope }\" %}{% endform %}", "line 1"},
		{"field outside the mutation", "{% form \"f\" mutation=\"mutation($name: String!, $value: String!) { saveSiteSetting(name: $name, value: $value) { name } }\" %}\n{% field \"other\" %}{% endform %}", "line 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.eng.SaveWebTemplate(admin, "Page", c.src)
			if code(err) != portal.EINVALID || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want BAD_USER_INPUT with %q", err, c.want)
			}
			var pe *portal.Error
			errors.As(err, &pe)
			if pe.Field != "source" || pe.Details["line"] == 0 {
				t.Fatalf("details: %+v", pe)
			}
			// The live site keeps the last good version.
			got, err := e.render(admin, "Page", nil)
			if err != nil || got != "good version" {
				t.Fatalf("after a refused save: %q %v", got, err)
			}
		})
	}
	t.Run("a change that breaks an includer is refused", func(t *testing.T) {
		e.save(admin, "Part", `{% block b %}{% endblock %}`)
		e.save(admin, "Whole", `{% extends "Part" %}{% block b %}x{% endblock %}`)
		_, err := e.eng.SaveWebTemplate(admin, "Part", `{% if %}`)
		if code(err) != portal.EINVALID {
			t.Fatalf("got %v", err)
		}
	})
}

// The permission matrix through a template: for every person of the
// policytest world, the orders a {% graphql %} tag returns are exactly
// those the same query returns through the API, and exactly those the
// design's table allows.
func TestGraphQLTagSeesWhatTheViewerMayRead(t *testing.T) {
	e := newEnvOn(t, dbtest.New(t))
	w := e.world()
	admin := w.Ctx(t, "admin")
	const q = `query($first: Int) { orders(first: $first) { edges { node { id } } } }`
	e.save(admin, "MyOrders", `{% graphql "`+q+`" first=50 as r %}{% for e in r.data.orders.edges %}{{ e.node.id }} {% endfor %}{% for e in r.errors %}error:{{ e.code }}{% endfor %}`)
	e.save(admin, "Order", `{% graphql "query($id: ID!) { order(id: $id) { id } }" id=id as r %}{{ r.data.order.id }}{% for e in r.errors %}error:{{ e.code }}{% endfor %}`)
	expect := map[string][]string{
		"admin":     {"admin", "rep", "alice", "bob", "nobody", "carla"},
		"rep":       {"admin", "rep", "alice", "bob", "nobody"},
		"alice":     {"alice"},
		"bob":       {"bob"},
		"carla":     {"carla"},
		"nobody":    {},
		"anonymous": {},
	}
	for who, owners := range expect {
		t.Run(who, func(t *testing.T) {
			ctx := w.Ctx(t, who)
			got, err := e.render(ctx, "MyOrders", nil)
			if err != nil {
				t.Fatal(err)
			}
			ids := strings.Fields(got)
			var want []string
			for _, o := range owners {
				want = append(want, w.Orders[o])
			}
			api := apiOrderIDs(t, e.eng.API, ctx, q)
			sort.Strings(ids)
			sort.Strings(want)
			if !slices.Equal(ids, want) || !slices.Equal(api, want) {
				t.Fatalf("template %v, API %v, want %v", ids, api, want)
			}
			// One order by id: readable ones show, others are not found.
			for _, p := range policytest.People {
				got, err := e.render(ctx, "Order", map[string]any{"id": w.Orders[p.Name]})
				if err != nil {
					t.Fatal(err)
				}
				may := slices.Contains(owners, p.Name)
				if may != (got == w.Orders[p.Name]) {
					t.Errorf("order of %s: got %q (may read: %v)", p.Name, got, may)
				}
			}
		})
	}
}

// A save on one instance shows on another on its next render: by NOTIFY,
// and by the periodic version check when notifications are not listened to.
func TestCacheInvalidationAcrossInstances(t *testing.T) {
	u := dbtest.NewURL(t)
	open := func() *bun.DB {
		d, err := db.Open(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	// Each instance has its own connection pool, enforcer and engine.
	a := newEnvOn(t, open())
	w := a.world()
	admin := w.Ctx(t, "admin")
	a.save(admin, "Tile", `Create order`)
	for _, c := range []struct {
		name string
		opts []engine.Option
	}{
		{"notify", nil},
		{"version check", []engine.Option{engine.WithoutListen(), engine.CheckEvery(100 * time.Millisecond)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newEnvOn(t, open(), c.opts...)
			if err := b.policy.Reload(context.Background()); err != nil {
				t.Fatal(err)
			}
			got, err := b.render(admin, "Tile", nil)
			if err != nil {
				t.Fatal(err)
			}
			text := fmt.Sprintf("Place an order (%s)", c.name)
			a.save(admin, "Tile", text)
			start := time.Now()
			for got != text {
				if time.Since(start) > 3*time.Second {
					t.Fatalf("instance b still renders %q", got)
				}
				time.Sleep(10 * time.Millisecond)
				got, _ = b.render(admin, "Tile", nil)
			}
			t.Logf("seen on the other instance after %v", time.Since(start))
			if c.name == "notify" && time.Since(start) > time.Second {
				t.Fatalf("took %v", time.Since(start))
			}
		})
	}
}

// apiOrderIDs runs the query through the API as the viewer of ctx.
func apiOrderIDs(t *testing.T, api engine.API, ctx context.Context, q string) []string {
	t.Helper()
	res := engine.Result(api.Exec(ctx, q, map[string]any{"first": 50}))
	var ids []string
	data, _ := res["data"].(map[string]any)
	if o, ok := data["orders"].(map[string]any); ok {
		for _, e := range o["edges"].([]any) {
			ids = append(ids, e.(map[string]any)["node"].(map[string]any)["id"].(string))
		}
	}
	sort.Strings(ids)
	return ids
}

// Renders go on while templates change and compile (run with -race):
// a compile swaps pongo2's global filters, which renders read.
func TestRendersDuringChanges(t *testing.T) {
	e := newEnvOn(t, dbtest.New(t))
	w := e.world()
	admin := w.Ctx(t, "admin")
	e.save(admin, "Part", `{{ "12.5"|money:"EUR" }} {{ "2026-11-29"|date }}`)
	e.save(admin, "Page", `{% include "Part" %} {{ "<b>" }}`)
	done := make(chan struct{})
	errs := make(chan error, 4)
	for i := range 4 {
		go func() {
			lang := []string{"en-US", "de-DE", "fr-FR", "en-GB"}[i]
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				out, err := e.eng.Render(admin, nil, engine.Render{Template: "Page", Lang: lang})
				if err != nil || !strings.Contains(string(out), "&lt;b&gt;") {
					errs <- fmt.Errorf("%s: %q %v", lang, out, err)
					return
				}
			}
		}()
	}
	for i := range 10 {
		e.save(admin, "Part", fmt.Sprintf(`{{ "12.5"|money:"EUR" }} {{ "2026-11-29"|date }} %d`, i))
	}
	close(done)
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for lang, want := range map[string]string{"en-US": "€12.50 Nov 29, 2026 9", "de-DE": "12,50 € 29.11.2026 9"} {
		out, err := e.eng.Render(admin, nil, engine.Render{Template: "Page", Lang: lang})
		if err != nil || !strings.Contains(string(out), want) {
			t.Errorf("%s: %q %v", lang, out, err)
		}
	}
}

// TestByIDInOrder: the templates a page template or page links to are
// found in the order asked, by value (upper case too), nil where none.
func TestByIDInOrder(t *testing.T) {
	e := newEnvOn(t, dbtest.New(t))
	admin := e.world().Ctx(t, "admin")
	e.save(admin, "A", `a`)
	e.save(admin, "B", `b`)
	a, _ := e.eng.WebTemplate(admin, "A")
	b, _ := e.eng.WebTemplate(admin, "B")
	pa, err := e.eng.SavePageTemplate(admin, engine.PageTemplateInput{Name: "PA", WebTemplateName: "A"})
	if err != nil {
		t.Fatal(err)
	}
	const missing = "00000000-0000-0000-0000-000000000001"
	wts, err := e.eng.WebTemplatesByID(admin, []string{b.ID, "not an id", strings.ToUpper(a.ID), missing})
	if err != nil {
		t.Fatal(err)
	}
	if len(wts) != 4 || wts[0] == nil || wts[0].Name != "B" || wts[1] != nil || wts[2] == nil || wts[2].Name != "A" || wts[3] != nil {
		t.Errorf("WebTemplatesByID = %+v", wts)
	}
	pts, err := e.eng.PageTemplatesByID(admin, []string{missing, strings.ToUpper(pa.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || pts[0] != nil || pts[1] == nil || pts[1].Name != "PA" {
		t.Errorf("PageTemplatesByID = %+v", pts)
	}
	if none, err := e.eng.WebTemplatesByID(admin, []string{"x"}); err != nil || len(none) != 1 || none[0] != nil {
		t.Errorf("WebTemplatesByID(x) = %v, %v", none, err)
	}
}
