package portal

import (
	"net/http"
	"testing"
)

// Every code has its own GraphQL code and HTTP status; a code missing from
// the table is presented as internal, never as the caller's fault.
func TestKindOf(t *testing.T) {
	tests := []struct {
		code    string
		graphQL string
		status  int
		known   bool
	}{
		{EINVALID, "BAD_USER_INPUT", http.StatusBadRequest, true},
		{ENOTFOUND, "NOT_FOUND", http.StatusNotFound, true},
		{ECONFLICT, "CONFLICT", http.StatusConflict, true},
		{EUNAUTHENTICATED, "UNAUTHENTICATED", http.StatusUnauthorized, true},
		{EFORBIDDEN, "FORBIDDEN", http.StatusForbidden, true},
		{ERATELIMITED, "RATE_LIMITED", http.StatusTooManyRequests, true},
		{EINTERNAL, "INTERNAL", http.StatusInternalServerError, true},
		{"no_such_code", "INTERNAL", http.StatusInternalServerError, false},
		{"", "INTERNAL", http.StatusInternalServerError, false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			k, known := KindOf(tt.code)
			if k.GraphQL != tt.graphQL || k.HTTPStatus != tt.status || known != tt.known {
				t.Errorf("KindOf(%q) = %+v, %v; want {%s %d}, %v", tt.code, k, known, tt.graphQL, tt.status, tt.known)
			}
		})
	}
	if len(errorKinds) != 7 {
		t.Errorf("the table has %d codes; add the new one to this test", len(errorKinds))
	}
}
