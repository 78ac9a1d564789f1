package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/openportal/portal/graph/gqlmedia"
)

// maxRequestBody bounds a /graphql request body. Documents are small (the
// parser stops at maxTokens); the room is for variables, and the largest
// legitimate ones are a price list saved whole: a price is about 70 bytes
// of JSON, so 1 MiB holds more than 10,000 of them. gqlgen keeps the body
// in memory, and everything in it is decoded, so an 8 MiB allowance would
// be 8 MiB of work any anonymous caller can ask for.
const maxRequestBody = 1 << 20

// httpTransport serves GraphQL over HTTP: GET (queries only) and POST with
// a JSON body, answering the status codes and media types of the GraphQL
// over HTTP specification. It replaces gqlgen's GET and POST transports,
// which answer 422 to a parse error under application/json, keep a data
// entry on request errors, and echo an undecodable body whole in the error
// message.
type httpTransport struct{}

var _ graphql.Transport = httpTransport{}

// Supports takes every plain HTTP request, so that a wrong method or
// media type gets an answer that says what to send instead.
func (httpTransport) Supports(r *http.Request) bool { return r.Header.Get("Upgrade") == "" }

func (httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	w.Header().Set("Cache-Control", "no-store")
	media, ok := gqlmedia.Negotiate(r.Header.Get("Accept"))
	if !ok {
		w.Header().Set("Content-Type", gqlmedia.ContentType(gqlmedia.JSON))
		refuse(w, http.StatusNotAcceptable, "Accept application/graphql-response+json or application/json: GraphQL answers in one of them.")
		return
	}
	w.Header().Set("Content-Type", gqlmedia.ContentType(media))

	var params *graphql.RawParams
	switch r.Method {
	case http.MethodOptions:
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodGet:
		params = getParams(w, r)
	case http.MethodPost:
		params = postParams(w, r)
	default:
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		refuse(w, http.StatusMethodNotAllowed, "Send GraphQL requests with POST (or GET for queries).")
		return
	}
	if params == nil {
		return // refused, answered
	}
	params.Headers = r.Header
	params.ReadTime.End = graphql.Now()

	ctx := r.Context()
	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		requestError(w, media, exec, graphql.WithOperationContext(ctx, opCtx), errs, http.StatusBadRequest)
		return
	}
	if r.Method == http.MethodGet && opCtx.Operation.Operation != ast.Query {
		// A GET must be safe: links and prefetching must not change data.
		w.Header().Set("Allow", "POST")
		requestError(w, media, exec, graphql.WithOperationContext(ctx, opCtx), gqlerror.List{{
			Message: "Send mutations with POST; GET runs queries only.", Extensions: map[string]any{"code": "BAD_REQUEST"},
		}}, http.StatusMethodNotAllowed)
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	writeResponse(w, http.StatusOK, responses(ctx))
}

// getParams reads a GET request's query string parameters.
func getParams(w http.ResponseWriter, r *http.Request) *graphql.RawParams {
	start := graphql.Now()
	q := r.URL.Query()
	if !q.Has("query") {
		refuse(w, http.StatusBadRequest, "Send the GraphQL document in the query parameter.")
		return nil
	}
	p := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName")}
	p.ReadTime.Start = start
	if v := q.Get("variables"); v != "" {
		if err := decodeObject([]byte(v), &p.Variables); err != nil {
			refuse(w, http.StatusBadRequest, "The variables parameter must be a JSON object.")
			return nil
		}
	}
	if v := q.Get("extensions"); v != "" {
		if err := decodeObject([]byte(v), &p.Extensions); err != nil {
			refuse(w, http.StatusBadRequest, "The extensions parameter must be a JSON object.")
			return nil
		}
	}
	return p
}

// postParams reads a POST request's JSON body, at most maxRequestBody bytes.
func postParams(w http.ResponseWriter, r *http.Request) *graphql.RawParams {
	start := graphql.Now()
	mt, mp, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != gqlmedia.JSON {
		refuse(w, http.StatusUnsupportedMediaType, "Send the request body as application/json.")
		return nil
	}
	if cs, ok := mp["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		refuse(w, http.StatusUnsupportedMediaType, "Send the request body in UTF-8 (charset=utf-8).")
		return nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		refuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body is larger than %d KiB; send long lists in several requests.", maxRequestBody>>10))
		return nil
	case err != nil:
		refuse(w, http.StatusBadRequest, "The request body could not be read.")
		return nil
	case len(bytes.TrimSpace(body)) == 0:
		refuse(w, http.StatusBadRequest, "The request body is empty: send {\"query\": \"...\"}.")
		return nil
	}
	if p, ok := decodeParams(body); ok {
		p.ReadTime.Start = start
		return p
	}
	// Something is wrong with the body: the member by member decoding
	// below says what.
	var raw struct {
		Query, OperationName, Variables, Extensions json.RawMessage
	}
	if err := decodeStrict(body, &raw); err != nil {
		// The body is never echoed: it may be a megabyte long.
		refuse(w, http.StatusBadRequest, "The request body is not a JSON object: send {\"query\": \"...\", \"variables\": {...}}.")
		return nil
	}
	p := &graphql.RawParams{}
	p.ReadTime.Start = start
	if len(raw.Query) == 0 || isNull(raw.Query) || json.Unmarshal(raw.Query, &p.Query) != nil {
		refuse(w, http.StatusBadRequest, "Send the GraphQL document as a string in query.")
		return nil
	}
	if len(raw.OperationName) > 0 && !isNull(raw.OperationName) && json.Unmarshal(raw.OperationName, &p.OperationName) != nil {
		refuse(w, http.StatusBadRequest, "operationName must be a string or null.")
		return nil
	}
	if len(raw.Variables) > 0 && decodeObject(raw.Variables, &p.Variables) != nil {
		refuse(w, http.StatusBadRequest, "variables must be a JSON object or null.")
		return nil
	}
	if len(raw.Extensions) > 0 && decodeObject(raw.Extensions, &p.Extensions) != nil {
		refuse(w, http.StatusBadRequest, "extensions must be a JSON object or null.")
		return nil
	}
	return p
}

