package db_test

import (
	"context"
	"testing"
	"unsafe"

	"github.com/jackc/pgx/v5"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/dbtest"
)

// TestStrings: text, char(n) and uuid columns read through a Strings come
// out as rows.Scan into a string gives them, one string per distinct
// value of a column shared by the rows that repeat it; NULL is an error.
func TestStrings(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	type row struct{ text, char, id, plain string }
	read := func(t *testing.T, q string) ([]row, error) {
		str := db.NewStrings()
		return db.Query(ctx, d, nil, func(rows pgx.Rows) (row, error) {
			str.Row()
			var r row
			err := rows.Scan(str.String(&r.text), str.String(&r.char), str.String(&r.id), &r.plain)
			return r, err
		}, q)
	}
	got, err := read(t, `SELECT 'kg'::text, (CASE WHEN n % 2 = 0 THEN 'JP' ELSE 'US' END)::char(2),
		(CASE WHEN n < 3 THEN '0D7B8E2C-5C0A-4C44-9A57-2F1F3C0E9B11' ELSE 'ffffffff-0000-4000-8000-000000000001' END)::uuid,
		('0d7b8e2c-5c0a-4c44-9a57-2f1f3c0e9b11'::uuid)::text
		FROM generate_series(1, 4) n ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{"kg", "US", "0d7b8e2c-5c0a-4c44-9a57-2f1f3c0e9b11", "0d7b8e2c-5c0a-4c44-9a57-2f1f3c0e9b11"},
		{"kg", "JP", "0d7b8e2c-5c0a-4c44-9a57-2f1f3c0e9b11", "0d7b8e2c-5c0a-4c44-9a57-2f1f3c0e9b11"},
		{"kg", "US", "ffffffff-0000-4000-8000-000000000001", "0d7b8e2c-5c0a-4c44-9a57-2f1f3c0e9b11"},
		{"kg", "JP", "ffffffff-0000-4000-8000-000000000001", "0d7b8e2c-5c0a-4c44-9a57-2f1f3c0e9b11"},
	}
	t.Run("values", func(t *testing.T) {
		if len(got) != len(want) {
			t.Fatalf("got %v", got)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
			}
		}
	})
	t.Run("one string per value", func(t *testing.T) {
		same := func(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }
		if !same(got[0].text, got[3].text) || !same(got[0].char, got[2].char) || !same(got[0].id, got[1].id) || same(got[0].char, got[1].char) {
			t.Errorf("repeated values not shared: %p %p, %p %p, %p %p", unsafe.StringData(got[0].text), unsafe.StringData(got[3].text),
				unsafe.StringData(got[0].char), unsafe.StringData(got[2].char), unsafe.StringData(got[0].id), unsafe.StringData(got[1].id))
		}
	})
	for _, c := range []struct{ name, q string }{
		{"NULL text", "SELECT NULL::text, 'x'::char(1), gen_random_uuid(), ''"},
		{"NULL uuid", "SELECT 'a'::text, 'x'::char(1), NULL::uuid, ''"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got, err := read(t, c.q); err == nil {
				t.Errorf("got %+v, want an error", got)
			}
		})
	}
}
