package generated

import (
	"bytes"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// onlyWriter hides bytes.Buffer, for the path that writes to any io.Writer.
type onlyWriter struct{ io.Writer }

// marshalled writes m to a bytes.Buffer (gqlgen's writer) and to a plain
// io.Writer; both must agree.
func marshalled(t *testing.T, m graphql.Marshaler) string {
	t.Helper()
	var buf, other bytes.Buffer
	m.MarshalGQL(&buf)
	m.MarshalGQL(onlyWriter{&other})
	if buf.String() != other.String() {
		t.Fatalf("wrote %s to a buffer, %s to a writer", buf.String(), other.String())
	}
	return buf.String()
}

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
			want := marshalled(t, graphql.MarshalString(s))
			if got := marshalled(t, (*stringRef)(&v)); got != want {
				t.Fatalf("stringRef wrote %s, MarshalString %s", got, want)
			}
		})
	}
}

// TestIntRefAsMarshalInt: intRef writes what graphql.MarshalInt writes.
func TestIntRefAsMarshalInt(t *testing.T) {
	for _, i := range []int{0, 1, -1, 10, 1234567, math.MaxInt64, math.MinInt64} {
		v := i
		if got, want := marshalled(t, (*intRef)(&v)), marshalled(t, graphql.MarshalInt(i)); got != want {
			t.Fatalf("intRef wrote %s, MarshalInt %s", got, want)
		}
	}
}
