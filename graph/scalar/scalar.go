// Package scalar marshals the API's custom scalars: Decimal as an exact
// decimal string (never a float), Date as YYYY-MM-DD and DateTime as RFC 3339
// in UTC.
package scalar

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/shopspring/decimal"

	portal "github.com/openportal/portal"
)

// MarshalDecimal writes d as a JSON string, as d.String() writes it
// (12.5000 as "12.5").
func MarshalDecimal(d decimal.Decimal) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) { writeDecimal(w, d) })
}

// DecimalRef is a Decimal marshalled where it lies: go generate
// (graph/internal/plainfields) has a plain Decimal field of an object
// marshal as (*DecimalRef)(&obj.Field), a pointer that needs no allocation,
// where MarshalDecimal makes a closure for every value. It writes what
// MarshalDecimal writes.
type DecimalRef decimal.Decimal

func (d *DecimalRef) MarshalGQL(w io.Writer) { writeDecimal(w, decimal.Decimal(*d)) }

// writeDecimal writes d quoted. Into gqlgen's buffer it appends in place;
// a stack array handed to an io.Writer would escape to the heap.
func writeDecimal(w io.Writer, d decimal.Decimal) {
	if b, ok := w.(*bytes.Buffer); ok {
		b.Write(append(appendDecimal(append(b.AvailableBuffer(), '"'), d), '"'))
		return
	}
	w.Write(append(appendDecimal([]byte{'"'}, d), '"'))
}

// pow10 are the powers of ten an int64 holds.
var pow10 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// appendDecimal appends d as d.String() writes it. Every amount and
// quantity Portal stores (numeric(19,4) and (19,6)) has a coefficient of
// at most 18 digits: those are written from the int64 directly, where
// String formats the big.Int and cuts and joins strings (5 % of the CPU
// of a page of orders). Anything larger goes through String.
func appendDecimal(b []byte, d decimal.Decimal) []byte {
	e := d.Exponent()
	if e > 0 || e < -18 || d.NumDigits() > 18 {
		return append(b, d.String()...)
	}
	c := d.CoefficientInt64()
	u := uint64(c)
	if c < 0 {
		b = append(b, '-')
		u = uint64(-c)
	}
	if e == 0 {
		return strconv.AppendUint(b, u, 10)
	}
	n := int(-e)
	whole, frac := u/pow10[n], u%pow10[n]
	b = strconv.AppendUint(b, whole, 10)
	if frac == 0 {
		return b
	}
	// The fraction's n digits, leading zeros kept, trailing ones dropped.
	var digits [18]byte
	for i := n - 1; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	for n > 0 && digits[n-1] == '0' {
		n--
	}
	return append(append(b, '.'), digits[:n]...)
}

// maxDecimalLen bounds a Decimal's text. It is checked before parsing:
// decimal.NewFromString takes time growing with the square of the digits,
// so a megabyte of digits would cost seconds of CPU. 40 characters hold
// every value our numeric columns can store, with sign, point and exponent.
const maxDecimalLen = 40

// UnmarshalDecimal reads a decimal string. Numbers in JSON are refused: they
// pass through float64 in most clients and lose exactness on the way.
func UnmarshalDecimal(v any) (decimal.Decimal, error) {
	s, ok := v.(string)
	if !ok {
		if n, isNum := v.(json.Number); isNum {
			s = string(n)
		} else {
			return decimal.Decimal{}, portal.Errorf(portal.EINVALID, "A Decimal must be a string such as \"12.50\", not a %T.", v)
		}
	}
	if len(s) > maxDecimalLen {
		return decimal.Decimal{}, portal.Errorf(portal.EINVALID, "A Decimal has at most %d characters; this one has %d.", maxDecimalLen, len(s))
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, portal.Errorf(portal.EINVALID, "%q is not a decimal number such as \"12.50\".", s)
	}
	return d, nil
}

// quote quotes s for a message, cut to a few dozen characters: a message
// never echoes unbounded input.
func quote(s string) string {
	const max = 40
	if len(s) > max {
		r := []rune(s[:max])
		if len(r) > 0 && r[len(r)-1] == utf8.RuneError {
			r = r[:len(r)-1]
		}
		return strconv.Quote(string(r)) + "…"
	}
	return strconv.Quote(s)
}

// MarshalDate writes the date part of t as "YYYY-MM-DD".
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		writeQuoted(w, t.Format(time.DateOnly))
	})
}

// UnmarshalDate reads "YYYY-MM-DD" as midnight UTC.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, portal.Errorf(portal.EINVALID, "A Date must be a string such as \"2026-12-31\".")
	}
	t, err := time.ParseInLocation(time.DateOnly, s, time.UTC)
	if err != nil || t.Year() < 1 {
		return time.Time{}, portal.Errorf(portal.EINVALID, "%s is not a date in the form YYYY-MM-DD (years 0001 to 9999).", quote(s))
	}
	return t, nil
}

// MarshalDateTime writes t in UTC as RFC 3339.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) { writeDateTime(w, t) })
}

// DateTimeRef is a DateTime marshalled where it lies, as DecimalRef is a
// Decimal: it writes what MarshalDateTime writes.
type DateTimeRef time.Time

func (t *DateTimeRef) MarshalGQL(w io.Writer) { writeDateTime(w, time.Time(*t)) }

// writeDateTime writes t in UTC as RFC 3339, quoted: appended in place into
// gqlgen's buffer rather than formatted to a string first.
func writeDateTime(w io.Writer, t time.Time) {
	if b, ok := w.(*bytes.Buffer); ok {
		b.Write(append(t.UTC().AppendFormat(append(b.AvailableBuffer(), '"'), time.RFC3339Nano), '"'))
		return
	}
	writeQuoted(w, t.UTC().Format(time.RFC3339Nano))
}

// UnmarshalDateTime reads an RFC 3339 time and converts it to UTC.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, portal.Errorf(portal.EINVALID, "A DateTime must be an RFC 3339 string.")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.UTC().Year() < 1 || t.UTC().Year() > 9999 {
		return time.Time{}, portal.Errorf(portal.EINVALID, "%s is not an RFC 3339 time such as 2026-11-23T10:00:00Z.", quote(s))
	}
	return t.UTC(), nil
}

// writeQuoted writes s as a JSON string. The scalars here spell themselves
// with digits, signs, '.', ':', 'e', 'T' and 'Z' only, which need no
// escaping: three writes to gqlgen's buffer instead of strconv.Quote's
// copy, for each of the hundred-odd amounts and quantities on a page of
// orders.
func writeQuoted(w io.Writer, s string) {
	io.WriteString(w, `"`)
	io.WriteString(w, s)
	io.WriteString(w, `"`)
}
