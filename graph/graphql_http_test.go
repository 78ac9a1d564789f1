package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestGraphQLOverHTTP checks the endpoint against the GraphQL over HTTP
// specification, case by case as the graphql-http audit suite does (its
// ids in the names): media types, methods, parameters, and the status
// codes of request errors under each response media type.
func TestGraphQLOverHTTP(t *testing.T) {
	a := newAPI(t)
	const (
		gqlMedia  = "application/graphql-response+json"
		jsonMedia = "application/json"
	)
	type want struct {
		status int
		media  string // response media type; "" when not checked
		data   bool   // whether the body has a data entry
		errors bool   // whether it has errors
	}
	ok := want{200, jsonMedia, true, false}
	for _, tt := range []struct {
		name   string
		method string
		accept string
		ctype  string
		body   string // POST body, or GET query string
		want   want
	}{
		{"22EB accepts graphql-response+json", "POST", gqlMedia, jsonMedia, `{"query":"{ __typename }"}`, want{200, gqlMedia, true, false}},
		{"4655 accepts application/json", "POST", jsonMedia, jsonMedia, `{"query":"{ __typename }"}`, ok},
		{"47DE */* answers application/json", "POST", "*/*", jsonMedia, `{"query":"{ __typename }"}`, ok},
		{"80D8 no Accept answers application/json", "POST", "", jsonMedia, `{"query":"{ __typename }"}`, ok},
		{"first acceptable type wins", "POST", "text/html, " + gqlMedia + ", " + jsonMedia, jsonMedia, `{"query":"{ __typename }"}`, want{200, gqlMedia, true, false}},
		{"nothing acceptable", "POST", "text/html", jsonMedia, `{"query":"{ __typename }"}`, want{406, jsonMedia, false, true}},
		{"BF61 utf-8 request", "POST", jsonMedia, jsonMedia + "; charset=utf-8", `{"query":"{ __typename }"}`, ok},
		{"other charsets refused", "POST", jsonMedia, jsonMedia + "; charset=utf-16", `{"query":"{ __typename }"}`, want{415, jsonMedia, false, true}},
		{"9ABE no content type", "POST", jsonMedia, "", `{"query":"{ __typename }"}`, want{415, jsonMedia, false, true}},
		{"form bodies refused", "POST", jsonMedia, "application/x-www-form-urlencoded", `query=%7B__typename%7D`, want{415, jsonMedia, false, true}},
		{"A5BF missing body", "POST", jsonMedia, jsonMedia, ``, want{400, jsonMedia, false, true}},
		{"JSON parsing failure", "POST", gqlMedia, jsonMedia, `{"query":`, want{400, gqlMedia, false, true}},
		{"JSON parsing failure (jsonMedia)", "POST", jsonMedia, jsonMedia, `{"query": "{ __typename }"} trailing`, want{400, jsonMedia, false, true}},
		{"stray closing brace after the body", "POST", jsonMedia, jsonMedia, `{"query": "{ __typename }"}}`, want{400, jsonMedia, false, true}},
		{"stray closing bracket after the body", "POST", jsonMedia, jsonMedia, `{"query": "{ __typename }"}]`, want{400, jsonMedia, false, true}},
		{"white space after the body", "POST", jsonMedia, jsonMedia, "{\"query\": \"{ __typename }\"} \r\n\t", ok},
		{"not an object", "POST", gqlMedia, jsonMedia, `["{ __typename }"]`, want{400, gqlMedia, false, true}},
		{"423L missing query", "POST", gqlMedia, jsonMedia, `{}`, want{400, gqlMedia, false, true}},
		{"LKJ0 object query", "POST", gqlMedia, jsonMedia, `{"query":{}}`, want{400, gqlMedia, false, true}},
		{"LKJ1 number query", "POST", gqlMedia, jsonMedia, `{"query":1}`, want{400, gqlMedia, false, true}},
		{"LKJ3 array query", "POST", gqlMedia, jsonMedia, `{"query":[]}`, want{400, gqlMedia, false, true}},
		{"6C01 number operationName", "POST", gqlMedia, jsonMedia, `{"query":"{ __typename }","operationName":1}`, want{400, gqlMedia, false, true}},
		{"0221 null operationName", "POST", jsonMedia, jsonMedia, `{"query":"{ __typename }","operationName":null}`, ok},
		{"4760 string variables", "POST", gqlMedia, jsonMedia, `{"query":"{ __typename }","variables":"{}"}`, want{400, gqlMedia, false, true}},
		{"4763 array variables", "POST", gqlMedia, jsonMedia, `{"query":"{ __typename }","variables":[]}`, want{400, gqlMedia, false, true}},
		{"0220 null variables", "POST", jsonMedia, jsonMedia, `{"query":"{ __typename }","variables":null}`, ok},
		{"28B9 map variables", "POST", jsonMedia, jsonMedia, `{"query":"query($n: Int) { products(first: $n) { totalCount } }","variables":{"n":1}}`, ok},
		{"58B1 number extensions", "POST", gqlMedia, jsonMedia, `{"query":"{ __typename }","extensions":1}`, want{400, gqlMedia, false, true}},
		{"1B7A map extensions", "POST", jsonMedia, jsonMedia, `{"query":"{ __typename }","extensions":{"a":1}}`, ok},
		{"572B parse failure, jsonMedia: 200", "POST", jsonMedia, jsonMedia, `{"query":"{"}`, want{200, jsonMedia, false, true}},
		{"556A/D586 parse failure: 400, no data", "POST", gqlMedia, jsonMedia, `{"query":"{"}`, want{400, gqlMedia, false, true}},
		{"FDE2 validation failure, jsonMedia: 200", "POST", jsonMedia, jsonMedia, `{"query":"{ nope }"}`, want{200, jsonMedia, false, true}},
		{"74FF/5E5B validation failure: 400, no data", "POST", gqlMedia, jsonMedia, `{"query":"{ nope }"}`, want{400, gqlMedia, false, true}},
		{"7B9B coercion failure, jsonMedia: 200", "POST", jsonMedia, jsonMedia, `{"query":"query($n: Int) { products(first: $n) { totalCount } }","variables":{"n":"x"}}`, want{200, jsonMedia, false, true}},
		{"86EE coercion failure: 400", "POST", gqlMedia, jsonMedia, `{"query":"query($n: Int) { products(first: $n) { totalCount } }","variables":{"n":"x"}}`, want{400, gqlMedia, false, true}},
		{"execution error keeps data", "POST", gqlMedia, jsonMedia, `{"query":"{ products(first: 1000) { totalCount } }"}`, want{200, gqlMedia, true, true}},
		{"2C94 GET query", "GET", gqlMedia, "", "query=" + url.QueryEscape("{ __typename }"), want{200, gqlMedia, true, false}},
		{"GET variables", "GET", jsonMedia, "", "query=" + url.QueryEscape("query($n: Int) { products(first: $n) { totalCount } }") + "&variables=" + url.QueryEscape(`{"n":1}`), ok},
		{"GET bad variables", "GET", jsonMedia, "", "query=" + url.QueryEscape("{ __typename }") + "&variables=x", want{400, jsonMedia, false, true}},
		{"GET variables with a stray brace", "GET", jsonMedia, "", "query=" + url.QueryEscape("{ __typename }") + "&variables=" + url.QueryEscape(`{"a":1}}`), want{400, jsonMedia, false, true}},
		{"GET without query", "GET", jsonMedia, "", "", want{400, jsonMedia, false, true}},
		{"9C48 no mutations over GET", "GET", gqlMedia, "", "query=" + url.QueryEscape("mutation { signOut }"), want{405, gqlMedia, false, true}},
		{"other methods", "PUT", jsonMedia, jsonMedia, `{"query":"{ __typename }"}`, want{405, jsonMedia, false, true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			target := a.srv.URL
			var body io.Reader
			if tt.method == "GET" {
				target += "?" + tt.body
			} else {
				body = strings.NewReader(tt.body)
			}
			req, _ := http.NewRequest(tt.method, target, body)
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.want.status {
				t.Errorf("status %d, want %d: %s", res.StatusCode, tt.want.status, b)
			}
			ct := res.Header.Get("Content-Type")
			if tt.want.media != "" && ct != tt.want.media+"; charset=utf-8" {
				t.Errorf("Content-Type %q, want %s; charset=utf-8 (82A3: utf-8 named)", ct, tt.want.media)
			}
			var got map[string]any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("body is not JSON: %s", b)
			}
			if _, has := got["data"]; has != tt.want.data {
				t.Errorf("data entry present = %v, want %v: %s", has, tt.want.data, b)
			}
			if _, has := got["errors"]; has != tt.want.errors {
				t.Errorf("errors present = %v, want %v: %s", has, tt.want.errors, b)
			}
		})
	}
}

