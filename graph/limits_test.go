package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/introspection"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/app"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/graph"
)

// post sends a raw GraphQL request body anonymously and returns the status
// and the decoded answer.
func post(t *testing.T, url string, body []byte) (int, response, int) {
	t.Helper()
	res, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var r response
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("decode %.200s: %v", b, err)
	}
	return res.StatusCode, r, len(b)
}

func body(query string, vars map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return b
}

// fastest runs f n times and returns its fastest run: the least noisy
// measure on a shared machine.
func fastest(n int, f func()) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range n {
		start := time.Now()
		f()
		best = min(best, time.Since(start))
	}
	return best
}

// refusedCheaply asserts that huge is refused with one of codes, at a cost
// within ratio times that of a trivial request of the same size (padding
// the trivial one makes both read and decode as many bytes), both measured
// here: a ratio, not a wall-clock limit, since the machine may be busy.
func refusedCheaply(t *testing.T, url string, trivial, huge []byte, codes []string, ratio float64) {
	t.Helper()
	status, r, size := post(t, url, huge)
	if len(r.Errors) == 0 || !slices.Contains(codes, fmt.Sprint(r.Errors[0].Extensions["code"])) {
		t.Fatalf("huge request: status %d, errors %+v, want one of %v", status, r.Errors, codes)
	}
	if size > 2000 {
		t.Errorf("the refusal is %d bytes: it must not echo the request", size)
	}
	if status, r, _ := post(t, url, trivial); status != http.StatusOK || len(r.Errors) > 1 {
		t.Fatalf("trivial request: status %d, errors %+v", status, r.Errors)
	}
	base := fastest(10, func() { post(t, url, trivial) })
	cost := fastest(10, func() { post(t, url, huge) })
	t.Logf("trivial %v, huge %v (%.1fx), %d bytes each", base, cost, float64(cost)/float64(base), len(huge))
	if float64(cost) > ratio*float64(base) {
		t.Errorf("refusing took %v, %.0f times a trivial request of the same size (%v); want at most %.0f times",
			cost, float64(cost)/float64(base), base, ratio)
	}
}

const addLine = `mutation($o: ID!, $in: OrderLineInput!) { addOrderLine(orderId: $o, input: $in) { number } }`

func lineVars(qty string) map[string]any {
	return map[string]any{"o": "00000000-0000-0000-0000-000000000000",
		"in": map[string]any{"productId": "00000000-0000-0000-0000-000000000000", "quantity": qty, "unit": "pcs"}}
}

// TestHugeDecimalRefusedCheaply: a Decimal of 900,000 digits took seconds
// to parse (quadratic) before its length was checked, and the message
// echoed it whole.
func TestHugeDecimalRefusedCheaply(t *testing.T) {
	a := newAPI(t)
	digits := strings.Repeat("9", 900_000)
	// The same bytes in a variable the operation does not declare (never
	// parsed as a Decimal), and a short quantity.
	padded := lineVars("1")
	padded["pad"] = digits
	refusedCheaply(t, a.srv.URL, body(addLine, padded), body(addLine, lineVars(digits)), []string{"BAD_USER_INPUT"}, 15)
}

// TestHugeDocumentsRefusedCheaply: 8,000 __typename (88 KB) cost seconds of
// validation before the complexity check refused them. Refusing costs a
// few times a trivial request of the same size; unrefused, most cost a
// thousand times more, so a bound of 50 leaves room for a busy machine.
func TestHugeDocumentsRefusedCheaply(t *testing.T) {
	a := newAPI(t)
	tooBig := []string{"COMPLEXITY_LIMIT_EXCEEDED", "GRAPHQL_PARSE_FAILED"} // the shape check, or the parser's token limit
	for _, tt := range []struct {
		name, query string
		ratio       float64
	}{
		{"8000 fields", "{" + strings.Repeat(" __typename", 8000) + " }", 50},
		{"4900 fields", "{" + strings.Repeat(" __typename", 4900) + " }", 50},
		{"4900 nested fields", "{ products { edges {" + strings.Repeat(" cursor", 4900) + " } } }", 50},
		{"1600 aliases", "{" + aliases(1600, "__typename") + " }", 50},
		{"2400 aliased counts", "{" + aliases(2400, "products(first: 0) { totalCount }") + " }", 50},
		// Fragments spreading each other twice: 2^60 fields once expanded.
		{"fragment bomb", fragmentBomb(60), 50},
		// The validator's suggestions compare an unknown name with every
		// field's: linear in its length, but about 10 times the cost of
		// reading it.
		{"a 500,000-character field name", "{ " + strings.Repeat("x", 500_000) + " }", 3},
		{"a long argument name", "{ products(" + strings.Repeat("x", 500_000) + ": 1) { totalCount } }", 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// The trivial request carries as many bytes, in a comment.
			trivial := "{ __typename }\n#" + strings.Repeat("x", len(tt.query))
			refusedCheaply(t, a.srv.URL, body(trivial, nil), body(tt.query, nil), tooBig, tt.ratio)
		})
	}
}

