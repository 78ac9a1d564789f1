package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/openportal/portal/db/dbtest"
)

// editor is the JavaScript handle of the template editor on the page.
const editor = `document.querySelector('.editor-pane').editor`

// waitPreview waits until the preview frame shows text.
func (u *user) waitPreview(text string) {
	u.t.Helper()
	u.waitJS("preview shows "+text, fmt.Sprintf(`(document.querySelector('.preview-frame')?.srcdoc || '').includes(%q)`, text))
}

// confirm clicks the confirming button of the open dialog.
func (u *user) confirm() {
	u.t.Helper()
	u.click(`dialog[open] .btn-danger`)
	u.waitJS("dialog closed", `!document.querySelector('dialog[open]')`)
}

// homeVersion is the Home template's version, read through the API.
func homeVersion(t *testing.T, base, token string) int {
	d := gqlOK(t, base, token, `{ webTemplate(name: "Home") { version } }`, nil)
	return int(d["webTemplate"].(map[string]any)["version"].(float64))
}

// TestManage walks /manage as an administrator does: the editor with its
// preview, a refused save, rollback, the tiles form, pages, snippets and
// settings; and checks that nobody else gets in.
func TestManage(t *testing.T) {
	dbURL := dbtest.NewURL(t)
	s := startServers(t, dbURL, "", 1)[0]
	browser := newBrowser(t)
	adminToken := signInToken(t, s.url, "admin@portal.example", adminPass)

	t.Run("a non-administrator gets the sign-in page or a 403 page, never the app", func(t *testing.T) {
		anon := newUser(t, browser, "anonymous")
		anon.open(s.url + "/manage")
		if loc := anon.location(); !strings.Contains(loc, "/signin?next=%2Fmanage%2F") {
			t.Fatalf("anonymous /manage went to %s", loc)
		}
		anon.shot("manage-anonymous-signin")
		alice := newUser(t, browser, "alice")
		alice.signIn(s.url, "alice@forest.example", alicePass)
		alice.open(s.url + "/manage/")
		alice.sees("Administrators only")
		alice.seesNot("Templates")
		alice.shot("manage-403")
		status := alice.jsAwait(`fetch('/manage/app.js').then(r => String(r.status))`)
		if status != "403" {
			t.Errorf("a customer fetching /manage/app.js got %s", status)
		}
		// The API keeps its own permissions: a customer's call is refused.
		got := alice.jsAwait(`fetch('/graphql', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({query: '{ webTemplates { name } }'})}).then(r => r.json()).then(b => (b.errors || []).map(e => e.extensions.code).join())`)
		if got != "FORBIDDEN" {
			t.Errorf("a customer's webTemplates query answered %q, want FORBIDDEN", got)
		}
	})

	admin := newUser(t, browser, "admin")
	t.Run("admin signs in and sees the templates", func(t *testing.T) {
		admin.t = t
		admin.open(s.url + "/manage/")
		admin.fill(`input[name="input.email"]`, "admin@portal.example")
		admin.fill(`input[name="input.password"]`, adminPass)
		admin.submit(`form button[type="submit"].button-block`)
		admin.waitJS("templates listed", `document.body.innerText.includes('Layout') && document.body.innerText.includes('Web templates')`)
		if loc := admin.location(); !strings.Contains(loc, "/manage/") {
			t.Fatalf("after sign-in: %s", loc)
		}
		admin.shot("templates-list")
		admin.click(`.tabs button:nth-child(2)`)
		admin.waitJS("page templates tab", `document.body.innerText.includes('Save page template')`)
		admin.shot("templates-page-templates")
		admin.click(`.tabs button:nth-child(3)`)
		admin.waitJS("pages tab", `document.body.innerText.includes('Who may open it')`)
		admin.shot("templates-web-pages")
	})

	var before int
	t.Run("admin edits Home, sees the preview change, saves, and the site shows it", func(t *testing.T) {
		admin.t = t
		before = homeVersion(t, s.url, adminToken)
		admin.openApp(s.url + "/manage/#/templates/edit/Home")
		admin.waitJS("editor", `!!document.querySelector('.cm-content')`)
		admin.waitPreview("Welcome back")
		admin.do("edit", chromedp.Evaluate[chromedp.Void](editor+`.setValue(`+editor+`.value().replace('Welcome back,', 'Hello from the editor,'))`))
		admin.waitPreview("Hello from the editor")
		admin.sees("unsaved changes")
		admin.shot("editor-preview-changed")
		// Preview as another contact.
		admin.do("preview as alice", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('select[name=as]'); s.value = [...s.options].find(o => o.text.includes('alice@')).value; s.dispatchEvent(new Event('change')); })()`))
		admin.waitPreview("Hello from the editor, Alice")
		admin.shot("editor-preview-as-alice")
		// Saved from the keyboard: Ctrl+S in the editor.
		admin.do("focus editor", chromedp.Evaluate[chromedp.Void](`document.querySelector('.cm-content').focus()`))
		admin.do("ctrl+s", chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
		admin.waitJS("saved", `document.body.innerText.includes('Saved Home as version')`)
		if v := homeVersion(t, s.url, adminToken); v != before+1 {
			t.Fatalf("version %d after save, want %d", v, before+1)
		}
		// The site, in a second page of the same session.
		tab, cancel := chromedp.NewContext(admin.ctx)
		defer cancel()
		if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil { // the tab lives as long as this first run's context
			t.Fatal(err)
		}
		site := &user{t: t, ctx: tab, name: "admin-site", dir: admin.dir}
		site.open(s.url + "/")
		site.sees("Hello from the editor, Portal")
		site.shot("site-after-save")
	})

	t.Run("a save with a syntax error shows the line and changes nothing", func(t *testing.T) {
		admin.t = t
		v := homeVersion(t, s.url, adminToken)
		admin.do("break", chromedp.Evaluate[chromedp.Void](editor+`.setValue(`+editor+`.value().replace('{% endblock %}', '{% if %}{% endblock %}'))`))
		line := admin.js(editor + `.value().split('\n').findIndex(l => l.includes('{% if %}')) + 1 + ''`)
		admin.click(`#save`)
		admin.waitJS("error shown", `!document.getElementById('template-error').hidden && document.getElementById('template-error').innerText.startsWith('Line ')`)
		msg := admin.js(`document.getElementById('template-error').innerText`)
		if !strings.HasPrefix(msg, "Line "+line) {
			t.Errorf("error %q does not name line %s", msg, line)
		}
		admin.waitJS("error marked in the gutter", `!!document.querySelector('.cm-lint-marker-error')`)
		admin.shot("editor-syntax-error")
		if got := homeVersion(t, s.url, adminToken); got != v {
			t.Fatalf("a refused save changed the version %d → %d", v, got)
		}
		res, err := httpGet(s.url + "/")
		if err != nil || !strings.Contains(res, `<ul class="tiles">`) {
			t.Fatalf("the site broke after a refused save: %v\n%s", err, res)
		}
	})

	t.Run("rollback restores the previous version", func(t *testing.T) {
		admin.t = t
		if !admin.openApp(s.url + "/manage/#/templates/edit/Home") {
			t.Error("leaving the editor with unsaved changes did not ask first")
		}
		admin.waitJS("editor", `!!document.querySelector('.cm-content')`)
		admin.seesNot("unsaved changes")
		admin.click(`#history`)
		admin.waitJS("history", `!!document.getElementById('diff')`)
		admin.sees("Hello from the editor", "ships a different default")
		admin.shot("history-diff")
		admin.click(fmt.Sprintf(`button[data-rollback="%d"]`, before))
		admin.shot("rollback-confirm")
		admin.confirm()
		admin.waitJS("rolled back", `document.body.innerText.includes('Rolled back')`)
		admin.waitPreview("Welcome back")
		res, _ := httpGet(s.url + "/")
		if strings.Contains(res, "Hello from the editor") {
			t.Fatal("the site still shows the rolled-back edit")
		}
		if v := homeVersion(t, s.url, adminToken); v != before+2 {
			t.Errorf("version %d after rollback, want %d", v, before+2)
		}
	})

	t.Run("a tile added in the tiles form shows on the site for the chosen roles only", func(t *testing.T) {
		admin.t = t
		admin.openApp(s.url + "/manage/#/tiles")
		admin.waitJS("tiles form", `!!document.getElementById('add-tile')`)
		admin.shot("tiles-empty")
		admin.click(`#add-tile`)
		admin.fill(`.tile-card input[name=title]`, "Rep corner")
		admin.fill(`.tile-card input[name=text]`, `For <reps> & "co" {{ viewer.email }}`)
		admin.fill(`.tile-card input[name=link]`, "/account")
		admin.do("input events", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('.tile-card input[name]').forEach(i => i.dispatchEvent(new Event('input')))`))
		admin.click(`.tile-card input[value="Customer representative"]`)
		admin.click(`#add-tile`)
		admin.fill(`.tile-card:nth-of-type(2) input[name=title]`, "Everyone tile")
		admin.fill(`.tile-card:nth-of-type(2) input[name=link]`, "/about")
		admin.do("input events 2", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('.tile-card input[name]').forEach(i => i.dispatchEvent(new Event('input')))`))
		admin.click(`button[aria-label="Move tile 2 up"]`)
		admin.shot("tiles-filled")
		admin.click(`#save-tiles`)
		admin.waitJS("tiles saved", `document.body.innerText.includes('Saved the tiles')`)
		admin.openApp(s.url + "/manage/#/tiles")
		admin.waitJS("tiles read back", `[...document.querySelectorAll('.tile-card input[name=title]')].map(i => i.value).join() === 'Everyone tile,Rep corner'`)
		admin.shot("tiles-read-back")

		rep := newUser(t, browser, "rep")
		rep.signIn(s.url, "rep@forest.example", repPass)
		rep.open(s.url + "/")
		rep.sees("Rep corner", "Everyone tile", `For <reps> & "co" {{ viewer.email }}`) // text stays text
		rep.shot("home-rep-tiles")
		alice := newUser(t, browser, "alice2")
		alice.signIn(s.url, "alice@forest.example", alicePass)
		alice.open(s.url + "/")
		alice.sees("Everyone tile")
		alice.seesNot("Rep corner")
		anon := newUser(t, browser, "anonymous2")
		anon.open(s.url + "/")
		anon.sees("Everyone tile")
		anon.seesNot("Rep corner")
	})

	t.Run("a hand-edited tiles region is reported, not overwritten", func(t *testing.T) {
		admin.t = t
		d := gqlOK(t, s.url, adminToken, `{ webTemplate(name: "Home") { source } }`, nil)
		src := strings.Replace(d["webTemplate"].(map[string]any)["source"].(string), "Rep corner</strong>", "Rep corner!</strong>", 1)
		gqlOK(t, s.url, adminToken, `mutation($s: String!) { saveWebTemplate(name: "Home", source: $s) { version } }`, map[string]any{"s": src})
		admin.openApp(s.url + "/manage/#/tiles")
		admin.waitJS("hand edit reported", `document.body.innerText.includes('edited by hand')`)
		admin.seesNot("Save tiles")
		admin.shot("tiles-hand-edited")
	})

	t.Run("create a page for a role; snippets and settings", func(t *testing.T) {
		admin.t = t
		admin.openApp(s.url + "/manage/#/templates")
		admin.waitJS("templates", `!!document.querySelector('input[aria-label="New template name"]')`)
		admin.fill(`input[aria-label="New template name"]`, "RepNews")
		admin.submit0(`form.toolbar button[type=submit]`)
		admin.waitJS("new template in the editor", `location.hash === '#/templates/edit/RepNews' && !!document.querySelector('.cm-content')`)
		admin.do("write", chromedp.Evaluate[chromedp.Void](editor+`.setValue(`+editor+`.value().replace('Write the page here.', 'News for representatives.'))`))
		admin.click(`#save`)
		admin.waitJS("saved", `document.body.innerText.includes('Saved RepNews as version')`)
		admin.openApp(s.url + "/manage/#/pages/new")
		admin.waitJS("page form", `!!document.querySelector('input[name=path]')`)
		admin.submit0(`form button[type=submit]`)
		admin.waitJS("field errors", `!!document.querySelector('[aria-invalid=true]')`)
		admin.shot("page-form-errors")
		admin.fill(`input[name=path]`, "/rep-news")
		admin.fill(`input[name=title]`, "Rep news")
		admin.do("template", chromedp.SetValue(chromedp.CSS(`select[name=pageTemplateName]`), "RepNews"))
		admin.click(`input[type=radio][value=no]`)
		admin.do("role", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('input[name=roleIds]')].find(c => c.parentElement.textContent.includes('Customer representative')).click()`))
		admin.shot("page-form-filled")
		admin.submit0(`form button[type=submit]`)
		admin.waitJS("created", `document.body.innerText.includes('Created /rep-news')`)
		admin.shot("pages-list")
		if res, _ := httpGet(s.url + "/rep-news"); strings.Contains(res, "Rep news</h1>") {
			t.Error("an anonymous visitor sees the role-only page")
		}
		rep := newUser(t, browser, "rep2")
		rep.signIn(s.url, "rep@forest.example", repPass)
		rep.open(s.url + "/rep-news")
		rep.sees("Rep news", "News for representatives.")
		rep.shot("rep-news-page")

		admin.openApp(s.url + "/manage/#/snippets")
		admin.waitJS("snippets", `!!document.querySelector('textarea[name=value]')`)
		admin.fill(`input[name=name]`, "home_intro")
		admin.fill(`textarea[name=value]`, "Managed intro text.")
		admin.submit0(`form button[type=submit]`)
		admin.waitJS("asked before replacing", `!!document.querySelector('dialog[open]')`)
		admin.sees("exists already")
		admin.confirm()
		admin.waitJS("snippet saved", `document.body.innerText.includes('Saved snippet home_intro')`)
		admin.shot("snippets")
		admin.openApp(s.url + "/manage/#/settings/edit/site_name")
		admin.waitJS("settings", `document.querySelector('input[name=value]')?.value !== ''`)
		admin.fill(`input[name=value]`, "Managed portal")
		admin.submit0(`form button[type=submit]`)
		admin.waitJS("setting saved", `document.body.innerText.includes('Saved site_name')`)
		admin.shot("settings")
		res, _ := httpGet(s.url + "/")
		if !strings.Contains(res, "Managed intro text.") || !strings.Contains(res, "managed portal") {
			t.Errorf("the home page lacks the snippet or the setting:\n%s", res)
		}
	})
}

// openApp opens a /manage URL so that its screen is drawn afresh: opening
// the hash the app is already at would keep the screen as it is. (It goes
// by another hash rather than another page: leaving the editor with
// unsaved changes asks first.)
// It reports whether the app asked to leave unsaved changes (and left).
func (u *user) openApp(url string) (asked bool) {
	u.t.Helper()
	if strings.Contains(u.location(), "/manage/") {
		u.do("reset screen", chromedp.Evaluate[chromedp.Void](`location.hash = '#/templates/reset'`))
		u.waitJS("screen reset or asked", `!document.querySelector('.cm-content') || !!document.querySelector('dialog[open]')`)
		if u.js(`document.querySelector('dialog[open]')?.innerText || ''`) != "" {
			asked = true
			u.shot("leave-unsaved-confirm")
			u.confirm()
			u.waitJS("screen reset", `!document.querySelector('.cm-content')`)
		}
	}
	u.open(url)
	return asked
}

// jsAwait evaluates an expression that returns a promise of a string.
func (u *user) jsAwait(expr string) string {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, timeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		u.t.Fatalf("%s: %s: %v", u.name, expr, err)
	}
	return s
}

// submit0 clicks a button that does not load a new page (the app's forms).
func (u *user) submit0(css string) {
	u.t.Helper()
	u.click(css)
}

func httpGet(url string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}
