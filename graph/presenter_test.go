package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
	// A request whose client went away: net/http cancels its context.
	gone, cancel := context.WithCancel(ctx)
	cancel()
	const internal = "Internal error (request req-1)."
	tests := []struct {
		name     string
		ctx      context.Context
		err      error
		wantCode string
		wantMsg  string
		logged   string // the level logged at, if any
	}{
		{"known code", ctx, portal.Errorf(portal.ECONFLICT, "Order is submitted."), "CONFLICT", "Order is submitted.", ""},
		{"rate limited", ctx, portal.Errorf(portal.ERATELIMITED, "Wait."), "RATE_LIMITED", "Wait.", ""},
		{"unknown code", ctx, &portal.Error{Code: "bogus", Message: "secret detail"}, "INTERNAL", internal, "ERROR"},
		{"not a portal error", ctx, errors.New("connection reset"), "INTERNAL", internal, "ERROR"},
		{"canceled by the client", gone, fmt.Errorf("orders: %w", context.Canceled), "INTERNAL",
			"The request was canceled before it finished (request req-1).", "INFO"},
		// Canceled inside Portal while the request goes on: a failure.
		{"canceled, request still on", ctx, fmt.Errorf("orders: %w", context.Canceled), "INTERNAL", internal, "ERROR"},
		{"timed out", gone, fmt.Errorf("orders: %w", context.DeadlineExceeded), "INTERNAL", internal, "ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			g := present(tt.ctx, tt.err)
			if g.Extensions["code"] != tt.wantCode || g.Message != tt.wantMsg {
				t.Errorf("presented %q %v; want %q %s", g.Message, g.Extensions["code"], tt.wantMsg, tt.wantCode)
			}
			level := ""
			if _, after, ok := strings.Cut(logs.String(), "level="); ok {
				level, _, _ = strings.Cut(after, " ")
			}
			if level != tt.logged {
				t.Errorf("logged at %q, want %q: %s", level, tt.logged, logs.String())
			}
			if tt.logged != "" && !strings.Contains(logs.String(), "req-1") {
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
