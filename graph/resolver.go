// Package graph is Portal's GraphQL API: the schema in graph/schema, the
// code gqlgen generates from it, and thin resolvers that parse arguments,
// call one domain service method and return its result. No SQL lives here.
package graph

import (
	"github.com/99designs/gqlgen/graphql"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/dualwrite"
	"github.com/openportal/portal/engine"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/orders"
	"github.com/openportal/portal/policies"
)

// Resolver holds the domain services the resolvers call.
type Resolver struct {
	Catalog     *catalog.Service
	Identity    *identity.Service
	Roles       *policies.Roles
	Permissions *policies.Admin
	Orders      *orders.Service
	// Sync is the ERP sync's operations view (package dualwrite).
	Sync *dualwrite.Ops
	// Extensions are added to the GraphQL handler (metrics).
	Extensions []graphql.HandlerExtension
	// Engine is the page engine (templates, pages, snippets, settings).
	Engine *engine.Engine
}

// errNoSync answers the ERP sync's fields when the server was built
// without it.
var errNoSync = portal.Errorf(portal.EINTERNAL, "The ERP sync is not set up on this server.")
