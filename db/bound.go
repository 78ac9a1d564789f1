package db

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"
)

// Select runs a query with bound parameters and scans its rows with bun
// into dest (a model, a slice of models, or scalars). query is written with
// bun's ? placeholders; they become $1, $2… and the values travel apart
// from the text. So one statement text serves every viewer, account and
// cursor, and pgx prepares it once per connection (its default statement
// cache mode), where bun's NewRaw writes the values into the text and makes
// every distinct value a new statement to parse and plan.
//
// Use it for the hot read paths; arguments must be plain values pgx
// encodes (strings, numbers, times, []string for = ANY($n::uuid[])), not
// bun.List or bun.Ident. A struct dest with no row returns sql.ErrNoRows.
func Select(ctx context.Context, bdb *bun.DB, dest any, query string, args ...any) error {
	rows, err := bdb.DB.QueryContext(ctx, Numbered(query), args...)
	if err != nil {
		return err
	}
	return bdb.ScanRows(ctx, rows, dest)
}

// Numbered rewrites bun's ? placeholders as PostgreSQL's $1, $2… A ?
// inside a quoted literal or identifier is left alone.
func Numbered(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// StatementObserver sees every statement sent to PostgreSQL for a context
// (through bun or not, BEGIN and COMMIT included): tests count statements
// per request with it.
type StatementObserver interface {
	Statement(sql string)
}

type observerKey struct{}

// ObserveStatements returns a context whose statements o sees.
func ObserveStatements(ctx context.Context, o StatementObserver) context.Context {
	return context.WithValue(ctx, observerKey{}, o)
}

// tracer hands each statement to the context's observer, if any: pgx calls
// it for every query, exec and transaction statement.
type tracer struct{}

func (tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if o, ok := ctx.Value(observerKey{}).(StatementObserver); ok {
		o.Statement(data.SQL)
	}
	return ctx
}

func (tracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
