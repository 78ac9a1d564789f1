package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/identity/mailtest"
)

// submit clicks something that loads a new page (a form button or a link)
// and waits until the new page has loaded.
func (u *user) submit(css string) {
	u.t.Helper()
	u.do("mark page", chromedp.Evaluate[chromedp.Void]("window.__e2eOld = true"))
	u.click(css)
	u.waitJS("navigate after "+css, "window.__e2eOld === undefined && document.readyState === 'complete'")
}

// waitJS waits until a JavaScript expression is true.
func (u *user) waitJS(what, expr string) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, timeout)
	defer cancel()
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond)))
		if err == nil {
			return
		}
		// A navigation destroys the page the poll runs in: poll again in
		// the new one.
		if ctx.Err() == nil && navigating(err) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		u.shot("failed-wait")
		u.t.Fatalf("%s: %s: %v\nat %s, page text:\n%s", u.name, what, err, u.location(), u.textNow())
	}
}

// navigating reports whether err is the browser saying that the page went
// away under the command (it navigated).
func navigating(err error) bool {
	for _, s := range []string{"context with specified id", "context was destroyed", "navigated or closed", "Not attached to an active page"} {
		if strings.Contains(err.Error(), s) {
			return true
		}
	}
	return false
}

func (u *user) js(expr string) string {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, timeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		u.t.Fatalf("%s: %s: %v", u.name, expr, err)
	}
	return s
}

// signIn signs in through the Sign in page.
func (u *user) signIn(base, email, password string) {
	u.t.Helper()
	u.open(base + "/signin")
	u.fill(`input[name="input.email"]`, email)
	u.fill(`input[name="input.password"]`, password)
	u.submit(`form button[type="submit"].button-block`)
}

const (
	alicePass = "demo-alice-pass"
	bobPass   = "demo-bob-pass"
	repPass   = "demo-rep-pass"
	adminPass = "demo-admin-pass"
)

var resetLink = regexp.MustCompile(`http://127\.0\.0\.1:\d+/password/reset\?token=[A-Za-z0-9_%-]+`)

