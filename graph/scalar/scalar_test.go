package scalar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDecimal(t *testing.T) {
	tests := []struct {
		in   any
		want string
		ok   bool
	}{
		{"12.50", "12.5", true},
		{"0.1", "0.1", true},
		{"-3", "-3", true},
		{json.Number("1.25"), "1.25", true},
		{12.5, "", false}, // a float from JSON is refused
		{"ten", "", false},
		{"1e400000", "", false}, // shopspring refuses huge exponents: no runaway arithmetic later
		{"1.5e3", "1500", true},
		{"1" + string(make([]byte, 40)), "", false},
	}
	for _, tt := range tests {
		d, err := UnmarshalDecimal(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("UnmarshalDecimal(%v) err = %v, want ok %v", tt.in, err, tt.ok)
			continue
		}
		if tt.want != "" && d.String() != tt.want {
			t.Errorf("UnmarshalDecimal(%v) = %s, want %s", tt.in, d, tt.want)
		}
	}
	var b bytes.Buffer
	d, _ := UnmarshalDecimal("199.990")
	MarshalDecimal(d).MarshalGQL(&b)
	if b.String() != `"199.99"` && b.String() != `"199.990"` {
		t.Errorf("MarshalDecimal = %s, want a JSON string", b.String())
	}
}

func TestDates(t *testing.T) {
	for in, ok := range map[string]bool{"2026-12-31": true, "0001-01-01": true, "9999-12-31": true,
		"0000-01-01": false, "2026-02-30": false, "31.12.2026": false} {
		if _, err := UnmarshalDate(in); (err == nil) != ok {
			t.Errorf("UnmarshalDate(%q) err = %v, want ok %v", in, err, ok)
		}
	}
	for in, ok := range map[string]bool{"2026-11-23T10:00:00Z": true, "2026-11-23T10:00:00+02:00": true,
		"0000-01-01T00:00:00Z": false, "2026-11-23 10:00": false} {
		got, err := UnmarshalDateTime(in)
		if (err == nil) != ok {
			t.Errorf("UnmarshalDateTime(%q) err = %v, want ok %v", in, err, ok)
		}
		if err == nil && got.Location() != time.UTC {
			t.Errorf("UnmarshalDateTime(%q) not in UTC", in)
		}
	}
	var b bytes.Buffer
	MarshalDateTime(time.Date(2026, 11, 23, 12, 0, 0, 0, time.FixedZone("X", 3600))).MarshalGQL(&b)
	if b.String() != `"2026-11-23T11:00:00Z"` {
		t.Errorf("MarshalDateTime = %s", b.String())
	}
}

// TestMessagesDoNotEchoLongInput: a refusal names the input, but never more
// than a few dozen characters of it.
func TestMessagesDoNotEchoLongInput(t *testing.T) {
	long := strings.Repeat("7", 100_000)
	for name, parse := range map[string]func(any) error{
		"Decimal":  func(v any) error { _, err := UnmarshalDecimal(v); return err },
		"Date":     func(v any) error { _, err := UnmarshalDate(v); return err },
		"DateTime": func(v any) error { _, err := UnmarshalDateTime(v); return err },
	} {
		for _, in := range []any{long, json.Number(long), "x" + long} {
			err := parse(in)
			if err == nil {
				t.Errorf("%s accepted %d characters", name, len(fmt.Sprint(in)))
				continue
			}
			if len(err.Error()) > 200 {
				t.Errorf("%s: message of %d characters: %.80s…", name, len(err.Error()), err)
			}
		}
	}
}
