package graph_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// BenchmarkMyOrdersParallel is scenario (a) with 32 requests in flight at
// once on two cores (bench/run.sh's 32 connections), in-process: what the
// database pool's size (db.Open) and its idle connections are measured by.
// Requests per second is b.N over the wall time: 1e9 / ns/op.
func BenchmarkMyOrdersParallel(b *testing.B) {
	w := newWorld(b)
	w.placeOrders(w.alice, 20)
	in := newInstance(b, w.db, time.Hour)
	tok := in.signIn("alice@forest.example", "demo-alice-pass")
	body, _ := json.Marshal(map[string]any{"query": myOrders})
	serveBench(b, in, tok, string(body))
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((32 + procs - 1) / procs)
	b.ReportAllocs()
	opened := w.db.DB.Stats().MaxIdleClosed
	cpu := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/graphql", strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			in.srv.Config.Handler.ServeHTTP(rec, req)
			if rec.Code != 200 || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
				b.Errorf("%d %s", rec.Code, rec.Body.Bytes())
				return
			}
		}
	})
	reportCPU(b, cpu)
	// A connection closed for want of an idle slot is one opened again:
	// a new backend, and every statement prepared again.
	b.ReportMetric(float64(w.db.DB.Stats().MaxIdleClosed-opened)/float64(b.N), "reconnects/op")
}
