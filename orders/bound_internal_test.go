package orders

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"

	"github.com/uptrace/bun"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/dbtest"
)

// TestPGArray: an array literal made by pgArray reaches PostgreSQL as the
// values it was made of, whatever they hold (quotes, backslashes, commas,
// braces, spaces, nothing), and query answers the first row of a scalar
// with sql.ErrNoRows when there is none.
func TestPGArray(t *testing.T) {
	d := dbtest.New(t)
	s := &Service{DB: d}
	values := []string{"plain", `with "quotes"`, `back\slash`, `\"`, "comma,brace}{", " spaced ", "", "NULL", "ünïcode"}
	err := db.Tx(context.Background(), d, func(ctx context.Context, tx bun.Tx) error {
		var got []string
		if err := s.query(ctx, tx, "SELECT v FROM unnest(?::text[]) WITH ORDINALITY AS a(v, i) ORDER BY i",
			[]any{pgArray(values)}, &got); err != nil {
			return err
		}
		if !slices.Equal(got, values) {
			t.Errorf("got %q, want %q", got, values)
		}
		var none string
		if err := s.query(ctx, tx, "SELECT v FROM unnest(?::text[]) AS a(v) WHERE v = 'absent'", []any{pgArray(values)}, &none); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("no row answered %q, %v; want sql.ErrNoRows", none, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
