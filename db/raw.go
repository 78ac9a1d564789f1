package db

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

// Row reads the columns of a Query's (or Each's) current row straight from
// the bytes PostgreSQL sent (rows.RawValues), in the formats Query asks for
// (resultFormats): uuid, integers, timestamptz and date in binary, text as
// it is, numeric as text. rows.Scan finds a scan plan per column through
// interfaces and converts each value on the way; on the hot reads that was
// most of the time spent in Query. Every accessor checks the column's type
// and format and a NOT NULL accessor refuses NULL: the first such error is
// kept (Err) and the accessors return zero values after it, so a caller
// reads a whole row and checks once.
//
// Make one per read; it is not safe for concurrent use.
type Row struct {
	decimals decimals
	str      *Strings
	fields   []pgconn.FieldDescription
	vals     [][]byte
	err      error
}

// NewRow returns a Row whose Shared accessors keep one string per distinct
// value in str (see Strings), which may be shared with rows.Scan targets of
// the same read.
func NewRow(str *Strings) *Row {
	return &Row{str: str}
}

// Read starts reading rows' current row.
func (r *Row) Read(rows pgx.Rows) {
	r.fields = rows.FieldDescriptions()
	r.vals = rows.RawValues()
}

// Err is the first error of the rows read so far.
func (r *Row) Err() error { return r.err }

// Null reports whether column i is NULL.
func (r *Row) Null(i int) bool {
	return i < len(r.vals) && r.vals[i] == nil
}

// Raw is column i's bytes as received (nil for NULL), valid until the next
// row: for comparing a key with the previous row's without decoding it.
func (r *Row) Raw(i int) []byte {
	if i >= len(r.vals) {
		r.fail(i, "no such column")
		return nil
	}
	return r.vals[i]
}

// col returns column i's bytes after checking that it is one of the types
// wanted, in the format wanted (nil: NULL, or an error recorded).
func (r *Row) col(i int, format int16, what string, oids ...uint32) []byte {
	if r.err != nil {
		return nil
	}
	if i >= len(r.vals) || i >= len(r.fields) {
		r.fail(i, "no such column")
		return nil
	}
	f := &r.fields[i]
	if f.Format != format {
		r.fail(i, fmt.Sprintf("%s sent in format %d, want %d (db.Query's resultFormats)", what, f.Format, format))
		return nil
	}
	for _, oid := range oids {
		if f.DataTypeOID == oid {
			return r.vals[i]
		}
	}
	r.fail(i, fmt.Sprintf("type OID %d is not %s", f.DataTypeOID, what))
	return nil
}

func (r *Row) fail(i int, msg string) {
	if r.err != nil {
		return
	}
	name := "?"
	if i < len(r.fields) {
		name = r.fields[i].Name
	}
	r.err = fmt.Errorf("column %d (%s): %s", i, name, msg)
}

// notNull records an error for a NULL in a column read as NOT NULL.
func (r *Row) notNull(i int, b []byte, what string) bool {
	if b == nil {
		if r.err == nil {
			r.fail(i, "cannot read NULL into a "+what)
		}
		return false
	}
	return true
}

// text is a text, varchar or char(n) column's bytes (binary text is the
// text itself; char(n) keeps its padding, as rows.Scan into a string does).
func (r *Row) text(i int) []byte {
	return r.col(i, pgx.BinaryFormatCode, "text", pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID)
}

// Text reads a NOT NULL text column into a new string.
func (r *Row) Text(i int) string {
	if b := r.text(i); r.notNull(i, b, "string") {
		return string(b)
	}
	return ""
}

// SharedText reads a NOT NULL text column whose value repeats across the
// read's rows: one string per distinct value (Strings).
func (r *Row) SharedText(i int) string {
	if b := r.text(i); r.notNull(i, b, "string") {
		return r.str.text(b)
	}
	return ""
}

// TextOrNil reads a nullable text column: nil for NULL.
func (r *Row) TextOrNil(i int) *string {
	b := r.text(i)
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}

// uuid is a uuid column's 16 bytes.
func (r *Row) uuid(i int) (u [16]byte, ok bool) {
	b := r.col(i, pgx.BinaryFormatCode, "uuid", pgtype.UUIDOID)
	if !r.notNull(i, b, "string") {
		return u, false
	}
	if len(b) != 16 {
		r.fail(i, fmt.Sprintf("a binary uuid of %d bytes", len(b)))
		return u, false
	}
	return [16]byte(b), true
}

