// Package gqlmedia is GraphQL over HTTP's choice of a response's media
// type, shared by the GraphQL handler (graph) and the answers given to
// /graphql before it runs (server.GraphQLError: an expired session, a
// busy server), so that a client gets the same media type from both.
package gqlmedia

import (
	"mime"
	"strings"
)

// Media types of a GraphQL response. With the legacy application/json
// every well-formed request answers 200; with
// application/graphql-response+json a request error (nothing executed)
// answers 4xx and carries no data entry.
const (
	JSON            = "application/json"
	GraphQLResponse = "application/graphql-response+json"
)

// ContentType is the Content-Type header of a response of media type m:
// GraphQL responses are JSON, always UTF-8, and say so.
func ContentType(m string) string { return m + "; charset=utf-8" }

// Negotiate picks the response media type from an Accept header: the
// first of the two it names; application/json when it names neither in
// particular (no header, */*, application/*), as older clients expect;
// ok is false when it accepts neither.
func Negotiate(accept string) (media string, ok bool) {
	if strings.TrimSpace(accept) == "" {
		return JSON, true
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case GraphQLResponse:
			return GraphQLResponse, true
		case JSON, "*/*", "application/*":
			return JSON, true
		}
	}
	return "", false
}