func aliases(n int, field string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, " a%d: %s", i, field)
	}
	return b.String()
}

func fragmentBomb(n int) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", n)
	return b.String()
}

// TestCostBoundsRealWork: costs follow page sizes, and root fields,
// aliases and depth are capped, so an anonymous request cannot make
// thousands of statements.
func TestCostBoundsRealWork(t *testing.T) {
	a := newAPI(t)
	nest := "email"
	for range 6 {
		nest = "customerAccount { contacts { edges { node { " + nest + " } } } }"
	}
	for _, tt := range []struct {
		name, query string
		code        string // "" for accepted
	}{
		{"a page of products", `{ products(first: 100) { totalCount edges { node { number name units company { code } } } } }`, ""},
		{"300 aliased counts", "{" + aliases(300, "products(first: 0) { totalCount }") + " }", "COMPLEXITY_LIMIT_EXCEEDED"},
		{"21 root fields", "{" + aliases(21, "legalEntities { code }") + " }", "COMPLEXITY_LIMIT_EXCEEDED"},
		{"20 root fields", "{" + aliases(20, "legalEntities { code }") + " }", ""},
		{"20 pages of 100 products", "{" + aliases(20, "products(first: 100) { edges { node { number name } } }") + " }", "COMPLEXITY_LIMIT_EXCEEDED"},
		{"contacts within contacts", "{ contacts { edges { node { " + nest + " } } } }", "COMPLEXITY_LIMIT_EXCEEDED"},
		{"12 deep", `{ customerAccount(id: "x") {` + strings.Repeat(" invoiceAccount {", 10) + " id" + strings.Repeat(" }", 10) + " } }", ""},
		{"13 deep", `{ customerAccount(id: "x") {` + strings.Repeat(" invoiceAccount {", 11) + " id" + strings.Repeat(" }", 11) + " } }", "COMPLEXITY_LIMIT_EXCEEDED"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := a.do(tt.query, nil)
			switch {
			case tt.code == "" && len(r.Errors) > 0:
				t.Errorf("refused: %+v", r.Errors)
			case tt.code != "" && (len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != tt.code):
				t.Errorf("errors %+v, want %s", r.Errors, tt.code)
			}
		})
	}
	// A signed-in contact may ask for more than a visitor.
	w := newWorld(t)
	page := `{ products(first: 100) { edges { node { number name company { code name } } } } }`
	twice := "{" + aliases(5, strings.TrimSuffix(strings.TrimPrefix(page, "{"), "}")) + "}"
	w.fails(twice, nil, "COMPLEXITY_LIMIT_EXCEEDED")
	w.api.viewer = w.alice
	w.ok(twice, nil, nil)
}

// TestIntrospectionForAdministrators: the schema is open to administrators
// only, unless the handler allows it to everyone.
func TestIntrospectionForAdministrators(t *testing.T) {
	w := newWorld(t)
	const q = `{ __schema { queryType { name } } }`
	w.fails(q, nil, "UNAUTHENTICATED")
	w.fails(`{ __type(name: "Query") { name } }`, nil, "UNAUTHENTICATED")
	w.api.viewer = w.alice
	w.fails(q, nil, "FORBIDDEN")
	w.ok(`{ __typename }`, nil, nil)
	w.api.viewer = w.admin
	w.ok(q, nil, nil)
	// GraphiQL's query fits the limits.
	w.ok(introspection.Query, nil, nil)
	w.fails("{"+aliases(4, "__schema { queryType { name } }")+" }", nil, "COMPLEXITY_LIMIT_EXCEEDED")

	open := newAPIOn(t, dbtest.New(t), func(c *app.Config) { c.AllowIntrospection = true })
	open.ok(introspection.Query, nil, nil)
}

