package dualwrite_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/dualwrite"
	"github.com/openportal/portal/dualwrite/erpsim"
)

// BenchmarkDelivery: events per second delivered to a local ERP (the
// simulator, signature checked) by one and by two workers, draining a
// backlog of 2,000 events per iteration.
//
//	go test ./dualwrite -run '^$' -bench Delivery -benchtime 3x
func BenchmarkDelivery(b *testing.B) {
	const n = 2000
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			url := dbtest.NewURL(b)
			d := open(b, url)
			sim := &erpsim.Sim{Secret: secret}
			srv := httptest.NewServer(sim)
			defer srv.Close()
			var total time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				enqueueIn(b, d, n)
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{}, workers)
				b.StartTimer()
				start := time.Now()
				for w := 0; w < workers; w++ {
					cfg := fastConfig(srv.URL)
					cfg.PollInterval = 50 * time.Millisecond
					wk, err := dualwrite.New(ctx, d, url, cfg)
					if err != nil {
						b.Fatal(err)
					}
					go func() { wk.Run(ctx); wk.Close(); done <- struct{}{} }()
				}
				for {
					var left int
					if err := d.NewRaw("SELECT count(*) FROM outbox_event WHERE delivered_at IS NULL").Scan(ctx, &left); err != nil {
						b.Fatal(err)
					}
					if left == 0 {
						break
					}
					time.Sleep(5 * time.Millisecond)
				}
				total += time.Since(start)
				b.StopTimer()
				cancel()
				for w := 0; w < workers; w++ {
					<-done
				}
			}
			b.ReportMetric(float64(n*b.N)/total.Seconds(), "events/s")
		})
	}
}
