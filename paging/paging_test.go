package paging

import (
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	portal "github.com/openportal/portal"
)

func ptr[T any](v T) *T { return &v }

func TestLimit(t *testing.T) {
	tests := []struct {
		first *int
		want  int
		ok    bool
	}{
		{nil, DefaultFirst, true}, {ptr(0), 0, true}, {ptr(100), 100, true}, {ptr(101), 0, false}, {ptr(-1), 0, false},
	}
	for _, tt := range tests {
		got, err := Args{First: tt.first}.Limit()
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("Limit(%v) = %d, %v", tt.first, got, err)
		}
		if err != nil && portal.ErrorCode(err) != portal.EINVALID {
			t.Errorf("Limit error code %s", portal.ErrorCode(err))
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	c := Cursor("P-0001", "3f2504e0-4f89-11d3-9a0c-0305e82c3301")
	var number, id string
	ok, err := Args{After: &c}.Decode(&number, &id)
	if !ok || err != nil || number != "P-0001" || id != "3f2504e0-4f89-11d3-9a0c-0305e82c3301" {
		t.Fatalf("Decode = %v %v %q %q", ok, err, number, id)
	}
	if ok, err := (Args{}).Decode(&number); ok || err != nil {
		t.Errorf("no cursor: %v %v", ok, err)
	}
	for _, bad := range []string{"!!", "e30", Cursor("only one")} { // e30 is "{}"
		if _, err := (Args{After: &bad}).Decode(&number, &id); portal.ErrorCode(err) != portal.EINVALID {
			t.Errorf("Decode(%q) = %v, want EINVALID", bad, err)
		}
	}
	var n int
	wrongType := Cursor("text")
	if _, err := (Args{After: &wrongType}).Decode(&n); err == nil {
		t.Error("a string key decoded into an int")
	}
}

func TestTrim(t *testing.T) {
	rows := []int{1, 2, 3}
	p := Trim(rows, 2, func(i int) string { return Cursor(i) }, 10)
	if len(p.Items) != 2 || !p.HasNextPage || p.TotalCount != 10 || *p.EndCursor() != Cursor(2) {
		t.Errorf("Trim = %+v", p)
	}
	p = Trim(rows[:2], 2, func(i int) string { return Cursor(i) }, 2)
	if p.HasNextPage || len(p.Items) != 2 {
		t.Errorf("Trim exact = %+v", p)
	}
	if (Page[int]{}).EndCursor() != nil {
		t.Error("empty page has an end cursor")
	}
}

func TestCursorTimeOutOfRange(t *testing.T) {
	for _, c := range []string{Cursor("0000-12-31T23:00:00Z", "x"), Cursor("10000-01-01T00:00:00Z", "x")} {
		var at time.Time
		var id string
		if _, err := (Args{After: &c}).Decode(&at, &id); portal.ErrorCode(err) != portal.EINVALID {
			t.Errorf("cursor with an out-of-range time: %v", err)
		}
	}
}

func TestCursorWithNUL(t *testing.T) {
	c := Cursor("a\x00", "3f2504e0-4f89-11d3-9a0c-0305e82c3301")
	var a, b string
	if _, err := (Args{After: &c}).Decode(&a, &b); portal.ErrorCode(err) != portal.EINVALID {
		t.Errorf("cursor with a NUL: %v", err)
	}
}

// TestCursorAsJSON: the hand-written encoding is encoding/json's, so a
// cursor means the same whichever path wrote it.
func TestCursorAsJSON(t *testing.T) {
	at := time.Date(2026, 11, 29, 16, 5, 3, 120000000, time.UTC)
	for _, c := range []struct {
		name string
		key  []any
	}{
		{"time and id", []any{at, "0b0f3c9e-2f7e-4c55-9a1e-6f1d2a3b4c5d"}},
		{"names", []any{"o'brien", "ann", "id"}},
		{"quote and backslash", []any{`a"b\c`}},
		{"html characters", []any{"<a>&"}},
		{"non-ASCII", []any{"Müller", "\u2028"}},
		{"control character", []any{"a\x01b"}},
		{"number", []any{"10", 42}},
		{"zone", []any{at.In(time.FixedZone("x", 3600))}},
		{"empty", []any{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := json.Marshal(c.key)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := Cursor(c.key...), base64.RawURLEncoding.EncodeToString(b); got != want {
				t.Fatalf("Cursor = %s, want %s (%s)", got, want, b)
			}
		})
	}
}
