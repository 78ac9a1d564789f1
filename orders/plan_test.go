package orders_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/orders"
	"github.com/openportal/portal/paging"
)

// statements records the statements a context sends.
type statements struct {
	mu  sync.Mutex
	sql []string
}

func (s *statements) Statement(sql string) { s.mu.Lock(); s.sql = append(s.sql, sql); s.mu.Unlock() }

// TestSubmittedRangePlannedForItsDays: a page of orders filtered by
// submission days finds the orders of those days (from's day and to's day
// included, the edges of the calendar too), and its statements carry the
// days as constants. Portal's connections use generic plans (db.Open): with
// the days bound, PostgreSQL planned the range blind and read an account's
// page by scanning every order of the range through
// sales_order_submitted_idx (33 ms against 0.07 ms by the account's index,
// an account of 1,000 orders among 200,000).
func TestSubmittedRangePlannedForItsDays(t *testing.T) {
	f := newFixture(t)
	at := map[string]string{} // order id -> submitted_at
	for _, ts := range []string{"2026-03-01 00:00:00", "2026-03-02 23:59:59.999999", "2026-03-03 00:00:00", "2026-02-28 23:59:59"} {
		o, err := f.svc.Create(f.ctx, orders.InformationInput{RequestedReceiptDate: time.Now().AddDate(0, 0, 7)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddLine(f.ctx, o.ID, orders.LineInput{ProductID: f.widget, Quantity: decimal.NewFromInt(1), Unit: "kg"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Submit(f.ctx, o.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.DB.ExecContext(context.Background(), "UPDATE sales_order SET submitted_at = ?::timestamptz WHERE id = ?", ts+"+00", o.ID); err != nil {
			t.Fatal(err)
		}
		at[o.ID] = ts
	}
	day := func(s string) *time.Time { d, _ := time.Parse(time.DateOnly, s); return &d }
	bound := regexp.MustCompile(`submitted_at (>=|<) \$`)
	for _, c := range []struct {
		name     string
		from, to *time.Time
		want     int
	}{
		{"two days", day("2026-03-01"), day("2026-03-02"), 2},
		{"from only", day("2026-03-01"), nil, 3},
		{"to only", nil, day("2026-02-28"), 1},
		{"the first day to the last", day("0001-01-01"), day("9999-12-31"), 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			seen := &statements{}
			ctx := db.ObserveStatements(f.ctx, seen)
			for _, read := range []func(context.Context, orders.Filter, paging.Args) (paging.Page[*orders.Order], error){f.svc.Orders, f.svc.OrdersWithLines} {
				page, err := read(ctx, orders.Filter{SubmittedFrom: c.from, SubmittedTo: c.to}, paging.Args{})
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Items) != c.want || page.TotalCount != c.want {
					var got []string
					for _, o := range page.Items {
						got = append(got, at[o.ID])
					}
					t.Errorf("%d orders (total %d) submitted at %v, want %d", len(page.Items), page.TotalCount, got, c.want)
				}
			}
			for _, s := range seen.sql {
				if bound.MatchString(s) {
					t.Errorf("the days are bound, planned blind by a generic plan: %s", strings.Join(strings.Fields(s), " "))
				}
			}
		})
	}
}
