package db

import (
	"fmt"
	"testing"

	"github.com/shopspring/decimal"
)

// TestDecimalsLayout: the decimals of a read (decimals.new) are
// decimal.New's, in this version of decimal's layout (not the fallback),
// across the arrays' 64-value chunks, and arithmetic on one leaves the
// others as they were.
func TestDecimalsLayout(t *testing.T) {
	if !sameLayout {
		t.Fatal("decimal.Decimal is no longer {value *big.Int; exp int32}: decimals.new falls back to decimal.New; update decimalFields")
	}
	cases := []struct {
		v   int64
		exp int32
	}{
		{0, 0}, {0, -4}, {1, 0}, {-1, 0}, {44, 0}, {4400, -2}, {-15, -1}, {123456789012345678, -6},
		{-123456789012345678, -4}, {999999999999999999, 0}, {7, 3},
	}
	var ds decimals
	var got, want []decimal.Decimal
	for i := range 200 { // over three chunks
		c := cases[i%len(cases)]
		got = append(got, ds.new(c.v, c.exp))
		want = append(want, decimal.New(c.v, c.exp))
	}
	check := func(when string) {
		t.Helper()
		for i := range got {
			if !got[i].Equal(want[i]) || got[i].Exponent() != want[i].Exponent() || got[i].String() != want[i].String() {
				t.Fatalf("%s: value %d is %s (exp %d), want %s (exp %d)", when, i, got[i], got[i].Exponent(), want[i], want[i].Exponent())
			}
		}
	}
	check("as made")
	for i := range got {
		_ = got[i].Add(got[(i+1)%len(got)]).Mul(got[i]).Neg().Round(2).Abs()
		_ = got[i].Sub(decimal.New(1, 0)).Shift(3).Truncate(1)
		_ = fmt.Sprint(got[i].Div(decimal.New(3, 0)))
	}
	check("after arithmetic on them")
}
