// Package marshaltest checks GraphQL marshallers in tests: Portal's write
// into gqlgen's bytes.Buffer by a faster path than into any io.Writer, and
// both paths must write the same.
package marshaltest

import (
	"bytes"
	"io"
	"testing"
)

// onlyWriter hides bytes.Buffer, for the path that writes to any io.Writer.
type onlyWriter struct{ io.Writer }

// Marshalled writes m to a bytes.Buffer (gqlgen's writer) and to a plain
// io.Writer, fails t when they differ, and returns what was written.
func Marshalled(t testing.TB, m interface{ MarshalGQL(io.Writer) }) string {
	t.Helper()
	var buf, other bytes.Buffer
	m.MarshalGQL(&buf)
	m.MarshalGQL(onlyWriter{&other})
	if buf.String() != other.String() {
		t.Fatalf("wrote %s to a buffer, %s to a writer", buf.String(), other.String())
	}
	return buf.String()
}
