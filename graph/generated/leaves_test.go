package generated

import (
	"math"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/openportal/portal/graph/internal/marshaltest"
)

// TestStringRefAsMarshalString: stringRef writes what graphql.MarshalString
// writes, escapes and invalid UTF-8 included.
func TestStringRefAsMarshalString(t *testing.T) {
	var all strings.Builder
	for c := range 0x80 {
		all.WriteByte(byte(c))
	}
	for _, s := range []string{"", "ea", "Kabel NYM-J 3×1,5", `say "hi" \ bye`, "tab\there\r\nnew", "\x00\x01\x1f\x7f",
		"bad \xff\xfe utf8 \xe2\x82", "é\"€\\", all.String()} {
		t.Run(s, func(t *testing.T) {
			v := s
			want := marshaltest.Marshalled(t, graphql.MarshalString(s))
			if got := marshaltest.Marshalled(t, (*stringRef)(&v)); got != want {
				t.Fatalf("stringRef wrote %s, MarshalString %s", got, want)
			}
		})
	}
}

// TestIntRefAsMarshalInt: intRef writes what graphql.MarshalInt writes.
func TestIntRefAsMarshalInt(t *testing.T) {
	for _, i := range []int{0, 1, -1, 10, 1234567, math.MaxInt64, math.MinInt64} {
		v := i
		if got, want := marshaltest.Marshalled(t, (*intRef)(&v)), marshaltest.Marshalled(t, graphql.MarshalInt(i)); got != want {
			t.Fatalf("intRef wrote %s, MarshalInt %s", got, want)
		}
	}
}
