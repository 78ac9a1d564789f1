package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/graph/generated"
)

// HandlerOption configures NewHandler.
type HandlerOption func(*handlerConfig)

type handlerConfig struct {
	allowIntrospection bool
}

// AllowIntrospection opens the schema (__schema, __type) to every caller,
// anonymous ones included. Without it only administrators may introspect
// (GraphiQL's documentation needs it): the schema names every mutation, and
// its introspection query is among the costliest a visitor can send.
func AllowIntrospection(allow bool) HandlerOption {
	return func(c *handlerConfig) { c.allowIntrospection = allow }
}

// NewHandler returns the /graphql endpoint: POST and GET (GET cannot run
// mutations) as GraphQL over HTTP defines them, with Portal's error
// presenter and the limits of limits.go.
func NewHandler(r *Resolver, logger *slog.Logger, opts ...HandlerOption) http.Handler {
	var cfg handlerConfig
	for _, o := range opts {
		o(&cfg)
	}
	es := costedSchema{generated.NewExecutableSchema(generated.Config{Resolvers: newRoot(r)})}
	srv := handler.New(es)
	srv.AddTransport(httpTransport{})
	configure(srv, logger, cfg.allowIntrospection)
	for _, e := range r.Extensions {
		if _, ok := e.(graphql.FieldInterceptor); ok {
			// graph/internal/plainfields marshals plain fields without
			// gqlgen's field middleware: an extension that must see every
			// field would silently miss most of them.
			panic(fmt.Sprintf("graph: extension %s intercepts fields, which plain fields skip (see graph/internal/plainfields)", e.ExtensionName()))
		}
		srv.Use(e)
	}
	return r.WithLoaders(srv)
}

// server is what gqlgen's HTTP handler and its in-process executor have in
// common to be configured with.
type server interface {
	SetQueryCache(graphql.Cache[*ast.QueryDocument])
	SetParserTokenLimit(int)
	Use(graphql.HandlerExtension)
	AroundOperations(graphql.OperationMiddleware)
	SetErrorPresenter(graphql.ErrorPresenterFunc)
	SetRecoverFunc(graphql.RecoverFunc)
}

// configure gives srv the limits of limits.go, Portal's error presenter and
// the logging of panics: /graphql and the page engine's Executor run under
// the same ones.
func configure(srv server, logger *slog.Logger, allowIntrospection bool) {
	cache := newBoundedCache()
	srv.SetQueryCache(cache)
	srv.SetParserTokenLimit(maxTokens)
	srv.Use(shapeCheck{cache: cache})
	srv.Use(introspectionGate{allowAll: allowIntrospection})
	srv.Use(&complexityLimit{limit: costLimit})
	srv.AroundOperations(refuseBadText)
	srv.SetErrorPresenter(errorPresenter(logger))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(p), "request", portal.RequestID(ctx))
		return fmt.Errorf("panic: %v", p)
	})
}

// errorPresenter puts Portal's code into extensions.code and the field at
// fault into extensions.field. Errors Portal did not name are internal: they
// are logged in full and shown only as "Internal error (request …)".
func errorPresenter(logger *slog.Logger) graphql.ErrorPresenterFunc {
	present := presentError(logger)
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := present(ctx, err)
		// The parser and validator quote names and values from the
		// request, which may be a megabyte long: a message never echoes
		// more than a few hundred bytes of it.
		gerr.Message = shorten(gerr.Message, maxMessage)
		return gerr
	}
}

// maxMessage bounds an error message, in bytes.
const maxMessage = 500

// shorten cuts s to at most n bytes (on a rune boundary), marking the cut.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func presentError(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		var pe *portal.Error
		if errors.As(err, &pe) {
			gerr.Message = pe.Message
			if gerr.Extensions == nil {
				gerr.Extensions = map[string]any{}
			}
			kind, known := portal.KindOf(pe.Code)
			if !known {
				// A code missing from the table is our bug: present it
				// as any unnamed error, logged and not shown.
				return internalError(ctx, logger, err, gerr)
			}
			gerr.Extensions["code"] = kind.GraphQL
			if pe.Field != "" {
				gerr.Extensions["field"] = fieldPath(ctx, pe.Field)
			}
			for k, v := range pe.Details {
				gerr.Extensions[k] = v
			}
			return gerr
		}
		if _, ok := gerr.Extensions["code"]; ok {
			// gqlgen's own: GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED...
			return gerr
		}
		var inner *gqlerror.Error
		if errors.As(err, &inner) && inner.Err == nil {
			// A gqlgen error about the request itself (e.g. a bad argument
			// value), not a failure of ours.
			gerr.Extensions = map[string]any{"code": "BAD_USER_INPUT"}
			return gerr
		}
		if errors.Is(err, context.Canceled) && errors.Is(ctx.Err(), context.Canceled) {
			// The field stopped because its request was canceled: the
			// client closed the connection (net/http cancels the
			// request's context then) or gave up. That is not a failure of
			// Portal's, and nobody reads the answer: INFO, where an ERROR
			// for every browser closing a tab mid-page would drown the
			// ones that matter.
			return hideError(ctx, logger, slog.LevelInfo, "request canceled", "The request was canceled before it finished", err, gerr)
		}
		return internalError(ctx, logger, err, gerr)
	}
}

// internalError logs err in full and shows only the request id.
func internalError(ctx context.Context, logger *slog.Logger, err error, gerr *gqlerror.Error) *gqlerror.Error {
	return hideError(ctx, logger, slog.LevelError, "internal error", "Internal error", err, gerr)
}