// UUID reads a NOT NULL uuid column into its usual lowercase text form.
func (r *Row) UUID(i int) string {
	if u, ok := r.uuid(i); ok {
		return uuid.UUID(u).String()
	}
	return ""
}

// SharedUUID is UUID for a column whose value repeats across the read's
// rows: formatted once per distinct value (Strings).
func (r *Row) SharedUUID(i int) string {
	if u, ok := r.uuid(i); ok {
		return r.str.uuid(u)
	}
	return ""
}

// Int reads a NOT NULL smallint, int or bigint column.
func (r *Row) Int(i int) int {
	b := r.col(i, pgx.BinaryFormatCode, "integer", pgtype.Int4OID, pgtype.Int8OID, pgtype.Int2OID)
	if !r.notNull(i, b, "int") {
		return 0
	}
	switch len(b) {
	case 4:
		return int(int32(binary.BigEndian.Uint32(b)))
	case 8:
		return int(int64(binary.BigEndian.Uint64(b)))
	case 2:
		return int(int16(binary.BigEndian.Uint16(b)))
	}
	r.fail(i, fmt.Sprintf("a binary integer of %d bytes", len(b)))
	return 0
}

// y2k is PostgreSQL's epoch for timestamps and dates, in Unix seconds.
const y2k = 946684800

// timestamptz decodes a binary timestamptz (microseconds since 2000-01-01
// UTC) into a UTC time, as pgx does on a db.Open connection.
func (r *Row) timestamptz(i int, b []byte) (time.Time, bool) {
	if len(b) != 8 {
		r.fail(i, fmt.Sprintf("a binary timestamptz of %d bytes", len(b)))
		return time.Time{}, false
	}
	us := int64(binary.BigEndian.Uint64(b))
	if us == math.MaxInt64 || us == math.MinInt64 {
		r.fail(i, "cannot read an infinite timestamp into a time")
		return time.Time{}, false
	}
	return time.Unix(y2k+us/1e6, us%1e6*1e3).UTC(), true
}

// Time reads a NOT NULL timestamptz column as a UTC time.
func (r *Row) Time(i int) time.Time {
	b := r.col(i, pgx.BinaryFormatCode, "timestamptz", pgtype.TimestamptzOID)
	if !r.notNull(i, b, "time") {
		return time.Time{}
	}
	t, _ := r.timestamptz(i, b)
	return t
}

// TimeOrNil reads a nullable timestamptz column: nil for NULL.
func (r *Row) TimeOrNil(i int) *time.Time {
	b := r.col(i, pgx.BinaryFormatCode, "timestamptz", pgtype.TimestamptzOID)
	if b == nil {
		return nil
	}
	if t, ok := r.timestamptz(i, b); ok {
		return &t
	}
	return nil
}

// Date reads a NOT NULL date column as UTC midnight of its day.
func (r *Row) Date(i int) time.Time {
	b := r.col(i, pgx.BinaryFormatCode, "date", pgtype.DateOID)
	if !r.notNull(i, b, "time") {
		return time.Time{}
	}
	if len(b) != 4 {
		r.fail(i, fmt.Sprintf("a binary date of %d bytes", len(b)))
		return time.Time{}
	}
	days := int32(binary.BigEndian.Uint32(b))
	if days == math.MaxInt32 || days == math.MinInt32 {
		r.fail(i, "cannot read an infinite date into a time")
		return time.Time{}
	}
	return time.Date(2000, 1, 1+int(days), 0, 0, 0, 0, time.UTC)
}

// Numeric reads a NOT NULL numeric column exactly, with the column's
// scale as the exponent, as Numeric does for rows.Scan.
func (r *Row) Numeric(i int) decimal.Decimal {
	b := r.col(i, pgx.TextFormatCode, "numeric", pgtype.NumericOID)
	if !r.notNull(i, b, "decimal") {
		return decimal.Decimal{}
	}
	d, err := parseNumeric(b, &r.decimals)
	if err != nil {
		r.fail(i, err.Error())
	}
	return d
}
