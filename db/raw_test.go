package db_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/dbtest"
)

// TestRow: each of Row's accessors reads a column from its raw bytes into
// what rows.Scan into the same Go type gives (times in UTC, uuids in
// lowercase, char(n) with its padding, decimals with their scale), NULL as
// nil for the nullable ones; Shared ones give one string per value.
func TestRow(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	for _, c := range []struct {
		name, expr string
		read       func(r *db.Row) any // column 0 through Row
		scan       func() any          // a rows.Scan target
	}{
		{"text", "'Grüße, kg'::text", func(r *db.Row) any { return r.Text(0) }, func() any { return new(string) }},
		{"empty text", "''::text", func(r *db.Row) any { return r.Text(0) }, func() any { return new(string) }},
		{"varchar", "'abc'::varchar(9)", func(r *db.Row) any { return r.SharedText(0) }, func() any { return new(string) }},
		{"char(n) padded", "'JP'::char(4)", func(r *db.Row) any { return r.SharedText(0) }, func() any { return new(string) }},
		{"nullable text", "'PO-7'::text", func(r *db.Row) any { return r.TextOrNil(0) }, func() any { return new(*string) }},
		{"NULL text", "NULL::text", func(r *db.Row) any { return r.TextOrNil(0) }, func() any { return new(*string) }},
		{"uuid", "'0D7B8E2C-5C0A-4C44-9A57-2F1F3C0E9B11'::uuid", func(r *db.Row) any { return r.UUID(0) }, func() any { return new(string) }},
		{"shared uuid", "'ffffffff-0000-4000-8000-000000000001'::uuid", func(r *db.Row) any { return r.SharedUUID(0) }, func() any { return new(string) }},
		{"int", "'-2147483648'::int", func(r *db.Row) any { return r.Int(0) }, func() any { return new(int) }},
		{"bigint", "9007199254740993::bigint", func(r *db.Row) any { return r.Int(0) }, func() any { return new(int) }},
		{"smallint", "-7::smallint", func(r *db.Row) any { return r.Int(0) }, func() any { return new(int) }},
		{"timestamptz with an offset", "'2026-03-01 09:30:15.123456+09:00'::timestamptz", func(r *db.Row) any { return r.Time(0) }, func() any { return new(time.Time) }},
		{"timestamptz before 2000", "'1999-12-31 23:59:59.999999+09:00'::timestamptz", func(r *db.Row) any { return r.Time(0) }, func() any { return new(time.Time) }},
		{"timestamptz before 1970", "'1969-07-20 20:17:40.5-05:00'::timestamptz", func(r *db.Row) any { return r.Time(0) }, func() any { return new(time.Time) }},
		{"nullable timestamptz", "'2026-11-29 12:00:00Z'::timestamptz", func(r *db.Row) any { return r.TimeOrNil(0) }, func() any { return new(*time.Time) }},
		{"NULL timestamptz", "NULL::timestamptz", func(r *db.Row) any { return r.TimeOrNil(0) }, func() any { return new(*time.Time) }},
		{"date", "'2026-11-29'::date", func(r *db.Row) any { return r.Date(0) }, func() any { return new(time.Time) }},
		{"date before 2000", "'1999-02-28'::date", func(r *db.Row) any { return r.Date(0) }, func() any { return new(time.Time) }},
		{"year 1 date", "'0001-01-01'::date", func(r *db.Row) any { return r.Date(0) }, func() any { return new(time.Time) }},
		{"numeric with scale", "12.5::numeric(19,4)", func(r *db.Row) any { return r.Numeric(0) }, func() any { return new(decimal.Decimal) }},
		{"numeric beyond int64", "-123456789012345678901234.123456::numeric", func(r *db.Row) any { return r.Numeric(0) }, func() any { return new(decimal.Decimal) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := db.NewRow(db.NewStrings())
			got, err := db.Query(ctx, d, nil, func(rows pgx.Rows) (any, error) {
				r.Read(rows)
				v := c.read(r)
				return v, r.Err()
			}, "SELECT "+c.expr)
			if err != nil {
				t.Fatal(err)
			}
			// What rows.Scan gives (numerics through decimal's own Scan
			// of their text).
			want, err := db.Query(ctx, d, nil, func(rows pgx.Rows) (any, error) {
				dst := c.scan()
				return dst, rows.Scan(dst)
			}, "SELECT "+c.expr)
			if err != nil {
				t.Fatal(err)
			}
			g, w := describe(got[0]), describe(deref(want[0]))
			if g != w {
				t.Errorf("Row read %s, rows.Scan %s", g, w)
			}
		})
	}
	t.Run("one string per shared value", func(t *testing.T) {
		r := db.NewRow(db.NewStrings())
		type row struct{ text, id, fresh string }
		got, err := db.Query(ctx, d, nil, func(rows pgx.Rows) (row, error) {
			r.Read(rows)
			return row{r.SharedText(0), r.SharedUUID(1), r.Text(0)}, r.Err()
		}, "SELECT 'kg'::text, '0d7b8e2c-5c0a-4c44-9a57-2f1f3c0e9b11'::uuid FROM generate_series(1, 2)")
		if err != nil {
			t.Fatal(err)
		}
		same := func(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }
		if len(got) != 2 || !same(got[0].text, got[1].text) || !same(got[0].id, got[1].id) || same(got[0].fresh, got[1].fresh) {
			t.Errorf("shared values not shared, or fresh ones shared: %+v", got)
		}
	})
	t.Run("Null and Raw", func(t *testing.T) {
		r := db.NewRow(nil)
		got, err := db.Query(ctx, d, nil, func(rows pgx.Rows) ([]any, error) {
			r.Read(rows)
			return []any{r.Null(0), r.Null(1), string(r.Raw(1))}, r.Err()
		}, "SELECT NULL::uuid, 'x'::text")
		if err != nil {
			t.Fatal(err)
		}
		if got[0][0] != true || got[0][1] != false || got[0][2] != "x" {
			t.Errorf("Null(0), Null(1), Raw(1) = %v", got[0])
		}
	})
	for _, c := range []struct {
		name, expr, msg string
		read            func(r *db.Row)
	}{
		{"NULL into a string", "NULL::text", "NULL", func(r *db.Row) { r.Text(0) }},
		{"NULL into a uuid", "NULL::uuid", "NULL", func(r *db.Row) { r.SharedUUID(0) }},
		{"NULL into an int", "NULL::int", "NULL", func(r *db.Row) { r.Int(0) }},
		{"NULL into a time", "NULL::timestamptz", "NULL", func(r *db.Row) { r.Time(0) }},
		{"NULL into a date", "NULL::date", "NULL", func(r *db.Row) { r.Date(0) }},
		{"NULL into a decimal", "NULL::numeric", "NULL", func(r *db.Row) { r.Numeric(0) }},
		{"NaN", "'NaN'::numeric", "NaN", func(r *db.Row) { r.Numeric(0) }},
		{"infinite time", "'infinity'::timestamptz", "infinite", func(r *db.Row) { r.Time(0) }},
		{"infinite date", "'-infinity'::date", "infinite", func(r *db.Row) { r.Date(0) }},
		{"int as text", "1::int", "not text", func(r *db.Row) { r.Text(0) }},
		{"text as uuid", "'0d7b8e2c-5c0a-4c44-9a57-2f1f3c0e9b11'::text", "not uuid", func(r *db.Row) { r.UUID(0) }},
		{"timestamp without time zone", "'2026-11-29 12:00'::timestamp", "not timestamptz", func(r *db.Row) { r.Time(0) }},
		{"no such column", "1::int", "no such column", func(r *db.Row) { r.Int(1) }},
		{"the first error kept", "NULL::text, 'y'::text", "column 0", func(r *db.Row) { r.Text(0); r.Int(1) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := db.NewRow(db.NewStrings())
			_, err := db.Query(ctx, d, nil, func(rows pgx.Rows) (int, error) {
				r.Read(rows)
				c.read(r)
				return 0, r.Err()
			}, "SELECT "+c.expr)
			if err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err %v, want one saying %q", err, c.msg)
			}
		})
	}
}

// describe prints a value with what rows of a Query compare on: a time's
// instant and location, a decimal's digits and exponent, pointers by what
// they point at.
func describe(v any) string {
	switch v := v.(type) {
	case time.Time:
		return v.Format(time.RFC3339Nano) + " in " + v.Location().String()
	case *time.Time:
		if v == nil {
			return "nil"
		}
		return "&" + describe(*v)
	case decimal.Decimal:
		return v.String() + " e" + decimal.New(int64(v.Exponent()), 0).String()
	case *string:
		if v == nil {
			return "nil"
		}
		return "&" + strings.ReplaceAll(*v, " ", "·")
	case string:
		return strings.ReplaceAll(v, " ", "·")
	case int:
		return decimal.New(int64(v), 0).String()
	}
	return "?"
}

// deref is what a rows.Scan target holds.
func deref(p any) any {
	switch p := p.(type) {
	case *string:
		return *p
	case **string:
		return *p
	case *int:
		return *p
	case *time.Time:
		return *p
	case **time.Time:
		return *p
	case *decimal.Decimal:
		return *p
	}
	return p
}
