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
		name string
		body string
		ok   bool
		op   string
		vars map[string]any
	}{
		{"query only", `{"query":"{ __typename }"}`, true, "", nil},
		{"all members", `{"query":"query Q($n: Int) { x }","operationName":"Q","variables":{"n":1.50},"extensions":{"a":true}}`, true, "Q", map[string]any{"n": json.Number("1.50")}},
		{"null members", `{"query":"{ x }","operationName":null,"variables":null,"extensions":null}`, true, "", nil},
		{"space around", " \n{\"query\":\"{ x }\"}\n ", true, "", nil},
		{"no query", `{}`, false, "", nil},
		{"null query", `{"query":null}`, false, "", nil},
		{"number query", `{"query":1}`, false, "", nil},
		{"number operationName", `{"query":"{ x }","operationName":1}`, false, "", nil},
		{"string variables", `{"query":"{ x }","variables":"{}"}`, false, "", nil},
		{"array variables", `{"query":"{ x }","variables":[]}`, false, "", nil},
		{"number extensions", `{"query":"{ x }","extensions":1}`, false, "", nil},
		{"data after the object", `{"query":"{ x }"} {}`, false, "", nil},
		{"not an object", `["{ x }"]`, false, "", nil},
		{"truncated", `{"query":`, false, "", nil},
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
			if p.OperationName != tt.op || p.Query == "" {
				t.Errorf("query %q operationName %q, want %q", p.Query, p.OperationName, tt.op)
			}
			if tt.vars != nil && !reflect.DeepEqual(p.Variables, tt.vars) {
				t.Errorf("variables %#v, want %#v (numbers exact)", p.Variables, tt.vars)
			}
		})
	}
}
