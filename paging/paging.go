// Package paging implements Relay-style forward pagination with opaque
// keyset cursors: a cursor carries the sort key of the last row seen, so the
// next page is an index range scan, stable under inserts, instead of OFFSET.
package paging

import (
	"encoding/base64"
	"encoding/json"
	"time"

	portal "github.com/openportal/portal"
)

// DefaultFirst and MaxFirst bound a page.
const (
	DefaultFirst = 20
	MaxFirst     = 100
)

// Args are the arguments of a connection field.
type Args struct {
	First *int
	After *string
	// SkipTotal leaves Page.TotalCount at 0: a count over every row in
	// scope costs more than the page itself, so a list counts only when
	// the client asks for the total.
	SkipTotal bool
}

// Limit returns how many rows to return, refusing values out of range.
func (a Args) Limit() (int, error) {
	if a.First == nil {
		return DefaultFirst, nil
	}
	n := *a.First
	if n < 0 || n > MaxFirst {
		return 0, portal.FieldErrorf("first", "first must be between 0 and %d, not %d.", MaxFirst, n)
	}
	return n, nil
}

// Cursor encodes a row's sort key as an opaque string: the key as a JSON
// array, in base64. Every edge of every page has one, so the usual keys
// (plain strings, times) are written by hand, as encoding/json would write
// them; anything else goes through encoding/json.
func Cursor(key ...any) string {
	var buf [128]byte
	b := append(buf[:0], '[')
	for i, k := range key {
		if i > 0 {
			b = append(b, ',')
		}
		switch k := k.(type) {
		case string:
			if !plainJSON(k) {
				return marshalCursor(key)
			}
			b = append(append(append(b, '"'), k...), '"')
		case time.Time:
			if y := k.Year(); y < 0 || y > 9999 {
				return marshalCursor(key)
			}
			b = append(k.AppendFormat(append(b, '"'), time.RFC3339Nano), '"')
		default:
			return marshalCursor(key)
		}
	}
	b = append(b, ']')
	return base64.RawURLEncoding.EncodeToString(b)
}

// plainJSON reports whether encoding/json writes s as it is, in quotes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

func marshalCursor(key []any) string {
	b, err := json.Marshal(key)
	if err != nil {
		panic(err) // keys are strings, numbers and times
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads the After cursor into dst (pointers, in the order given to
// Cursor). It reports false when there is no cursor.
func (a Args) Decode(dst ...any) (bool, error) {
	if a.After == nil || *a.After == "" {
		return false, nil
	}
	bad := ErrBadCursor(a)
	b, err := base64.RawURLEncoding.DecodeString(*a.After)
	if err != nil {
		return false, bad
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || len(raw) != len(dst) {
		return false, bad
	}
	for i := range dst {
		if err := json.Unmarshal(raw[i], dst[i]); err != nil {
			return false, bad
		}
		// A time outside PostgreSQL's range cannot be one we made, and
		// would fail in the query as an internal error.
		if t, ok := dst[i].(*time.Time); ok && (t.UTC().Year() < 1 || t.UTC().Year() > 9999) {
			return false, bad
		}
		if s, ok := dst[i].(*string); ok && !portal.ValidText(*s) {
			return false, bad
		}
	}
	return true, nil
}

// Page is one page of a list: the rows, each with its cursor, whether more
// follow, and how many rows the whole list has.
type Page[T any] struct {
	Items       []T
	HasNextPage bool
	TotalCount  int
	// cursor makes a row's cursor when asked (Cursor): a page whose
	// cursors nobody selects does not encode one for each row.
	cursor func(T) string
}

// Cursor is the cursor of row i.
func (p Page[T]) Cursor(i int) string { return p.cursor(p.Items[i]) }

// EndCursor is the cursor of the last row, nil on an empty page.
func (p Page[T]) EndCursor() *string {
	if len(p.Items) == 0 {
		return nil
	}
	c := p.Cursor(len(p.Items) - 1)
	return &c
}

// Trim turns the limit+1 rows a query fetched into a page of at most limit
// rows, setting HasNextPage when the extra row was there; cursor makes a
// row's cursor.
func Trim[T any](rows []T, limit int, cursor func(T) string, total int) Page[T] {
	p := Page[T]{TotalCount: total, cursor: cursor}
	if len(rows) > limit {
		rows = rows[:limit]
		p.HasNextPage = true
	}
	p.Items = rows
	return p
}

// Start reads both arguments at once: the page size, and the After cursor
// into dst (as Decode). It reports whether there was a cursor.
func (a Args) Start(dst ...any) (limit int, hasAfter bool, err error) {
	if limit, err = a.Limit(); err != nil {
		return 0, false, err
	}
	hasAfter, err = a.Decode(dst...)
	return limit, hasAfter, err
}

// ErrBadCursor is the error for an After cursor that this list did not make.
func ErrBadCursor(a Args) error {
	after := ""
	if a.After != nil {
		after = *a.After
	}
	return portal.FieldErrorf("after", "after %q is not a cursor of this list; pass an endCursor or cursor you received from it.", after)
}
