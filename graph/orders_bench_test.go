package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uptrace/bun"
)

// BenchmarkCreateOrderSubmit is the wizard through GraphQL over HTTP on the
// demo data: createOrder, three addOrderLine, submitOrder (5 requests).
func BenchmarkCreateOrderSubmit(b *testing.B) {
	w := newWorld(b)
	products := []string{w.product("1000"), w.product("1038"), w.product("1044")}
	units := []string{"ea", "m", "kg"}
	b.ResetTimer()
	for b.Loop() {
		o := w.draft(w.alice)
		for i, p := range products {
			w.as(w.alice, addOrderLine, map[string]any{"id": o.ID, "in": line(p, "2", units[i])})
		}
		if got := w.as(w.alice, submitOrder, map[string]any{"id": o.ID}); got.Status != "SUBMITTED" {
			b.Fatalf("status %s", got.Status)
		}
	}
}

// BenchmarkOrdersPage reads a page of 20 orders with their lines, products,
// companies, accounts, contacts and price lists, as the customer
// representative of an account with 40 orders.
func BenchmarkOrdersPage(b *testing.B) {
	w := newWorld(b)
	w.placeOrders(w.alice, 20)
	w.placeOrders(w.bob, 20)
	w.api.viewer = w.rep
	b.ResetTimer()
	for b.Loop() {
		var got struct {
			Orders struct {
				Edges []struct{ Node struct{ Number string } }
			}
		}
		w.ok(orderPage, map[string]any{"first": 20}, &got)
		if len(got.Orders.Edges) != 20 {
			b.Fatalf("page of %d", len(got.Orders.Edges))
		}
	}
}

// serveBench runs one request through in's whole handler (session
// authentication, GraphQL, JSON) in-process, without a network, so that
// -benchmem counts the server's allocations alone.
func serveBench(b *testing.B, in *instance, token, body string) []byte {
	req := httptest.NewRequest("POST", "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	in.srv.Config.Handler.ServeHTTP(rec, req)
	if rec.Code != 200 || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
		b.Fatalf("%d %s", rec.Code, rec.Body.Bytes())
	}
	return rec.Body.Bytes()
}

// BenchmarkMyOrders is bench/run.sh's scenario (a) (a') in-process: a
// signed-in user's first 20 orders with lines and product names, through
// the production handler with a cached session. pg-cpu-ns/op is the test
// server's share: a statement shape that saves Go CPU can cost PostgreSQL
// more (a join repeats the order's columns on every line).
func BenchmarkMyOrders(b *testing.B) {
	w := newWorld(b)
	w.placeOrders(w.alice, 20)
	w.placeOrders(w.bob, 20)
	in := newInstance(b, w.db, time.Hour)
	body, _ := json.Marshal(map[string]any{"query": myOrders})
	for _, c := range []struct{ name, email, password string }{
		{"a", "alice@forest.example", "demo-alice-pass"},
		{"a2", "rep@forest.example", "demo-rep-pass"},
	} {
		tok := in.signIn(c.email, c.password)
		b.Run(c.name, func(b *testing.B) {
			serveBench(b, in, tok, string(body))
			b.ReportAllocs()
			pg := serverCPU(b, w.db)
			cpu := cpuTime()
			for b.Loop() {
				serveBench(b, in, tok, string(body))
			}
			reportCPU(b, cpu)
			b.ReportMetric(float64(pg())/float64(b.N), "pg-cpu-ns/op")
		})
	}
}