// TestLargeBodies: a body over 1 MiB is refused with 413 before it is
// decoded; one under it (a price list of 10,000 prices) is read.
func TestLargeBodies(t *testing.T) {
	a := newAPI(t)
	prices := make([]map[string]any, 10_000)
	for i := range prices {
		prices[i] = map[string]any{"productNumber": "1000-000000", "unit": "pcs", "unitPrice": "1234.56"}
	}
	const save = `mutation($in: PriceListInput!) { savePriceList(input: $in) { code } }`
	in := map[string]any{"code": "BIG", "company": "USMF", "currency": "USD", "prices": prices}
	status, r, _ := post(t, a.srv.URL, body(save, map[string]any{"in": in}))
	if status != 200 || len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
		t.Errorf("10,000 prices: status %d, %+v; want the request read, and refused for the anonymous caller", status, r.Errors)
	}
	big := body(`{ __typename }`, map[string]any{"pad": strings.Repeat("x", 1<<20)})
	status, r, size := post(t, a.srv.URL, big)
	if status != http.StatusRequestEntityTooLarge || len(r.Errors) != 1 || size > 1000 {
		t.Errorf("1 MiB body: status %d, %d bytes, %+v; want 413 and a short message", status, size, r.Errors)
	}
}

// TestMessagesDoNotEchoRequests: the parser and validator quote names and
// values from the request; a megabyte-long one must not come back whole.
func TestMessagesDoNotEchoRequests(t *testing.T) {
	a := newAPI(t)
	long := strings.Repeat("x", 500_000)
	for _, tt := range []struct{ name, query string }{
		{"unknown field", "{ " + long + " }"},
		{"bad argument value", `{ products(first: "` + long + `") { totalCount } }`},
		{"unterminated string", `{ products(search: "` + long + ` }`},
		{"unknown variable type", "query($v: " + long + ") { __typename }"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, r, size := post(t, a.srv.URL, body(tt.query, nil))
			if len(r.Errors) == 0 {
				t.Fatal("accepted")
			}
			if size > 5000 {
				t.Errorf("a %d-byte answer to a %d-byte request: %.200s…", size, len(tt.query), r.Errors[0].Message)
			}
		})
	}
}

// TestResponsesCarryTheirLength: a response is sent with its
// Content-Length, in one piece, not chunked: a page of orders is tens of
// kilobytes, and chunking it cost a write per 2 KiB.
func TestResponsesCarryTheirLength(t *testing.T) {
	a := newAPI(t)
	a.viewer = admin
	for _, tt := range []struct{ name, query string }{
		{"data", `{ __schema { types { name description } } }`},
		{"errors", `{ products(first: -1) { edges { cursor } } }`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := http.Post(a.srv.URL, "application/json", bytes.NewReader(body(tt.query, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.ContentLength != int64(len(b)) || len(res.TransferEncoding) > 0 {
				t.Errorf("Content-Length %d, Transfer-Encoding %v, for a body of %d bytes", res.ContentLength, res.TransferEncoding, len(b))
			}
			if tt.name == "data" && len(b) < 4096 {
				t.Errorf("the data case must outgrow net/http's buffer: only %d bytes", len(b))
			}
		})
	}
}
