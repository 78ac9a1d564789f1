package orders

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"strings"

	"github.com/uptrace/bun"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/policies"
)

// The order entry statements run inside a transaction with bound
// parameters ($1…), like db.Select outside one. bun's NewRaw writes the
// values into the text, and pgx prepares every text it has not seen
// (QueryExecModeCacheStatement): an order or contact id written into a
// query made each of them a new statement to parse, plan and describe, a
// second round trip per statement, and churned the connection's statement
// cache. With the values bound, the few texts of the wizard and of
// placeOrder are prepared once per connection.

// query runs q (written with bun's ? placeholders) in tx with its
// arguments bound, and scans the rows into dest with bun (a model, a slice
// of models, or scalars). Any dest but a slice takes the first row, and
// sql.ErrNoRows when there is none. Arguments must be plain values pgx
// encodes (strings, numbers, times, []string with an array cast), not
// bun.List or bun.Ident.
func (s *Service) query(ctx context.Context, tx bun.Tx, q string, args []any, dest ...any) error {
	rows, err := tx.Tx.QueryContext(ctx, db.Numbered(q), args...)
	if err != nil {
		return err
	}
	if len(dest) == 1 && reflect.TypeOf(dest[0]).Elem().Kind() == reflect.Slice {
		return s.DB.ScanRows(ctx, rows, dest...)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := s.DB.ScanRow(ctx, rows, dest...); err != nil {
		return err
	}
	if err := rows.Close(); err != nil {
		return err
	}
	return rows.Err()
}

// pgArray is values as a PostgreSQL array literal, every element quoted,
// for a parameter cast to an array (?::uuid[], ?::numeric[]). pgx sends a
// string in text format at once; a []string for a uuid[] or numeric[]
// parameter it first tries to encode in binary, which fails, and builds an
// error (fmt.Errorf) for every such parameter of every statement before
// falling back to text.
func pgArray(values []string) string {
	var b strings.Builder
	b.Grow(2 + len(values)*40)
	b.WriteByte('{')
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for j := 0; j < len(v); j++ {
			if v[j] == '"' || v[j] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(v[j])
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// lockDraft is lockOrder (read.go) with its values bound: the order entry
// locks an order in every change (three times for three lines, once more
// to submit), and with the ids written into the text each lock was a new
// statement to prepare. Returns ENOTFOUND for a missing or unreadable
// order.
func (s *Service) lockDraft(ctx context.Context, tx bun.Tx, id string) (*Order, error) {
	if !db.ValidID(id) {
		return nil, notFound("Order", id)
	}
	scope := s.Policy.ReadScope(ctx, policies.TableSalesOrder)
	if scope.None() {
		return nil, notFound("Order", id)
	}
	cond, args := scope.Where(policies.OrderColumns("o"))
	o := new(Order)
	err := s.query(ctx, tx, "SELECT o.* FROM sales_order o WHERE o.id = ? AND "+cond+" FOR UPDATE",
		append([]any{db.CanonicalID(id)}, args...), o)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Order", id)
	}
	return o, err
}