// BenchmarkOrderEntry is bench/run.sh's scenario (c) in-process: create an
// order, add 3 lines, submit, with the selections of bench/load.lua.
func BenchmarkOrderEntry(b *testing.B) {
	w := newWorld(b)
	in := newInstance(b, w.db, time.Hour)
	tok := in.signIn("alice@forest.example", "demo-alice-pass")
	products := []string{w.product("1000"), w.product("1038"), w.product("1044")}
	units := []string{"ea", "m", "kg"}
	receipt := tomorrow()
	b.ReportAllocs()
	cpu := cpuTime()
	// Each step's text with variables, as bench/load.lua sends it.
	vars := func(query string, v map[string]any) string {
		body, err := json.Marshal(map[string]any{"query": query, "variables": v})
		if err != nil {
			b.Fatal(err)
		}
		return string(body)
	}
	for b.Loop() {
		out := serveBench(b, in, tok, vars(`mutation Create($in: OrderInformationInput!) { createOrder(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"requestedReceiptDate": receipt}}))
		var created struct {
			Data struct{ CreateOrder struct{ ID string } }
		}
		if err := json.Unmarshal(out, &created); err != nil {
			b.Fatal(err)
		}
		id := created.Data.CreateOrder.ID
		for i, p := range products {
			serveBench(b, in, tok, vars(`mutation Add($id: ID!, $in: OrderLineInput!) { addOrderLine(orderId: $id, input: $in) { id } }`,
				map[string]any{"id": id, "in": map[string]any{"productId": p, "quantity": "2", "unit": units[i]}}))
		}
		if out := serveBench(b, in, tok, vars(`mutation Submit($id: ID!) { submitOrder(orderId: $id) { id status } }`,
			map[string]any{"id": id})); !bytes.Contains(out, []byte("SUBMITTED")) {
			b.Fatalf("submit: %s", out)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkPlaceOrder is bench/run.sh's scenario (c1) in-process: the
// order of BenchmarkOrderEntry (3 lines) placed with one placeOrder request,
// its text the same every time and the order in its variables, as
// bench/load.lua sends it.
func BenchmarkPlaceOrder(b *testing.B) {
	w := newWorld(b)
	in := newInstance(b, w.db, time.Hour)
	tok := in.signIn("alice@forest.example", "demo-alice-pass")
	products := []string{w.product("1000"), w.product("1038"), w.product("1044")}
	units := []string{"ea", "m", "kg"}
	lines := make([]map[string]any, len(products))
	for i, p := range products {
		lines[i] = map[string]any{"productId": p, "quantity": "2", "unit": units[i]}
	}
	body, _ := json.Marshal(map[string]any{
		"query":     "mutation Place($in: PlaceOrderInput!) { placeOrder(input: $in) { id status } }",
		"variables": map[string]any{"in": map[string]any{"requestedReceiptDate": tomorrow(), "lines": lines}},
	})
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if out := serveBench(b, in, tok, string(body)); !bytes.Contains(out, []byte("SUBMITTED")) {
			b.Fatalf("placeOrder: %s", out)
		}
	}
	reportCPU(b, cpu)
}

// cpuTime is the CPU time this process has used (user and system): under a
// loaded machine it varies far less than the wall time per request. The
// database's CPU is not in it: PostgreSQL is another process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverCPU returns a function giving the CPU time the database server's
// processes (the postmaster and its backends, dbtest's server of this test
// binary) have used since serverCPU was called. Linux only: elsewhere it
// reports 0.
func serverCPU(b *testing.B, d *bun.DB) func() time.Duration {
	var backend int
	if err := d.QueryRowContext(context.Background(), "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		b.Fatal(err)
	}
	postmaster := procStat(backend).ppid
	total := func() time.Duration {
		var t time.Duration
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			if st := procStat(pid); pid == postmaster || (postmaster != 0 && st.ppid == postmaster) {
				t += st.cpu
			}
		}
		return t
	}
	start := total()
	return func() time.Duration { return total() - start }
}

// stat is what serverCPU reads of a process: its parent, and the CPU time
// it and its reaped children have used.
type stat struct {
	ppid int
	cpu  time.Duration
}

func procStat(pid int) stat {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}
	}
	// The fields after the command name, which may hold spaces: state,
	// ppid, …, utime (14th field of the line), stime, cutime, cstime.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 15 {
		return stat{}
	}
	ppid, _ := strconv.Atoi(f[1])
	var ticks int64
	for _, v := range f[11:15] {
		n, _ := strconv.ParseInt(v, 10, 64)
		ticks += n
	}
	// USER_HZ is 100 on every Linux this runs on.
	return stat{ppid: ppid, cpu: time.Duration(ticks) * 10 * time.Millisecond}
}

// reportCPU reports the process's CPU time per operation since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}
