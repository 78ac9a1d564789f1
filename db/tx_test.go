package db_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/db/dbtest"
)

// TestTxValue: the value of the attempt that committed comes back; a
// serialization failure is retried; any other error gives the zero value
// and rolls the transaction back.
func TestTxValue(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	if _, err := d.ExecContext(ctx, "CREATE TABLE tx_probe (n int)"); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		var n int
		if err := d.NewRaw("SELECT count(*) FROM tx_probe").Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	t.Run("retried serialization failure", func(t *testing.T) {
		attempts := 0
		got, err := db.TxValue(ctx, d, func(ctx context.Context, tx bun.Tx) (*int, error) {
			attempts++
			if _, err := tx.ExecContext(ctx, "INSERT INTO tx_probe VALUES (?)", attempts); err != nil {
				return nil, err
			}
			if attempts == 1 {
				return &attempts, &pgconn.PgError{Code: "40001"}
			}
			n := attempts * 10
			return &n, nil
		})
		if err != nil || got == nil || *got != 20 || attempts != 2 || count() != 1 {
			t.Errorf("got %v, %v after %d attempts, %d rows; want 20 after 2 attempts, 1 row", got, err, attempts, count())
		}
	})
	t.Run("other error", func(t *testing.T) {
		before := count()
		boom := errors.New("boom")
		got, err := db.TxValue(ctx, d, func(ctx context.Context, tx bun.Tx) (string, error) {
			if _, err := tx.ExecContext(ctx, "INSERT INTO tx_probe VALUES (1)"); err != nil {
				return "", err
			}
			return "partial", boom
		})
		if !errors.Is(err, boom) || got != "" || count() != before {
			t.Errorf("got %q, %v, %d rows; want the zero value, boom, %d rows", got, err, count(), before)
		}
	})
}
