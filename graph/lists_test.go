package graph_test

import (
	"os"
	"strings"
	"testing"
)

// TestListsRewrittenByGenerate: go generate's second step
// (graph/internal/sequentiallists) has run over gqlgen's output, so the
// lists of objects go through generated/lists.go's marshalSlice and the
// objects' deferred groups through newDeferredGroup.
func TestListsRewrittenByGenerate(t *testing.T) {
	src, err := os.ReadFile("generated/generated.go")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(src), "graphql.MarshalSliceConcurrently("); n != 0 {
		t.Fatalf("generated.go calls graphql.MarshalSliceConcurrently %d times: run go generate ./... (both steps)", n)
	}
	if !strings.Contains(string(src), "marshalSlice(ctx, &ec.portal, sel, len(v), ") {
		t.Fatal("generated.go does not call marshalSlice: run go generate ./...")
	}
	if n := strings.Count(string(src), "deferred := graphql.NewDeferredGroup(ctx)"); n != 0 {
		t.Fatalf("generated.go makes %d deferred groups eagerly: run go generate ./... (every step)", n)
	}
	// graph/internal/plainfields: plain fields marshal their value, objects
	// return an objectValue.
	if n := strings.Count(string(src), "// plainfields\n"); n < 100 {
		t.Fatalf("generated.go has %d plain fields rewritten: run go generate ./... (every step)", n)
	}
	if n := strings.Count(string(src), "\treturn out\n}"); n > 10 {
		t.Fatalf("generated.go has %d object marshallers returning gqlgen's FieldSet: run go generate ./... (every step)", n)
	}
	// Issue 9's second round: fields resolved without
	// graphql.ResolveField, objects on the request's arena, prefetched
	// fields in line, responses in a buffer of their size.
	for _, c := range []struct {
		text string
		min  int
	}{
		{"// resolved directly\n", 50},
		{"\tfields, out := ec.newObject(sel, ", 40},
		{"\treturn out.object\n", 40},
		{"if out.inline(ctx, prefetched_SalesOrderLine_product, i) {", 1},
		{"if out.inline(ctx, prefetched_SalesOrder_lines, i) {", 1},
		{"(*scalar.DecimalRef)(&obj.Amount)", 1},
		{"bytes.NewBuffer(responseBuffer(opCtx))", 2},
		{"\tec.portal.prime(opCtx)\n", 1},
		{"\tec.portal.concurrent(len(fields) > 1)\n", 2},
		{"\tfc, in := ec.portal.field()\n", 40},
	} {
		if n := strings.Count(string(src), c.text); n < c.min {
			t.Errorf("generated.go has %q %d times, want at least %d: run go generate ./... (every step)", c.text, n, c.min)
		}
	}
}

// TestOrderListsInlineOrConcurrent: a page's lists are marshalled in one
// goroutine only when nothing under them waits for a loader. A selection
// that reaches past what is prefetched (the contacts' roles) keeps a
// goroutine per element, so its loader still gathers every order's
// contact into one query: the page costs as many statements for 20 orders
// as for 2. Single orders (order, the mutations) get their lines' products
// and companies prefetched, in one statement per kind.
func TestOrderListsInlineOrConcurrent(t *testing.T) {
	w := newWorld(t)
	w.placeOrders(w.alice, 10)
	w.placeOrders(w.bob, 10)
	counter := w.queries
	counter.record.Store(true)
	w.api.viewer = w.admin
	const rolesPage = `query($first: Int) { orders(first: $first) { edges { node { number
		contactPerson { email roles { name } } lines { lineNumber product { name company { code } } } } } } }`
	count := func(t *testing.T, query string, vars map[string]any, check func(data map[string]any)) []string {
		t.Helper()
		counter.n.Store(0)
		counter.mu.Lock()
		counter.queries = nil
		counter.mu.Unlock()
		var data map[string]any
		w.ok(query, vars, &data)
		check(data)
		counter.mu.Lock()
		defer counter.mu.Unlock()
		return append([]string(nil), counter.queries...)
	}
	t.Run("roles under a page batch across its orders", func(t *testing.T) {
		var stmts []int
		for _, first := range []int{2, 20} {
			got := count(t, rolesPage, map[string]any{"first": first}, func(data map[string]any) {
				edges, _ := dig(data, "orders", "edges").([]any)
				if len(edges) != first {
					t.Fatalf("%d orders, want %d", len(edges), first)
				}
				for _, e := range edges {
					roles, _ := dig(e, "node", "contactPerson", "roles").([]any)
					lines, _ := dig(e, "node", "lines").([]any)
					if len(roles) == 0 || len(lines) != 3 || dig(lines[2], "product", "company", "code") == nil {
						t.Fatalf("order without roles or lines: %v", e)
					}
				}
			})
			stmts = append(stmts, len(got))
		}
		if stmts[0] != stmts[1] {
			t.Fatalf("2 orders took %d statements, 20 took %d: the roles loader no longer batches", stmts[0], stmts[1])
		}
	})
	var id string
	t.Run("one order: lines, products and their companies prefetched", func(t *testing.T) {
		var page struct {
			Orders struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		w.ok(`{ orders(first: 1) { edges { node { id } } } }`, nil, &page)
		id = page.Orders.Edges[0].Node.ID
		got := count(t, `query($id: ID!) { order(id: $id) { lines { product { name company { code } } } } }`,
			map[string]any{"id": id}, func(data map[string]any) {
				lines, _ := dig(data, "order", "lines").([]any)
				if len(lines) != 3 || dig(lines[0], "product", "company", "code") == nil {
					t.Fatalf("lines: %v", data)
				}
			})
		// The order, its lines, their products, their companies.
		if len(got) > 4 {
			t.Fatalf("%d statements, want at most 4:\n%s", len(got), strings.Join(got, "\n"))
		}
	})
	t.Run("a mutation's order: products prefetched", func(t *testing.T) {
		o := w.draft(w.alice)
		w.api.viewer = w.alice
		got := count(t, `mutation($id: ID!, $in: OrderLineInput!) { addOrderLine(orderId: $id, input: $in) {
			lines { product { number } } } }`, map[string]any{"id": o.ID, "in": line(w.product("1000"), "2", "ea")},
			func(data map[string]any) {
				lines, _ := dig(data, "addOrderLine", "lines").([]any)
				if len(lines) != 1 || dig(lines[0], "product", "number") != "1000" {
					t.Fatalf("lines: %v", data)
				}
			})
		// At most one read of the products answered, none when they are
		// in memory already (catalog.ProductCache); the mutation's own
		// pricing read is another statement.
		if n := strings.Count(strings.Join(got, "\n"), "FROM product p WHERE p.id = ANY"); n > 1 {
			t.Fatalf("%d reads of the answer's products, want at most 1:\n%s", n, strings.Join(got, "\n"))
		}
	})
}

// TestDeferredFieldStillAnswers: a field under @defer is answered in the one
// response Portal's transport sends, whatever newDeferredGroup skips.
func TestDeferredFieldStillAnswers(t *testing.T) {
	w := newWorld(t)
	w.placeOrders(w.alice, 1)
	w.api.viewer = w.alice
	r := w.do(`{ orders(first: 1) { edges { node { id ... @defer { number } } } } }`, nil)
	for _, e := range r.Errors {
		if e.Extensions["code"] == "INTERNAL" {
			t.Fatalf("internal error: %+v", r.Errors)
		}
	}
	if !strings.Contains(string(r.Data), `"id"`) || !strings.Contains(string(r.Data), `"number":"WEB-`) {
		t.Fatalf("the deferred number is missing: %s %+v", r.Data, r.Errors)
	}
}
