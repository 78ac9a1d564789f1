// Package scalar marshals the API's custom scalars: Decimal as an exact
// decimal string (never a float), Date as YYYY-MM-DD and DateTime as RFC 3339
// in UTC.
package scalar

import (
	"encoding/json"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/shopspring/decimal"

	portal "github.com/openportal/portal"
)

// MarshalDecimal writes d as a JSON string, e.g. "12.50".
func MarshalDecimal(d decimal.Decimal) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(d.String()))
	})
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
		io.WriteString(w, strconv.Quote(t.Format(time.DateOnly)))
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
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339Nano)))
	})
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
