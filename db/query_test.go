package db_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/dbtest"
)

type statements struct {
	mu  sync.Mutex
	got []string
}

func (s *statements) Statement(sql string) {
	s.mu.Lock()
	s.got = append(s.got, sql)
	s.mu.Unlock()
}

// TestQueryNumeric: a numeric reads (Row.Numeric) into exactly the decimal that
// decimal.NewFromString gives for PostgreSQL's text of it (digits and
// exponent, so the column's scale is kept), whether it fits an int64 or
// not; NULL, NaN and infinity are errors, not zeros.
func TestQueryNumeric(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	r := db.NewRow(nil)
	scan := func(rows pgx.Rows) (decimal.Decimal, error) {
		r.Read(rows)
		v := r.Numeric(0)
		return v, r.Err()
	}
	for _, c := range []struct{ name, sql, want string }{
		{"zero", "0::numeric", "0"},
		{"scale kept", "12.5::numeric(19,4)", "12.5000"},
		{"negative fraction", "-0.000001::numeric(19,6)", "-0.000001"},
		{"negative zero with scale", "-0::numeric(19,4)", "0.0000"},
		{"integer", "1000::numeric", "1000"},
		{"18 digits", "12345678901234.5678::numeric(19,4)", "12345678901234.5678"},
		{"beyond int64", "123456789012345678901234.123456::numeric", "123456789012345678901234.123456"},
		{"largest numeric(19,4)", "-999999999999999.9999::numeric(19,4)", "-999999999999999.9999"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := db.Query(ctx, d, nil, scan, "SELECT "+c.sql)
			if err != nil {
				t.Fatal(err)
			}
			want := decimal.RequireFromString(c.want)
			if len(got) != 1 || !got[0].Equal(want) || got[0].Exponent() != want.Exponent() || got[0].String() != want.String() {
				t.Fatalf("got %v, want %s (exponent %d)", got, want, want.Exponent())
			}
		})
	}
	for _, c := range []struct{ name, sql string }{
		{"null", "NULL::numeric"},
		{"NaN", "'NaN'::numeric"},
		{"infinity", "'Infinity'::numeric"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r = db.NewRow(nil) // the first error sticks to a Row
			if got, err := db.Query(ctx, d, nil, scan, "SELECT "+c.sql); err == nil {
				t.Fatalf("got %v, want an error", got)
			}
		})
	}
}

// TestQuery: rows come back in order appended to into, with ? bound as $n
// (the same text for any value), the statement is seen by
// ObserveStatements, and a failing scan stops the read with its error.
func TestQuery(t *testing.T) {
	d := dbtest.New(t)
	var seen statements
	ctx := db.ObserveStatements(context.Background(), &seen)
	type row struct {
		N  int
		S  string
		At time.Time
	}
	scan := func(rows pgx.Rows) (row, error) {
		var r row
		err := rows.Scan(&r.N, &r.S, &r.At)
		return r, err
	}
	const q = "SELECT n, ? || n, ?::timestamptz FROM generate_series(1, ?) n ORDER BY n"
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name   string
		prefix string
		count  int
	}{{"three rows", "a", 3}, {"other values", "b", 2}, {"no rows", "c", 0}} {
		t.Run(c.name, func(t *testing.T) {
			seen.got = nil
			got, err := db.Query(ctx, d, []row{{N: -1}}, scan, q, c.prefix, at, c.count)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != c.count+1 || got[0].N != -1 {
				t.Fatalf("got %v, want the first row kept and %d appended", got, c.count)
			}
			for i, r := range got[1:] {
				if r.N != i+1 || r.S != c.prefix+strconv.Itoa(i+1) || !r.At.Equal(at) {
					t.Errorf("row %d = %+v", i, r)
				}
			}
			if len(seen.got) != 1 || seen.got[0] != db.Numbered(q) {
				t.Errorf("statements %q, want one: %q", seen.got, db.Numbered(q))
			}
		})
	}
	t.Run("scan error", func(t *testing.T) {
		_, err := db.Query(ctx, d, nil, func(rows pgx.Rows) (row, error) {
			var s int
			return row{}, rows.Scan(&s, &s, &s)
		}, q, "x", at, 2)
		if err == nil || !strings.Contains(err.Error(), "can't scan") && !strings.Contains(err.Error(), "cannot scan") {
			t.Fatalf("err %v, want a scan error", err)
		}
	})
}

