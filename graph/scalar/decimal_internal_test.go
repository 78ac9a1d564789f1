package scalar

import (
	"bytes"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/openportal/portal/graph/internal/marshaltest"
)

// TestAppendDecimalAsString: appendDecimal writes what decimal.String
// writes, on the fast path and off it.
func TestAppendDecimalAsString(t *testing.T) {
	for _, c := range []struct {
		name string
		d    decimal.Decimal
	}{
		{"zero", decimal.Zero},
		{"zero at scale 4", decimal.New(0, -4)},
		{"integer", decimal.New(12, 0)},
		{"negative integer", decimal.New(-12, 0)},
		{"trailing zeros trimmed", decimal.New(125000, -4)},
		{"all zeros after the point", decimal.New(50000, -4)},
		{"negative fraction", decimal.New(-5, -1)},
		{"leading zeros of the fraction", decimal.New(3, -6)},
		{"negative below one", decimal.New(-1003, -6)},
		{"positive exponent", decimal.New(12, 3)},
		{"18 digits", decimal.New(999999999999999999, -4)},
		{"19 digits", decimal.New(math.MaxInt64, -4)},
		{"most negative int64", decimal.New(math.MinInt64, -2)},
		{"scale 18", decimal.New(1, -18)},
		{"scale 19", decimal.New(1, -19)},
		{"beyond int64", decimal.NewFromBigInt(new(big.Int).Lsh(big.NewInt(1), 80), -6)},
		{"parsed", decimal.RequireFromString("-0001234.567800")},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got, want := string(appendDecimal(nil, c.d)), c.d.String(); got != want {
				t.Fatalf("appendDecimal = %s, String = %s", got, want)
			}
		})
	}
	t.Run("random", func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for range 100_000 {
			d := decimal.New(r.Int64N(1<<62)-1<<61, -int32(r.IntN(20)))
			if got, want := string(appendDecimal(nil, d)), d.String(); got != want {
				t.Fatalf("%v: appendDecimal = %s, String = %s", d, got, want)
			}
		}
	})
	t.Run("quoted", func(t *testing.T) {
		var w bytes.Buffer
		MarshalDecimal(decimal.New(125000, -4)).MarshalGQL(&w)
		if w.String() != `"12.5"` {
			t.Fatalf("MarshalDecimal wrote %s", w.String())
		}
	})
}

// TestRefsAsStrings: DecimalRef writes d.String() quoted, and DateTimeRef
// the time in UTC as RFC 3339 with its fraction (if any) quoted, as the
// marshallers gqlgen calls did.
func TestRefsAsStrings(t *testing.T) {
	for _, s := range []string{"0", "-1.5", "12.5000", "0.000001", "123456789012345678901234.5", "1E-30", "-1e-30", "9999999999999999999.9999", "1E+5"} {
		d := decimal.RequireFromString(s)
		want := `"` + d.String() + `"`
		if got := marshaltest.Marshalled(t, (*DecimalRef)(&d)); got != want {
			t.Errorf("DecimalRef(%s) wrote %s, want %s", s, got, want)
		}
		if got := marshaltest.Marshalled(t, MarshalDecimal(d)); got != want {
			t.Errorf("MarshalDecimal(%s) wrote %s, want %s", s, got, want)
		}
	}
	berlin := time.FixedZone("CET", 3600)
	for _, tm := range []time.Time{
		time.Date(2026, 11, 29, 21, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 29, 22, 0, 0, 123456000, berlin),
		time.Date(2026, 1, 2, 3, 4, 5, 100, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, berlin),
	} {
		want := `"` + tm.UTC().Format(time.RFC3339Nano) + `"`
		if got := marshaltest.Marshalled(t, (*DateTimeRef)(&tm)); got != want {
			t.Errorf("DateTimeRef(%v) wrote %s, want %s", tm, got, want)
		}
		if got := marshaltest.Marshalled(t, MarshalDateTime(tm)); got != want {
			t.Errorf("MarshalDateTime(%v) wrote %s, want %s", tm, got, want)
		}
	}
}