// TestAccountContactsBatched: a list of contacts each asking for its
// account's contacts costs the same statements for 2 contacts as for 6.
func TestAccountContactsBatched(t *testing.T) {
	w := newWorld(t)
	w.api.viewer = w.admin
	const q = `query($n: Int) { contacts(first: $n) { edges { node { email
		customerAccount { accountNumber contacts(first: 3) { totalCount edges { node { email } } pageInfo { hasNextPage } } } } } } }`
	type page struct {
		TotalCount int
		Edges      []struct{ Node struct{ Email string } }
		PageInfo   struct{ HasNextPage bool }
	}
	var out struct {
		Contacts struct {
			Edges []struct {
				Node struct {
					CustomerAccount *struct {
						AccountNumber string
						Contacts      page
					}
				}
			}
		}
	}
	count := func(n int) int64 {
		w.queries.n.Store(0)
		w.ok(q, map[string]any{"n": n}, &out)
		if len(out.Contacts.Edges) != n {
			t.Fatalf("%d contacts, want %d", len(out.Contacts.Edges), n)
		}
		return w.queries.n.Load()
	}
	small, large := count(2), count(6)
	if small != large {
		t.Errorf("2 contacts took %d statements, 6 took %d: the accounts' contacts are not batched", small, large)
	}
	// Each account's page is its first three contacts by name, as the
	// database orders them (the administrator reads every row).
	for _, e := range out.Contacts.Edges {
		acc := e.Node.CustomerAccount
		if acc == nil {
			continue
		}
		var want []string
		var total int
		ctx := context.Background()
		w.db.NewRaw(`SELECT c.email FROM contact c JOIN customer_account a ON a.id = c.customer_account_id
			WHERE a.account_number = ? ORDER BY lower(c.last_name), lower(c.first_name), c.id LIMIT 3`, acc.AccountNumber).Scan(ctx, &want)
		w.db.NewRaw(`SELECT count(*) FROM contact c JOIN customer_account a ON a.id = c.customer_account_id
			WHERE a.account_number = ?`, acc.AccountNumber).Scan(ctx, &total)
		var got []string
		for _, c := range acc.Contacts.Edges {
			got = append(got, c.Node.Email)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || acc.Contacts.TotalCount != total || acc.Contacts.PageInfo.HasNextPage != (total > 3) {
			t.Errorf("account %s: contacts %v of %d (next %v), want %v of %d", acc.AccountNumber, got,
				acc.Contacts.TotalCount, acc.Contacts.PageInfo.HasNextPage, want, total)
		}
	}
}

// TestExecutorSharesLimits: the page engine's in-process Executor refuses
// what /graphql refuses, before anything runs: a template's document is an
// administrator's, but its variables come from the visitor.
func TestExecutorSharesLimits(t *testing.T) {
	a := newAPI(t)
	x := graph.NewExecutor(a.app.Resolver, slog.New(slog.NewTextHandler(testLog, nil)))
	ctx := portal.WithRequestID(context.Background(), "test")
	for _, tt := range []struct {
		name, query string
		vars        map[string]any
		viewer      *portal.Viewer
		want        string
	}{
		{"fragment bomb", fragmentBomb(60), nil, nil, "COMPLEXITY_LIMIT_EXCEEDED"},
		{"too many root fields", "{" + aliases(21, "__typename") + " }", nil, nil, "COMPLEXITY_LIMIT_EXCEEDED"},
		{"over the anonymous cost", "{" + aliases(20, "products(first: 100) { edges { node { number name } } }") + " }", nil, nil, "COMPLEXITY_LIMIT_EXCEEDED"},
		{"introspection, anonymous", `{ __schema { queryType { name } } }`, nil, nil, "UNAUTHENTICATED"},
		{"introspection, a contact", `{ __schema { queryType { name } } }`, nil, &portal.Viewer{ContactID: "00000000-0000-0000-0000-00000000a11c"}, "FORBIDDEN"},
		{"a NUL in a variable", `query($q: String) { products(first: 1, search: $q) { totalCount } }`, map[string]any{"q": "a\x00b"}, nil, "BAD_USER_INPUT"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := ctx
			if tt.viewer != nil {
				c = portal.WithViewer(c, tt.viewer)
			}
			res := x.Exec(c, tt.query, tt.vars)
			if len(res.Errors) == 0 || res.Errors[0].Extensions["code"] != tt.want {
				t.Fatalf("errors %v, data %s; want %s", res.Errors, res.Data, tt.want)
			}
		})
	}
	// The admin may introspect, as on /graphql.
	if res := x.Exec(portal.WithViewer(ctx, admin), `{ __schema { queryType { name } } }`, nil); len(res.Errors) > 0 {
		t.Fatalf("admin introspection: %v", res.Errors)
	}
}
