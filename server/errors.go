package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"mime"
	"net/http"
	"strings"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/graph/gqlmedia"
)

// WriteError answers a request that failed with err, for every route group
// outside GraphQL (which answers in its own envelope through the same
// table): the status is portal.KindOf(code).HTTPStatus, so an unknown code
// or an error that is not a *portal.Error is a 500 whose message names only
// the request id (log the error itself before calling this). A client that
// asks for JSON gets {"error": {"code", "message", "field", "requestId"}},
// anyone else a small HTML page.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	id := portal.RequestID(r.Context())
	kind, message, field := public(err, id)
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if wantsJSON(r) {
		body := map[string]any{"code": kind.GraphQL, "message": message}
		if field != "" {
			body["field"] = field
		}
		if id != "" {
			body["requestId"] = id
		}
		writeJSON(w, kind.HTTPStatus, map[string]any{"error": body})
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(kind.HTTPStatus)
	fmt.Fprintf(w, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%d %s</title></head>\n<body><h1>%s</h1>\n<p>%s</p></body></html>\n",
		kind.HTTPStatus, html.EscapeString(http.StatusText(kind.HTTPStatus)),
		html.EscapeString(http.StatusText(kind.HTTPStatus)), html.EscapeString(message))
}

// wantsJSON reports whether the client prefers JSON to HTML: it names a
// JSON type in Accept and not text/html, or sent JSON without an Accept.
func wantsJSON(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	if accept == "" {
		t, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		return t == "application/json"
	}
	return !strings.Contains(accept, "text/html") && strings.Contains(accept, "json")
}

// public is what a client is told of err: its kind, message and field,
// or an internal error that names only the request.
func public(err error, requestID string) (kind portal.ErrorKind, message, field string) {
	code, message := portal.EINTERNAL, fmt.Sprintf("Internal error (request %s).", requestID)
	var pe *portal.Error
	if errors.As(err, &pe) {
		if _, known := portal.KindOf(pe.Code); known && pe.Code != portal.EINTERNAL {
			code, message, field = pe.Code, pe.Message, pe.Field
		}
	}
	kind, _ = portal.KindOf(code)
	return kind, message, field
}

// GraphQLError answers a request to /graphql that fails before the
// GraphQL handler runs (an expired session, a busy server) as a GraphQL
// response: errors[0] with the message and extensions.code, which GraphQL
// clients read (the contract's error codes), rather than WriteError's
// {"error": ...} or HTML page. The status is the error's.
func GraphQLError(w http.ResponseWriter, r *http.Request, err error) {
	id := portal.RequestID(r.Context())
	kind, message, field := public(err, id)
	ext := map[string]any{"code": kind.GraphQL}
	if field != "" {
		ext["field"] = field
	}
	if id != "" {
		ext["requestId"] = id
	}
	// The media type the GraphQL handler would answer in; application/json
	// when the client accepts neither (a 406 would hide the error itself).
	media, ok := gqlmedia.Negotiate(r.Header.Get("Accept"))
	if !ok {
		media = gqlmedia.JSON
	}
	h := w.Header()
	h.Set("Content-Type", gqlmedia.ContentType(media))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(kind.HTTPStatus)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": message, "extensions": ext}}})
}
