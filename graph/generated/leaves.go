package generated

import (
	"bytes"
	"io"
	"strconv"
)

// This file is Portal's, not gqlgen's. gqlgen marshals every String, ID,
// enum and Int value through a closure made for it (graphql.MarshalString,
// MarshalInt): on a page of orders some 300 allocations, one per value.
// go generate (graph/internal/plainfields) has a plain field of an object
// marshal as a pointer to the struct field instead, (*stringRef)(&obj.Unit):
// a pointer in an interface needs no allocation, and the value is read when
// the response is written, after every resolver has returned.
// graph/scalar's DecimalRef and DateTimeRef do the same for those scalars.

// stringRef writes a String, ID or enum value as graphql.MarshalString does.
type stringRef string

func (s *stringRef) MarshalGQL(w io.Writer) {
	if b, ok := w.(*bytes.Buffer); ok {
		b.Write(appendQuoted(b.AvailableBuffer(), string(*s)))
		return
	}
	w.Write(appendQuoted(nil, string(*s)))
}

// intRef writes an Int as graphql.MarshalInt does.
type intRef int

func (i *intRef) MarshalGQL(w io.Writer) {
	if b, ok := w.(*bytes.Buffer); ok {
		b.Write(strconv.AppendInt(b.AvailableBuffer(), int64(*i), 10))
		return
	}
	io.WriteString(w, strconv.FormatInt(int64(*i), 10))
}

const hex = "0123456789ABCDEF"

// appendQuoted appends s as a JSON string, escaped as gqlgen's
// writeQuotedString escapes it: ", \ and the control characters below
// 0x20 (\t, \r, \n by name, the rest as \u00XX in upper case hex), every
// other byte as it is, invalid UTF-8 included. gqlgen reads s by runes, but
// every byte it escapes is ASCII, which is never part of a multi-byte
// sequence: reading bytes escapes the same ones.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '\t':
			b = append(b, `\t`...)
		case '\r':
			b = append(b, `\r`...)
		case '\n':
			b = append(b, `\n`...)
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