// TestSite walks the default site as its users do, on two portal processes
// sharing one database (A loads the demo data; B starts on it afterwards).
func TestSite(t *testing.T) {
	start := time.Now()
	dbURL := dbtest.NewURL(t)
	box := mailtest.New(t)
	servers := startServers(t, dbURL, box.URL(), 2)
	a, b := servers[0], servers[1]
	browser := newBrowser(t)
	t.Logf("servers and browser up in %v", time.Since(start).Round(time.Millisecond))

	products := gqlOK(t, a.url, "", `{ products(search: "100", first: 10) { edges { node { number name } } } }`, nil)
	name := map[string]string{}
	for _, e := range products["products"].(map[string]any)["edges"].([]any) {
		n := e.(map[string]any)["node"].(map[string]any)
		name[n["number"].(string)] = n["name"].(string)
	}
	if name["1003"] == "" || name["1005"] == "" {
		t.Fatalf("demo products 1003 and 1005 missing: %v", name)
	}

	// The header's company name is a site setting, live like templates.
	adminToken := signInToken(t, a.url, "admin@portal.example", adminPass)
	gqlOK(t, a.url, adminToken, `mutation { saveSiteSetting(name: "company_name", value: "Contoso Entertainment") { name } }`, nil)

	alice := newUser(t, browser, "alice")
	var orderNumber, orderURL string

	t.Run("anonymous visitor sees public pages and signs in on the way", func(t *testing.T) {
		alice.t = t
		alice.open(a.url + "/")
		alice.sees("Contoso Entertainment", "Sign in", "About this portal", "Terms and conditions")
		alice.seesNot("Create order", "My orders")
		if nav := alice.js(`[...document.querySelectorAll('nav.nav a')].map(a => a.textContent).join(',')`); strings.Contains(nav, "Orders") || !strings.Contains(nav, "About") {
			t.Errorf("anonymous navigation = %s", nav)
		}
		alice.shot("home-anonymous")
		alice.open(a.url + "/about")
		alice.sees("by invitation")
		alice.shot("about")
		alice.open(a.url + "/no-such-page")
		alice.sees("This page does not exist")
		alice.shot("not-found")
		// A restricted page sends the visitor to sign in, and back after.
		alice.open(a.url + "/orders/new")
		if loc := alice.location(); !strings.Contains(loc, "/signin?next=%2Forders%2Fnew") {
			t.Fatalf("restricted page as anonymous went to %s", loc)
		}
		alice.sees("Please sign in to continue")
		alice.fill(`input[name="input.email"]`, "alice@forest.example")
		alice.fill(`input[name="input.password"]`, "wrong password 1")
		alice.submit(`form button[type="submit"].button-block`)
		alice.sees("The email or password is wrong.")
		alice.shot("sign-in-refused")
		alice.fill(`input[name="input.password"]`, alicePass)
		alice.shot("sign-in")
		alice.submit(`form button[type="submit"].button-block`)
		if loc := alice.location(); loc != a.url+"/orders/new" {
			t.Fatalf("after signing in: at %s, want %s/orders/new", loc, a.url)
		}
		alice.sees("Order information", "Alice")
	})

	t.Run("authorized user creates an order through the wizard", func(t *testing.T) {
		alice.t = t
		if !strings.HasSuffix(alice.location(), "/orders/new") {
			alice.open(a.url + "/orders/new")
		}
		alice.fill(`input[name="input.requestedReceiptDate"]`, time.Now().AddDate(0, 0, 14).Format(time.DateOnly))
		alice.fill(`input[name="input.customerRequisition"]`, "PO-4711")
		alice.shot("order-information")
		alice.submit(`form .actions button[type="submit"]`)
		alice.sees("Order lines", "No lines yet", "Find a product")
		alice.shot("items-empty")

		add := func(number, qty string, lines int) {
			alice.fill(`#q`, number)
			alice.submit(`.search button`)
			alice.sees(name[number])
			alice.fill(`table.products tbody tr:first-child input.qty`, qty)
			alice.submit(`table.products tbody tr:first-child button`)
			alice.waitJS(fmt.Sprintf("%d lines", lines), fmt.Sprintf("document.querySelectorAll('table.lines tbody tr').length === %d", lines))
		}
		add("1003", "2", 1)
		// Leave the draft and resume it from the orders list.
		itemsURL := strings.SplitN(alice.location(), "?", 2)[0]
		alice.submit(`a[href="/orders"].button-quiet`)
		alice.sees("Draft")
		alice.shot("draft-left")
		alice.submit(fmt.Sprintf(`table.orders a[href="%s"]`, strings.TrimPrefix(itemsURL, a.url)))
		alice.sees(name["1003"], "Next: review")
		add("1005", "3", 2)
		alice.shot("items-two-lines")
		alice.sees(name["1003"], name["1005"], "Next: review")

		// A bad quantity is refused next to its line, and changes nothing.
		alice.fill(`table.lines tbody tr:nth-child(1) input.qty`, "-1")
		alice.submit(`table.lines tbody tr:nth-child(1) td:nth-child(3) button`)
		if msg := alice.js(`(document.querySelector('table.lines tbody tr:nth-child(1) .error') || {}).textContent || ''`); msg == "" {
			t.Errorf("no error next to line 1 after quantity -1; page:\n%s", alice.textNow())
		}
		alice.shot("line-refused")

		// Change line 1, remove line 2.
		alice.fill(`table.lines tbody tr:nth-child(1) input.qty`, "5")
		alice.submit(`table.lines tbody tr:nth-child(1) td:nth-child(3) button`)
		if q := alice.js(`document.querySelector('table.lines tbody tr:nth-child(1) input.qty').value`); !strings.HasPrefix(q, "5") {
			t.Errorf("line 1 quantity after the change = %q", q)
		}
		alice.shot("line-changed")
		alice.submit(`table.lines tbody tr:nth-child(2) button.button-danger`)
		alice.waitJS("one line left", "document.querySelectorAll('table.lines tbody tr').length === 1")
		if lines := alice.js(`document.querySelector('table.lines').innerText`); strings.Contains(lines, name["1005"]) || !strings.Contains(lines, name["1003"]) {
			t.Errorf("lines after removing line 2:\n%s", lines)
		}
		alice.shot("line-removed")

		alice.submit(`a[href$="/review"].button-primary`)
		alice.sees("Review order", "PO-4711", name["1003"], "Forest Wholesales", "Submit order")
		alice.shot("review")
		alice.submit(`.card-submit button`)
		alice.sees("your order was submitted")
		orderNumber = alice.js(`document.querySelector('.order-no').textContent`)
		orderURL = strings.SplitN(alice.location(), "?", 2)[0]
		if !strings.HasPrefix(orderNumber, "WEB-") {
			t.Fatalf("order number %q", orderNumber)
		}
		alice.shot("confirmation")

		alice.open(a.url + "/orders")
		alice.sees(orderNumber, "Submitted")
		alice.shot("orders")
		alice.submit(fmt.Sprintf(`a[href="%s"]`, strings.TrimPrefix(orderURL, a.url)))
		alice.sees("Order "+orderNumber, name["1003"], "History", "PO-4711")
		alice.shot("order-detail")
	})
	if orderNumber == "" {
		t.Fatal("no order to look for")
	}

	// Bob places an order too, through the API.
	bobToken := signInToken(t, a.url, "bob@forest.example", bobPass)
	bobOrder := gqlOK(t, a.url, bobToken, `mutation($d: Date!) { createOrder(input: {requestedReceiptDate: $d}) { id } }`,
		map[string]any{"d": time.Now().AddDate(0, 0, 7).Format(time.DateOnly)})["createOrder"].(map[string]any)["id"].(string)
	pid := gqlOK(t, a.url, bobToken, `{ products(search: "1010", first: 1) { edges { node { id defaultUnit } } } }`, nil)["products"].(map[string]any)["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)
	gqlOK(t, a.url, bobToken, `mutation($o: ID!, $p: ID!, $u: String!) { addOrderLine(orderId: $o, input: {productId: $p, quantity: "1", unit: $u}) { id } }`,
		map[string]any{"o": bobOrder, "p": pid["id"], "u": pid["defaultUnit"]})
	bobNumber := gqlOK(t, a.url, bobToken, `mutation($o: ID!) { submitOrder(orderId: $o) { number } }`, map[string]any{"o": bobOrder})["submitOrder"].(map[string]any)["number"].(string)

	t.Run("another authorized user of the account does not see it", func(t *testing.T) {
		bob := newUser(t, browser, "bob")
		bob.signIn(a.url, "bob@forest.example", bobPass)
		bob.sees("Welcome back, Bob")
		bob.open(a.url + "/orders")
		bob.sees(bobNumber)
		bob.seesNot(orderNumber)
		bob.shot("orders")
		bob.open(orderURL)
		bob.sees("Order not found")
		bob.seesNot(name["1003"])
		bob.shot("alices-order")
	})

	t.Run("customer representative sees both users' orders and the account", func(t *testing.T) {
		rep := newUser(t, browser, "rep")
		rep.signIn(a.url, "rep@forest.example", repPass)
		rep.sees("Account", "My orders")
		rep.seesNot("Create order")
		rep.shot("home")
		rep.open(a.url + "/orders")
		rep.sees(orderNumber, bobNumber, "PLACED BY", "Alice", "Bob")
		rep.shot("orders")
		rep.open(orderURL)
		rep.sees("Order "+orderNumber, name["1003"])
		rep.open(a.url + "/account")
		rep.sees("Forest Wholesales", "US-001", "Delivery addresses", "alice@forest.example", "bob@forest.example", "Authorized user", "Customer representative")
		rep.shot("account")
		// The wizard is for authorized users: a representative gets 403.
		rep.open(a.url + "/orders/new")
		rep.sees("You may not open this page")
		rep.shot("wizard-forbidden")
	})

	t.Run("invited contact redeems its link and signs in", func(t *testing.T) {
		c := gqlOK(t, a.url, adminToken, `mutation { createContact(input: {firstName: "Frank", lastName: "Fisher", email: "frank@forest.example", company: "USMF", accountNumber: "US-001"}) { id } }`, nil)
		var roleID string
		for _, r := range gqlOK(t, a.url, adminToken, `{ webRoles { id name } }`, nil)["webRoles"].([]any) {
			if r.(map[string]any)["name"] == "Authorized user" {
				roleID = r.(map[string]any)["id"].(string)
			}
		}
		inv := gqlOK(t, a.url, adminToken, `mutation($c: ID!, $r: ID!) { inviteContact(input: {contactId: $c, roleIds: [$r]}) { url } }`,
			map[string]any{"c": c["createContact"].(map[string]any)["id"], "r": roleID})
		link := inv["inviteContact"].(map[string]any)["url"].(string)
		if !strings.HasPrefix(link, a.url+"/sign-up?code=") {
			t.Fatalf("invitation link %s", link)
		}
		frank := newUser(t, browser, "frank")
		frank.open(link)
		frank.sees("Welcome, Frank", "frank@forest.example")
		frank.fill(`input[name="password"]`, "short")
		frank.submit(`form button[type="submit"]`)
		frank.sees("at least 12 characters")
		frank.shot("sign-up-refused")
		frank.fill(`input[name="password"]`, "frank's long password")
		frank.shot("sign-up")
		frank.submit(`form button[type="submit"]`)
		frank.sees("Welcome back, Frank", "Create order")
		frank.shot("home-after-sign-up")
		// Signing out from the header, then the used link says what to do.
		frank.submit(`.who form button`)
		frank.sees("You are signed out")
		frank.open(link)
		frank.sees("This link cannot be used", "already used", "Sign in")
		frank.shot("used-link")
		frank.signIn(a.url, "frank@forest.example", "frank's long password")
		frank.sees("Welcome back, Frank")
		// Frank keeps his profile up to date.
		frank.open(a.url + "/profile")
		frank.fill(`input[name="input.phone"]`, "+1 425 555 0199")
		frank.submit(`form button.button-primary`)
		frank.sees("Your details were saved.")
		if v := frank.js(`document.querySelector('input[name="input.phone"]').value`); v != "+1 425 555 0199" {
			t.Errorf("phone after saving = %q", v)
		}
		frank.shot("profile-saved")
	})

	const oldTile = "Start a new order with your company's prices. Drafts are kept until you submit."
	const newTile = "Order in two minutes: your prices, your delivery addresses."

	t.Run("administrator changes a Home tile; the second server shows it at once", func(t *testing.T) {
		alice.t = t
		alice.open(b.url + "/")
		alice.sees(oldTile)
		src := gqlOK(t, a.url, adminToken, `{ webTemplate(name: "Home") { source version } }`, nil)["webTemplate"].(map[string]any)
		source := src["source"].(string)
		if !strings.Contains(source, oldTile) {
			t.Fatalf("Home template lacks the tile text:\n%s", source)
		}
		gqlOK(t, a.url, adminToken, `mutation($s: String!) { saveWebTemplate(name: "Home", source: $s) { version } }`,
			map[string]any{"s": strings.Replace(source, oldTile, newTile, 1)})
		saved := time.Now()
		// The next page load on server B shows it; allow NOTIFY its few
		// milliseconds, and measure.
		for {
			alice.open(b.url + "/")
			if strings.Contains(alice.textNow(), newTile) {
				break
			}
			if time.Since(saved) > 5*time.Second {
				t.Fatalf("server B still shows the old tile %v after the save", time.Since(saved))
			}
		}
		t.Logf("server B showed the new tile %v after the save on server A", time.Since(saved).Round(time.Millisecond))
		alice.seesNot(oldTile)
		alice.shot("home-new-tile-server-b")
	})

	t.Run("a broken template save is refused and the site still renders", func(t *testing.T) {
		alice.t = t
		data, errs := gql(t, a.url, adminToken, `mutation($s: String!) { saveWebTemplate(name: "Home", source: $s) { version } }`,
			map[string]any{"s": "{% extends \"Layout\" %}\n{% block content %}\n{% if %}\n{% endblock %}"})
		if len(errs) == 0 || errs[0]["extensions"].(map[string]any)["code"] != "BAD_USER_INPUT" || !strings.Contains(fmt.Sprint(errs[0]["message"]), "line 3") {
			t.Fatalf("broken save answered %v %v", data, errs)
		}
		t.Logf("refused: %v", errs[0]["message"])
		for _, s := range []*server{a, b} {
			alice.open(s.url + "/")
			alice.sees(newTile, "Welcome back, Alice")
		}
		alice.shot("home-after-refused-save")
	})

	t.Run("forgotten password: a link by mail, a new password", func(t *testing.T) {
		for len(box.Mail) > 0 {
			<-box.Mail // the invitation
		}
		bob := newUser(t, browser, "bob")
		bob.open(a.url + "/signin")
		bob.submit(`a[href="/password/forgot"]`)
		bob.fill(`input[name="email"]`, "bob@forest.example")
		bob.shot("forgot")
		bob.submit(`form button[type="submit"]`)
		bob.sees("Check your mail")
		bob.shot("forgot-sent")
		var msg string
		select {
		case m := <-box.Mail:
			msg = m.Data
		case <-time.After(20 * time.Second):
			t.Fatal("no reset mail within 20 s")
		}
		m := resetLink.FindStringSubmatch(strings.ReplaceAll(msg, "=\r\n", ""))
		if m == nil || !strings.HasPrefix(m[0], a.url) {
			t.Fatalf("no reset link to %s in the mail:\n%s", a.url, msg)
		}
		bob.open(m[0])
		bob.fill(`input[name="password"]`, "bob's new password")
		bob.shot("reset")
		bob.submit(`form button[type="submit"]`)
		bob.sees("Your password was changed")
		bob.fill(`input[name="input.email"]`, "bob@forest.example")
		bob.fill(`input[name="input.password"]`, "bob's new password")
		bob.submit(`form button[type="submit"].button-block`)
		bob.sees("Welcome back, Bob")
		// The link worked once: opened again, it says so before asking.
		bob.open(m[0])
		bob.sees("This link cannot be used", "already used", "Get a new link")
		bob.shot("reset-link-used")
	})

	t.Run("small screens", func(t *testing.T) {
		alice.t = t
		alice.do("phone viewport", chromedp.EmulateViewport(390, 844))
		defer alice.do("reset viewport", chromedp.EmulateReset())
		alice.open(a.url + "/orders")
		alice.sees(orderNumber)
		alice.shot("orders-phone")
		// Nothing is wider than the screen but the tables, which scroll.
		if w := alice.js(`String(document.documentElement.scrollWidth)`); w != "390" {
			t.Errorf("page is %s px wide on a 390 px screen", w)
		}
	})
}
