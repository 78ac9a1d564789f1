package orders_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/shopspring/decimal"

	"github.com/openportal/portal/dualwrite"
	"github.com/openportal/portal/orders"
	"github.com/openportal/portal/paging"
)

// sameDecimal compares decimals by digits and exponent: 12.5000 read from
// a numeric(19,4) must stay 12.5000, not become 12.5.
var sameDecimal = cmp.Comparer(func(a, b decimal.Decimal) bool {
	return a.Equal(b) && a.Exponent() == b.Exponent()
})

// TestReadsMatchModel: the hot reads (Orders, OrdersWithLines, OrdersByID,
// LinesOf, LinesByOrderIDs), which list their columns and decode them by
// hand (db.Row), fill every field of Order and Line exactly as bun's model
// read of the whole row does — nullable fields set and unset, decimals
// with their scale, times in UTC whatever offset they were written with,
// before 2000 and 1970 too. A column added to the table and the struct but
// not to the hot reads fails here.
func TestReadsMatchModel(t *testing.T) {
	f := newFixture(t)
	system, err := dualwrite.ERPViewer(context.Background(), f.svc.DB)
	if err != nil {
		t.Fatal(err)
	}
	po := "PO-7"
	// A submitted, confirmed order with a requisition and an ERP number
	// (every nullable field set), and a draft (none set).
	full, err := f.svc.Create(f.ctx, orders.InformationInput{RequestedReceiptDate: time.Now().AddDate(0, 0, 7), CustomerRequisition: &po})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"1.5", "0.003"} {
		if _, err := f.svc.AddLine(f.ctx, full.ID, orders.LineInput{ProductID: f.widget, Quantity: decimal.RequireFromString(q), Unit: "kg"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.Submit(f.ctx, full.ID); err != nil {
		t.Fatal(err)
	}
	full, err = f.svc.Advance(system, "JPMF", full.Number, orders.Confirmed, "SO-1")
	if err != nil {
		t.Fatal(err)
	}
	draft, err := f.svc.Create(f.ctx, orders.InformationInput{RequestedReceiptDate: time.Now().AddDate(0, 0, 9)})
	if err != nil {
		t.Fatal(err)
	}
	// Times written with other offsets, before 2000 (negative microseconds
	// from PostgreSQL's epoch) and before 1970, with fractions of seconds.
	if _, err := f.svc.DB.ExecContext(context.Background(), `UPDATE sales_order SET created_at = '1999-12-31 23:59:59.999999+09:00',
		submitted_at = '1969-07-20 20:17:40.5-05:00', requested_receipt_date = '1999-12-31' WHERE id = ?`, full.ID); err != nil {
		t.Fatal(err)
	}
	want := map[string]*orders.Order{}
	for _, id := range []string{full.ID, draft.ID} {
		o := new(orders.Order)
		if err := f.svc.DB.NewSelect().Model(o).Where("id = ?", id).Scan(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DB.NewSelect().Model(&o.Lines).Where("sales_order_id = ?", id).Order("line_number").Scan(context.Background()); err != nil {
			t.Fatal(err)
		}
		if o.Lines == nil {
			o.Lines = []*orders.Line{}
		}
		want[id] = o
	}
	if at := want[full.ID].SubmittedAt; at == nil || !at.Equal(time.Date(1969, 7, 21, 1, 17, 40, 5e8, time.UTC)) {
		t.Fatalf("the full order was submitted at %v, want the time set", at)
	}
	if want[full.ID].ErpOrderNumber == nil || want[full.ID].CustomerRequisition == nil || want[full.ID].SubmittedAt == nil ||
		len(want[full.ID].Lines) != 2 || want[full.ID].TotalAmount.IsZero() {
		t.Fatalf("the full order lacks a value to compare: %+v", want[full.ID])
	}
	check := func(t *testing.T, got []*orders.Order, lines [][]*orders.Line) {
		t.Helper()
		if len(got) != 2 || len(lines) != 2 {
			t.Fatalf("%d orders, %d line lists, want 2", len(got), len(lines))
		}
		for i, o := range got {
			o.Lines = lines[i]
			if diff := cmp.Diff(want[o.ID], o, sameDecimal, cmpopts.IgnoreUnexported(orders.Order{}, orders.Line{})); diff != "" {
				t.Errorf("order %s (-model +read):\n%s", o.Number, diff)
			}
			times := []time.Time{o.CreatedAt, o.UpdatedAt, o.RequestedReceiptDate}
			if o.SubmittedAt != nil {
				times = append(times, *o.SubmittedAt)
			}
			for _, at := range times {
				if at.Location() != time.UTC {
					t.Errorf("order %s: time %v in %v, want UTC", o.Number, at, at.Location())
				}
			}
		}
	}
	t.Run("Orders and LinesOf", func(t *testing.T) {
		page, err := f.svc.Orders(f.ctx, orders.Filter{}, paging.Args{First: ptr(10)})
		if err != nil {
			t.Fatal(err)
		}
		lines, err := f.svc.LinesOf(f.ctx, page.Items)
		if err != nil {
			t.Fatal(err)
		}
		check(t, page.Items, lines)
	})
	t.Run("OrdersWithLines", func(t *testing.T) {
		page, err := f.svc.OrdersWithLines(f.ctx, orders.Filter{}, paging.Args{First: ptr(10)})
		if err != nil {
			t.Fatal(err)
		}
		lines := make([][]*orders.Line, len(page.Items))
		for i, o := range page.Items {
			if o.Lines == nil {
				t.Fatalf("order %s: lines not read", o.Number)
			}
			lines[i] = o.Lines
		}
		check(t, page.Items, lines)
	})
	t.Run("OrdersWithLines pages as Orders", func(t *testing.T) {
		// One order a page: the extra row that tells a next page follows
		// is the order of the next page, with lines (the full order, the
		// older one) or without (the draft).
		var after *string
		for n := 0; ; n++ {
			args := paging.Args{First: ptr(1), After: after}
			plain, err := f.svc.Orders(f.ctx, orders.Filter{}, args)
			if err != nil {
				t.Fatal(err)
			}
			with, err := f.svc.OrdersWithLines(f.ctx, orders.Filter{}, args)
			if err != nil {
				t.Fatal(err)
			}
			lines, err := f.svc.LinesOf(f.ctx, plain.Items)
			if err != nil {
				t.Fatal(err)
			}
			for i, o := range plain.Items {
				o.Lines = lines[i]
			}
			if diff := cmp.Diff(plain, with, sameDecimal, cmpopts.IgnoreUnexported(orders.Order{}, orders.Line{}, paging.Page[*orders.Order]{})); diff != "" {
				t.Fatalf("page %d (-Orders and LinesOf +OrdersWithLines):\n%s", n, diff)
			}
			if !with.HasNextPage {
				if n != 1 {
					t.Fatalf("%d pages, want 2", n+1)
				}
				break
			}
			after = with.EndCursor()
		}
	})
	t.Run("OrdersByID and LinesByOrderIDs", func(t *testing.T) {
		ids := []string{full.ID, draft.ID}
		got, err := f.svc.OrdersByID(f.ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := f.svc.LinesByOrderIDs(f.ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		check(t, got, lines)
	})
	// Page fills the fields asked for as the model read does, and what it
	// needs itself (orders.Fields); every other field stays zero.
	only := func(v any, names ...string) any {
		c := reflect.New(reflect.TypeOf(v).Elem())
		for _, n := range names {
			c.Elem().FieldByName(n).Set(reflect.ValueOf(v).Elem().FieldByName(n))
		}
		return c.Interface()
	}
	fieldNames := func(v any) []string {
		var out []string
		for f := range reflect.TypeOf(v).Elem().Fields() {
			if f.IsExported() && f.Name != "BaseModel" && f.Name != "Lines" {
				out = append(out, f.Name)
			}
		}
		return out
	}
	pageOrder := []string{"ID", "CreatedAt", "ContactID", "CustomerAccountID"}
	pageLine := []string{"LineNumber", "SalesOrderID"}
	read := func(t *testing.T, fields orders.Fields) []*orders.Order {
		t.Helper()
		page, err := f.svc.Page(f.ctx, orders.Filter{}, paging.Args{First: ptr(10)}, fields)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 2 {
			t.Fatalf("%d orders, want 2", len(page.Items))
		}
		return page.Items
	}
	for _, name := range fieldNames(&orders.Order{}) {
		t.Run("Page with the order's "+name, func(t *testing.T) {
			for _, o := range read(t, orders.Fields{Order: []string{name}}) {
				if want := only(want[o.ID], append(pageOrder, name)...); !cmp.Equal(want, o, sameDecimal, cmpopts.IgnoreUnexported(orders.Order{})) {
					t.Errorf("order %s (-want +read):\n%s", want.(*orders.Order).Number, cmp.Diff(want, o, sameDecimal, cmpopts.IgnoreUnexported(orders.Order{})))
				}
			}
		})
	}
	for _, name := range fieldNames(&orders.Line{}) {
		t.Run("Page with the lines' "+name, func(t *testing.T) {
			for _, o := range read(t, orders.Fields{Order: []string{}, Lines: true, Line: []string{name}}) {
				if len(o.Lines) != len(want[o.ID].Lines) {
					t.Fatalf("%d lines, want %d", len(o.Lines), len(want[o.ID].Lines))
				}
				for i, l := range o.Lines {
					if want := only(want[o.ID].Lines[i], append(pageLine, name)...); !cmp.Equal(want, l, sameDecimal, cmpopts.IgnoreUnexported(orders.Line{})) {
						t.Errorf("line %d (-want +read):\n%s", i, cmp.Diff(want, l, sameDecimal, cmpopts.IgnoreUnexported(orders.Line{})))
					}
				}
			}
		})
	}
	t.Run("Page with a field that is not there", func(t *testing.T) {
		for _, fields := range []orders.Fields{{Order: []string{"Colour"}}, {Lines: true, Line: []string{"Lines"}}} {
			if _, err := f.svc.Page(f.ctx, orders.Filter{}, paging.Args{First: ptr(10)}, fields); err == nil {
				t.Errorf("Page(%+v) read a page, want an error", fields)
			}
		}
	})
}
