package db

import (
	"math/big"
	"math/bits"
	"reflect"
	"unsafe"

	"github.com/shopspring/decimal"
)

// decimals makes the decimals of one read with their coefficients carved
// out of arrays it allocates 64 at a time. decimal.New allocates a big.Int
// and its one-word array for every value: on a page of 20 orders with 3
// lines, 280 of the request's 3,100 allocations.
//
// A decimal.Decimal cannot be made from a big.Int without a copy
// (NewFromBigInt copies), so the value is assembled in decimal's own
// layout, which sameLayout checks when the program starts: with a
// decimal that has changed its fields, every value is made by decimal.New
// instead (and TestDecimalsLayout fails). Sharing the arrays is safe
// because a Decimal never changes its big.Int: every operation makes a new
// one (decimal's "immutable" contract).
type decimals struct {
	ints  []big.Int
	words []big.Word
}

// decimalFields mirrors decimal.Decimal's fields.
type decimalFields struct {
	value *big.Int
	exp   int32
}

// sameLayout reports whether decimal.Decimal is laid out as decimalFields,
// and a big.Word holds any coefficient parseNumeric reads (18 digits).
var sameLayout = func() bool {
	t := reflect.TypeFor[decimal.Decimal]()
	var m decimalFields
	return bits.UintSize == 64 && t.Size() == unsafe.Sizeof(m) && t.NumField() == 2 &&
		t.Field(0).Name == "value" && t.Field(0).Type == reflect.TypeFor[*big.Int]() && t.Field(0).Offset == unsafe.Offsetof(m.value) &&
		t.Field(1).Name == "exp" && t.Field(1).Type == reflect.TypeFor[int32]() && t.Field(1).Offset == unsafe.Offsetof(m.exp)
}()

// new is decimal.New(v, exp).
func (s *decimals) new(v int64, exp int32) decimal.Decimal {
	if !sameLayout {
		return decimal.New(v, exp)
	}
	if len(s.ints) == cap(s.ints) {
		s.ints = make([]big.Int, 0, 64)
		s.words = make([]big.Word, 0, 64)
	}
	s.ints = s.ints[:len(s.ints)+1]
	z := &s.ints[len(s.ints)-1]
	if v != 0 {
		u := uint64(v)
		if v < 0 {
			u = -u
		}
		n := len(s.words)
		s.words = append(s.words, big.Word(u))
		// Capped at its one word: an append to it could not reach the
		// next value's.
		z.SetBits(s.words[n : n+1 : n+1])
		if v < 0 {
			z.Neg(z)
		}
	}
	f := decimalFields{value: z, exp: exp}
	return *(*decimal.Decimal)(unsafe.Pointer(&f))
}
