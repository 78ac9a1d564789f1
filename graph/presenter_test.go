package graph

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	portal "github.com/openportal/portal"
)

// The presenter takes codes from portal's one table; an error whose code
// is not in it is internal: logged, its message not shown.
func TestErrorPresenterCodes(t *testing.T) {
	var logs bytes.Buffer
	present := errorPresenter(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := portal.WithRequestID(context.Background(), "req-1")
	tests := []struct {
		name     string
		err      error
		wantCode string
		wantMsg  string
		logged   bool
	}{
		{"known code", portal.Errorf(portal.ECONFLICT, "Order is submitted."), "CONFLICT", "Order is submitted.", false},
		{"rate limited", portal.Errorf(portal.ERATELIMITED, "Wait."), "RATE_LIMITED", "Wait.", false},
		{"unknown code", &portal.Error{Code: "bogus", Message: "secret detail"}, "INTERNAL", "Internal error (request req-1).", true},
		{"not a portal error", errors.New("connection reset"), "INTERNAL", "Internal error (request req-1).", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			g := present(ctx, tt.err)
			if g.Extensions["code"] != tt.wantCode || g.Message != tt.wantMsg {
				t.Errorf("presented %q %v; want %q %s", g.Message, g.Extensions["code"], tt.wantMsg, tt.wantCode)
			}
			if got := logs.Len() > 0; got != tt.logged {
				t.Errorf("logged = %v, want %v: %s", got, tt.logged, logs.String())
			}
			if tt.logged && !strings.Contains(logs.String(), "req-1") {
				t.Errorf("log lacks the request id: %s", logs.String())
			}
		})
	}
}

// Domain errors name fields relative to their input; the presenter puts
// them under the argument that carried it, and leaves plain arguments be.
func TestFieldPath(t *testing.T) {
	field := func(object, name string) context.Context {
		def := apiSchema.Types[object].Fields.ForName(name)
		if def == nil {
			t.Fatalf("no field %s.%s in the schema", object, name)
		}
		return graphql.WithFieldContext(context.Background(), &graphql.FieldContext{
			Field: graphql.CollectedField{Field: &ast.Field{Name: name, Definition: def}},
		})
	}
	tests := []struct {
		name  string
		ctx   context.Context
		field string
		want  string
	}{
		{"input field", field("Mutation", "createOrder"), "deliveryAddressId", "input.deliveryAddressId"},
		{"nested input field", field("Mutation", "createOrder"), "deliveryAddress.city", "input.deliveryAddress.city"},
		{"indexed input field", field("Mutation", "savePriceList"), "prices[2]", "input.prices[2]"},
		{"plain argument beside an input", field("Mutation", "addOrderLine"), "orderId", "orderId"},
		{"filter", field("Query", "orders"), "submittedTo", "filter.submittedTo"},
		{"paging argument", field("Query", "orders"), "first", "first"},
		{"no input at all", field("Mutation", "redeemInvitation"), "code", "code"},
		{"outside a resolver", context.Background(), "email", "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fieldPath(tt.ctx, tt.field); got != tt.want {
				t.Errorf("fieldPath(%q) = %q, want %q", tt.field, got, tt.want)
			}
		})
	}
}
