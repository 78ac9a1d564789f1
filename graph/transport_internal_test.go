package graph

import (
	"encoding/json"
	"reflect"
	"testing"
)

// decodeParams takes a well-formed body in one pass and leaves every other
// to postParams' member by member decoding, which names the fault.
func TestDecodeParams(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		ok    bool
		query string
		op    string
		vars  map[string]any
	}{
		{"query only", `{"query":"{ __typename }"}`, true, "{ __typename }", "", nil},
		{"all members", `{"query":"query Q($n: Int) { x }","operationName":"Q","variables":{"n":1.50},"extensions":{"a":true}}`, true,
			"query Q($n: Int) { x }", "Q", map[string]any{"n": json.Number("1.50")}},
		{"null members", `{"query":"{ x }","operationName":null,"variables":null,"extensions":null}`, true, "{ x }", "", nil},
		{"escapes", `{"query":"{\n  x(s: \"\u00e9\")\n}"}`, true, "{\n  x(s: \"é\")\n}", "", nil},
		{"space around", " \n{\"query\":\"{ x }\"}\n ", true, "{ x }", "", nil},
		// The last of a repeated member wins, as in the slower decoding.
		{"repeated query", `{"query":null,"query":"{ y }"}`, true, "{ y }", "", nil},
		// Invalid UTF-8 reads as U+FFFD (refuseBadText refuses it later).
		{"invalid UTF-8", "{\"query\":\"{ x\xff }\"}", true, "{ x\ufffd }", "", nil},
		// Not ok: postParams' member by member decoding names the fault.
		{"repeated query, first a number", `{"query":1,"query":"{ y }"}`, false, "", "", nil},
		{"no query", `{}`, false, "", "", nil},
		{"null query", `{"query":null}`, false, "", "", nil},
		{"number query", `{"query":1}`, false, "", "", nil},
		{"number operationName", `{"query":"{ x }","operationName":1}`, false, "", "", nil},
		{"string variables", `{"query":"{ x }","variables":"{}"}`, false, "", "", nil},
		{"array variables", `{"query":"{ x }","variables":[]}`, false, "", "", nil},
		{"number extensions", `{"query":"{ x }","extensions":1}`, false, "", "", nil},
		{"data after the object", `{"query":"{ x }"} {}`, false, "", "", nil},
		{"stray closing brace", `{"query":"{ x }"}}`, false, "", "", nil},
		{"not an object", `["{ x }"]`, false, "", "", nil},
		{"null body", `null`, false, "", "", nil},
		{"truncated", `{"query":`, false, "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := decodeParams([]byte(tt.body))
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if p.Query != tt.query || p.OperationName != tt.op {
				t.Errorf("query %q operationName %q, want %q %q", p.Query, p.OperationName, tt.query, tt.op)
			}
			if tt.vars != nil && !reflect.DeepEqual(p.Variables, tt.vars) {
				t.Errorf("variables %#v, want %#v (numbers exact)", p.Variables, tt.vars)
			}
		})
	}
}

// decodeStrict takes one JSON value and white space after it, nothing else.
func TestDecodeStrict(t *testing.T) {
	tests := []struct {
		name string
		body string
		ok   bool
	}{
		{"object", `{"a":1}`, true},
		{"white space after", "{\"a\":1} \r\n\t", true},
		{"stray closing brace", `{"a":1}}`, false},
		{"stray closing bracket", `{"a":1}]`, false},
		{"stray comma", `{"a":1},`, false},
		{"second value", `{"a":1}{}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v any
			if err := decodeStrict([]byte(tt.body), &v); (err == nil) != tt.ok {
				t.Errorf("decodeStrict(%q) = %v, want ok %v", tt.body, err, tt.ok)
			}
		})
	}
}