// decodeParams decodes a well-formed request body in one pass: an object
// whose query is a string, operationName a string or null, variables and
// extensions objects or null. json.Unmarshal refuses anything but white
// space after the object, as decodeStrict does. A body it cannot decode,
// or that lacks a query, is not ok: postParams' member by member
// decoding names the fault. (A json.Decoder and a second Unmarshal for
// the query cost 4 % of the CPU of a page of orders.)
func decodeParams(body []byte) (*graphql.RawParams, bool) {
	var raw struct {
		Query, OperationName  *string
		Variables, Extensions json.RawMessage
	}
	if json.Unmarshal(body, &raw) != nil || raw.Query == nil {
		return nil, false
	}
	p := &graphql.RawParams{Query: *raw.Query}
	if raw.OperationName != nil {
		p.OperationName = *raw.OperationName
	}
	if len(raw.Variables) > 0 && decodeObject(raw.Variables, &p.Variables) != nil {
		return nil, false
	}
	if len(raw.Extensions) > 0 && decodeObject(raw.Extensions, &p.Extensions) != nil {
		return nil, false
	}
	return p, true
}

func isNull(m json.RawMessage) bool { return string(bytes.TrimSpace(m)) == "null" }

// decodeObject decodes a JSON object or null into *m, numbers kept exact
// as json.Number (a Decimal must not pass through float64).
func decodeObject(b []byte, m *map[string]any) error {
	if isNull(b) {
		return nil
	}
	var v any
	if err := decodeStrict(b, &v); err != nil {
		return err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return errors.New("not an object")
	}
	*m = obj
	return nil
}

// decodeStrict decodes exactly one JSON value, numbers as json.Number.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	// Only white space may follow. (dec.More says false before a stray
	// "}" or "]", which it takes for the end of an enclosing value.)
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

// requestError answers a request that did not run (unparsable, invalid, too
// costly): 200 under application/json as older clients expect, else status;
// in both, errors without a data entry, since nothing was executed.
func requestError(w http.ResponseWriter, media string, exec graphql.GraphExecutor, ctx context.Context, errs gqlerror.List, status int) {
	resp := exec.DispatchError(ctx, errs)
	if media == gqlmedia.JSON && status == http.StatusBadRequest {
		status = http.StatusOK
	}
	writeJSONBody(w, status, struct {
		Errors     gqlerror.List  `json:"errors"`
		Extensions map[string]any `json:"extensions,omitempty"`
	}{resp.Errors, resp.Extensions})
}

// refuse answers a request that is not a well-formed GraphQL-over-HTTP
// request at all; the status says so whatever the media type.
func refuse(w http.ResponseWriter, status int, message string) {
	writeJSONBody(w, status, struct {
		Errors gqlerror.List `json:"errors"`
	}{gqlerror.List{{Message: message, Extensions: map[string]any{"code": "BAD_REQUEST"}}}})
}

func writeResponse(w http.ResponseWriter, status int, resp *graphql.Response) {
	if resp == nil {
		resp = &graphql.Response{}
	}
	if len(resp.Data) > 0 && len(resp.Errors) == 0 && len(resp.Extensions) == 0 && resp.Label == "" &&
		resp.Path == nil && resp.HasNext == nil {
		// Only data, which gqlgen's marshallers wrote as JSON: json.Marshal
		// would copy and re-validate all of it (a page of orders is tens of
		// kilobytes) to add nine bytes around it. With its length known,
		// net/http sends the body as it is rather than in chunks of its
		// 2 KiB buffer. The closing brace goes with the data (the buffer
		// gqlgen wrote it in has room to spare: generated/response.go):
		// written on its own, it cost a third write(2) per response.
		w.Header().Set("Content-Length", strconv.Itoa(len(`{"data":}`)+len(resp.Data)))
		w.WriteHeader(status)
		io.WriteString(w, `{"data":`)
		w.Write(append(resp.Data, '}'))
		return
	}
	writeJSONBody(w, status, resp)
}

func writeJSONBody(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a resolver's value can fail to marshal; the error presenter
		// and the recover func have run by now, so say only that.
		status = http.StatusInternalServerError
		b = []byte(`{"errors":[{"message":"Internal error: the response could not be encoded.","extensions":{"code":"INTERNAL"}}]}`)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