// hideError logs err in full at level as event, and presents it as code
// INTERNAL with only shown and the request id, which finds the log line.
func hideError(ctx context.Context, logger *slog.Logger, level slog.Level, event, shown string, err error, gerr *gqlerror.Error) *gqlerror.Error {
	id := portal.RequestID(ctx)
	logger.Log(ctx, level, event, "err", err, "request", id, "path", gerr.Path.String())
	kind, _ := portal.KindOf(portal.EINTERNAL)
	gerr.Message = fmt.Sprintf("%s (request %s).", shown, id)
	gerr.Extensions = map[string]any{"code": kind.GraphQL, "requestId": id}
	return gerr
}

// apiSchema is the API's schema, for fieldPath to tell input objects apart.
var apiSchema = generated.NewExecutableSchema(generated.Config{}).Schema()

// fieldPath spells a domain error's field as the API does. Domain packages
// name fields relative to the input they were given ("deliveryAddressId",
// "prices[2].unit") so the site can use them as its form's field names;
// here the field belongs to the argument that carried that input: the
// resolved field's input-object argument whose type has a field of that
// name ("input.deliveryAddressId", "filter.submittedTo"). A field that
// names a plain argument ("orderId", "first") stays as it is.
func fieldPath(ctx context.Context, field string) string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil {
		return field
	}
	head := field
	if i := strings.IndexAny(head, ".["); i >= 0 {
		head = head[:i]
	}
	for _, arg := range fc.Field.Definition.Arguments {
		if t := apiSchema.Types[arg.Type.Name()]; t != nil && t.Kind == ast.InputObject && t.Fields.ForName(head) != nil {
			return arg.Name + "." + field
		}
	}
	return field
}

// refuseBadText refuses, before anything runs, a request whose text cannot
// be stored: a NUL character or invalid UTF-8 in a variable or in the query
// (as an escape in a string literal). PostgreSQL would reject it deep
// inside a resolver, as an internal error.
func refuseBadText(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if !validText(oc.Variables) || !portal.ValidText(oc.RawQuery) || !validLiterals(oc.Doc) {
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
			Message:    "The request contains a NUL character or invalid UTF-8; remove it and try again.",
			Extensions: map[string]any{"code": "BAD_USER_INPUT"},
		}}})
	}
	return next(ctx)
}

// validLiterals checks every string literal of the query as parsed, so
// every escape form (\u0000, \u{0}) is caught.
func validLiterals(doc *ast.QueryDocument) bool {
	if doc == nil {
		return true
	}
	ok := true
	var value func(v *ast.Value)
	value = func(v *ast.Value) {
		if v == nil || !ok {
			return
		}
		if (v.Kind == ast.StringValue || v.Kind == ast.BlockValue) && !portal.ValidText(v.Raw) {
			ok = false
		}
		for _, c := range v.Children {
			value(c.Value)
		}
	}
	var selections func(set ast.SelectionSet)
	selections = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				for _, a := range s.Arguments {
					value(a.Value)
				}
				selections(s.SelectionSet)
			case *ast.InlineFragment:
				selections(s.SelectionSet)
			}
		}
	}
	for _, op := range doc.Operations {
		for _, d := range op.VariableDefinitions {
			value(d.DefaultValue)
		}
		selections(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		selections(f.SelectionSet)
	}
	return ok
}

func validText(v any) bool {
	switch v := v.(type) {
	case string:
		return portal.ValidText(v)
	case map[string]any:
		for k, e := range v {
			if !portal.ValidText(k) || !validText(e) {
				return false
			}
		}
	case []any:
		for _, e := range v {
			if !validText(e) {
				return false
			}
		}
	}
	return true
}

// complexityLimit is gqlgen's extension.ComplexityLimit, which computes an
// operation's complexity by walking its selections on every request (its
// arguments as maps, 20 allocations for a page of orders, 1.5 % of its
// CPU), remembering the complexity of an operation without variables: it
// depends on the document alone, and gqlgen's query cache hands the same
// document for the same text. An operation with variables is computed every
// time, as gqlgen does. The stats and the error are gqlgen's.
type complexityLimit struct {
	limit func(ctx context.Context, opCtx *graphql.OperationContext) int
	es    graphql.ExecutableSchema

	mu    sync.Mutex
	known map[*ast.OperationDefinition]int
}

// maxKnownComplexities bounds the operations remembered (those of the
// query cache, which holds as many documents, are the ones that return):
// past it, the table starts again.
const maxKnownComplexities = queryCacheSize

func (c *complexityLimit) ExtensionName() string { return "ComplexityLimit" }

func (c *complexityLimit) Validate(schema graphql.ExecutableSchema) error {
	c.es = schema
	return nil
}

func (c *complexityLimit) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	op := opCtx.Doc.Operations.ForName(opCtx.OperationName)
	cost, ok := c.remembered(op)
	if !ok {
		cost = complexity.Calculate(ctx, c.es, op, opCtx.Variables)
		c.remember(op, cost)
	}
	limit := c.limit(ctx, opCtx)
	opCtx.Stats.SetExtension("ComplexityLimit", &extension.ComplexityStats{Complexity: cost, ComplexityLimit: limit})
	if cost > limit {
		err := gqlerror.Errorf("operation has complexity %d, which exceeds the limit of %d", cost, limit)
		errcode.Set(err, "COMPLEXITY_LIMIT_EXCEEDED")
		return err
	}
	return nil
}

func (c *complexityLimit) remembered(op *ast.OperationDefinition) (int, bool) {
	if op == nil || len(op.VariableDefinitions) > 0 {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cost, ok := c.known[op]
	return cost, ok
}

func (c *complexityLimit) remember(op *ast.OperationDefinition, cost int) {
	if op == nil || len(op.VariableDefinitions) > 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known == nil || len(c.known) >= maxKnownComplexities {
		c.known = map[*ast.OperationDefinition]int{}
	}
	c.known[op] = cost
}
