// Package scalar marshals the API's custom scalars: Decimal as an exact
// decimal string (never a float), Date as YYYY-MM-DD and DateTime as RFC 3339
// in UTC.
package scalar

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

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

// UnmarshalDecimal reads a decimal string. Numbers in JSON are refused: they
// pass through float64 in most clients and lose exactness on the way.
func UnmarshalDecimal(v any) (decimal.Decimal, error) {
	s, ok := v.(string)
	if !ok {
		if n, isNum := v.(json.Number); isNum {
			s = string(n)
		} else {
			return decimal.Decimal{}, portal.Errorf(portal.EINVALID, "A Decimal must be a string such as \"12.50\", not %v.", v)
		}
	}
	d, err := decimal.NewFromString(s)
	if err != nil || len(s) > 40 {
		return decimal.Decimal{}, portal.Errorf(portal.EINVALID, "%q is not a decimal number such as \"12.50\".", s)
	}
	return d, nil
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
		return time.Time{}, portal.Errorf(portal.EINVALID, "%q is not a date in the form YYYY-MM-DD (years 0001 to 9999).", s)
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
		return time.Time{}, portal.Errorf(portal.EINVALID, "%s", fmt.Sprintf("%q is not an RFC 3339 time such as 2026-11-23T10:00:00Z.", s))
	}
	return t.UTC(), nil
}
