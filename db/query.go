package db

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/shopspring/decimal"
	"github.com/uptrace/bun"
)

// Query runs a read with bound parameters, like Select, but through pgx
// itself on a connection of bdb's pool, and appends what scan makes of each
// row to into. The hot read paths use it: database/sql boxes every column
// into a driver.Value (a numeric even goes binary → big.Int → text →
// string) and bun then matches columns to fields by reflection, which cost
// more CPU and allocations than the rest of a page of orders. Here the
// caller lists its columns and reads them into their fields, with Row (from
// the bytes received, numerics into exact decimals) or rows.Scan(&o.ID, …).
//
// query is written with bun's ? placeholders (see Numbered); arguments
// are plain values pgx encodes, as for Select. pgx prepares the text once
// per connection and the statement tracer (ObserveStatements) sees it like
// any other. Like Select, it reads outside any transaction ctx carries.
func Query[T any](ctx context.Context, bdb *bun.DB, into []T, scan func(pgx.Rows) (T, error), query string, args ...any) ([]T, error) {
	err := Each(ctx, bdb, func(rows pgx.Rows) error {
		v, err := scan(rows)
		if err == nil {
			into = append(into, v)
		}
		return err
	}, query, args...)
	return into, err
}

// Each runs a read as Query does and hands every row to each, for reads
// that make one value of several rows (an order and its lines from a
// join); an error from each stops the read.
func Each(ctx context.Context, bdb *bun.DB, each func(pgx.Rows) error, query string, args ...any) error {
	conn, err := bdb.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("db.Query needs a database opened by db.Open (pgx), not %T", dc)
		}
		rows, err := sc.Conn().Query(ctx, Numbered(query), append([]any{resultFormats}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := each(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// resultFormats asks PostgreSQL for numeric columns as text (Query
// prepends it to the arguments): pgx's binary numeric decoding builds a
// big.Int digit group by digit group and trims it with divisions, several
// allocations per value, where the text "12.5000" parses straight into an
// int64 and an exponent. pgx applies such a map to every column, a type
// not in it coming as text: so the other types the reads return are listed
// with the binary format pgx would choose itself (text timestamps cost
// formatting on the server and parsing here). A type missing here still
// reads correctly through rows.Scan, as text; Row's accessors expect these
// formats and refuse others. (uuid as text measured the same as binary;
// numeric in binary cost PostgreSQL no less than as text.)
var resultFormats = pgx.QueryResultFormatsByOID{
	pgtype.NumericOID: pgx.TextFormatCode,

	pgtype.UUIDOID:        pgx.BinaryFormatCode,
	pgtype.BoolOID:        pgx.BinaryFormatCode,
	pgtype.Int2OID:        pgx.BinaryFormatCode,
	pgtype.Int4OID:        pgx.BinaryFormatCode,
	pgtype.Int8OID:        pgx.BinaryFormatCode,
	pgtype.Float8OID:      pgx.BinaryFormatCode,
	pgtype.TextOID:        pgx.BinaryFormatCode,
	pgtype.VarcharOID:     pgx.BinaryFormatCode,
	pgtype.BPCharOID:      pgx.BinaryFormatCode,
	pgtype.ByteaOID:       pgx.BinaryFormatCode,
	pgtype.DateOID:        pgx.BinaryFormatCode,
	pgtype.TimestampOID:   pgx.BinaryFormatCode,
	pgtype.TimestamptzOID: pgx.BinaryFormatCode,
	pgtype.IntervalOID:    pgx.BinaryFormatCode,
	pgtype.JSONBOID:       pgx.BinaryFormatCode,
	pgtype.TextArrayOID:   pgx.BinaryFormatCode,
	pgtype.UUIDArrayOID:   pgx.BinaryFormatCode,
	pgtype.Int4ArrayOID:   pgx.BinaryFormatCode,
	pgtype.Int8ArrayOID:   pgx.BinaryFormatCode,
}

// parseNumeric reads PostgreSQL's text form of a finite numeric
// ([-]digits[.digits]) into a decimal whose exponent is minus the number
// of fraction digits, as decimal.NewFromString does, without its string
// handling when the digits fit in an int64; longer numbers, exponents and
// NaN go to decimal.NewFromString (which refuses NaN and infinity).
func parseNumeric(s []byte, ds *decimals) (decimal.Decimal, error) {
	var v int64
	var exp int32
	digits, frac := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			v = v*10 + int64(c-'0')
			digits++
			if frac {
				exp--
			}
		case c == '.' && !frac && i > 0:
			frac = true
		case c == '-' && i == 0 && len(s) > 1:
		default:
			return decimal.NewFromString(string(s))
		}
		if digits > 18 {
			return decimal.NewFromString(string(s))
		}
	}
	if digits == 0 {
		return decimal.NewFromString(string(s))
	}
	if s[0] == '-' {
		v = -v
	}
	return ds.new(v, exp), nil
}

// UUIDs passes ids, uuids in their text form, as a uuid[] parameter
// (… = ANY(?::uuid[])) sent in binary. pgx cannot send a []string as a
// binary uuid[]: it builds an error for the attempt (fmt.Errorf), then
// sends an array literal for PostgreSQL to parse; three times the time of
// the binary array for 60 ids (BenchmarkUUIDs). A malformed id is an error
// of the query, so callers keep checking ids first (ValidIDs).
func UUIDs(ids []string) any { return uuidArray(ids) }

// uuidArray is pgx's ArrayGetter over the ids, with no copy: Index hands
// out pointers into the slice (no allocation), each parsed when encoded.
type uuidArray []string

func (a uuidArray) Dimensions() []pgtype.ArrayDimension {
	if a == nil {
		return nil
	}
	return []pgtype.ArrayDimension{{Length: int32(len(a)), LowerBound: 1}}
}

func (a uuidArray) Index(i int) any { return (*uuidText)(&a[i]) }

func (a uuidArray) IndexType() any { return (*uuidText)(nil) }

// uuidText is one id of a uuidArray, as pgx's UUIDValuer.
type uuidText string

func (u *uuidText) UUIDValue() (pgtype.UUID, error) {
	id, err := uuid.Parse(string(*u))
	if err != nil {
		return pgtype.UUID{}, fmt.Errorf("%q is not a uuid: %w", string(*u), err)
	}
	return pgtype.UUID{Bytes: id, Valid: true}, nil
}
