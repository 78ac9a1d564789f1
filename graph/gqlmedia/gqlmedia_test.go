package gqlmedia

import "testing"

func TestNegotiate(t *testing.T) {
	tests := []struct {
		name, accept, want string
		ok                 bool
	}{
		{"no header", "", JSON, true},
		{"json", "application/json", JSON, true},
		{"graphql-response+json", "application/graphql-response+json", GraphQLResponse, true},
		{"the first of the two wins", "application/json, application/graphql-response+json", JSON, true},
		{"the first of the two wins, other order", "application/graphql-response+json, application/json;q=0.9", GraphQLResponse, true},
		{"others skipped", "text/html, application/graphql-response+json", GraphQLResponse, true},
		{"any type", "*/*", JSON, true},
		{"any application type", "application/*", JSON, true},
		{"malformed parts skipped", ";;, application/json", JSON, true},
		{"neither", "text/html", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Negotiate(tt.accept)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Negotiate(%q) = %q, %v; want %q, %v", tt.accept, got, ok, tt.want, tt.ok)
			}
		})
	}
}