// TestQueryFormats: Query asks for numeric as text (parsed straight into
// a decimal) and for the other types the hot reads return in binary, as
// pgx would by default.
func TestQueryFormats(t *testing.T) {
	d := dbtest.New(t)
	cols := []struct{ expr, format string }{
		{"1.5::numeric(19,4)", "text"},
		{"1::int", "binary"},
		{"1::bigint", "binary"},
		{"'x'::text", "binary"},
		{"'JP'::char(2)", "binary"},
		{"now()", "binary"},
		{"current_date", "binary"},
		{"gen_random_uuid()", "binary"},
		{"ARRAY['a']", "binary"},
		{"true", "binary"},
	}
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = c.expr
	}
	got, err := db.Query(context.Background(), d, nil, func(rows pgx.Rows) ([]string, error) {
		var formats []string
		for _, f := range rows.FieldDescriptions() {
			formats = append(formats, map[int16]string{pgx.TextFormatCode: "text", pgx.BinaryFormatCode: "binary"}[f.Format])
		}
		return formats, nil
	}, "SELECT "+strings.Join(exprs, ", "))
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cols {
		t.Run(c.expr, func(t *testing.T) {
			if got[0][i] != c.format {
				t.Errorf("sent as %s, want %s", got[0][i], c.format)
			}
		})
	}
}

// BenchmarkQueryNumeric reads 60 numerics (a page of 20 orders' 3 lines)
// through Query and Row.Numeric.
func BenchmarkQueryNumeric(b *testing.B) {
	d := dbtest.New(b)
	ctx := context.Background()
	r := db.NewRow(nil)
	scan := func(rows pgx.Rows) (decimal.Decimal, error) {
		r.Read(rows)
		v := r.Numeric(0)
		return v, r.Err()
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.Query(ctx, d, make([]decimal.Decimal, 0, 60), scan,
			"SELECT (n * 1.37)::numeric(19,4) FROM generate_series(1, 60) n"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestUUIDs: ids passed with UUIDs arrive as the same uuid[] in the same
// order; an empty list is an empty array, nil is NULL, and a malformed id
// fails the query instead of matching nothing.
func TestUUIDs(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	a, b := "0d7b8e2c-5c0a-4c44-9a57-2f1f3c0e9b11", "FFFFFFFF-0000-4000-8000-000000000001"
	scan := func(rows pgx.Rows) (string, error) {
		var s string
		err := rows.Scan(&s)
		return s, err
	}
	for _, c := range []struct {
		name string
		ids  []string
		want []string
	}{
		{"in order", []string{b, a, a}, []string{strings.ToLower(b), a, a}},
		{"empty", []string{}, []string{"0"}},
		{"nil", nil, []string{"null"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := "SELECT x::text FROM unnest(?::uuid[]) x"
			if len(c.ids) == 0 {
				q = "SELECT COALESCE(cardinality(?::uuid[])::text, 'null')"
			}
			got, err := db.Query(ctx, d, nil, scan, q, db.UUIDs(c.ids))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
	t.Run("malformed", func(t *testing.T) {
		if got, err := db.Query(ctx, d, nil, scan, "SELECT x::text FROM unnest(?::uuid[]) x", db.UUIDs([]string{a, "nope"})); err == nil || !strings.Contains(err.Error(), `"nope"`) {
			t.Fatalf("got %v, %v; want an error naming the id", got, err)
		}
	})
}

// BenchmarkUUIDs sends 60 ids as a uuid[] (a page's product ids): as a
// []string, which pgx sends as an array literal after a failed attempt at
// binary, and through UUIDs.
func BenchmarkUUIDs(b *testing.B) {
	d := dbtest.New(b)
	ctx := context.Background()
	ids := make([]string, 60)
	for i := range ids {
		ids[i] = fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
	}
	scan := func(rows pgx.Rows) (int, error) {
		var n int
		err := rows.Scan(&n)
		return n, err
	}
	for _, c := range []struct {
		name string
		arg  any
	}{{"strings", ids}, {"UUIDs", db.UUIDs(ids)}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := db.Query(ctx, d, nil, scan, "SELECT cardinality(?::uuid[])", c.arg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
