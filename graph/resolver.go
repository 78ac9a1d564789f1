// Package graph is Portal's GraphQL API: the schema in graph/schema, the
// code gqlgen generates from it, and thin resolvers that parse arguments,
// call one domain service method and return its result. No SQL lives here.
package graph

import (
	"github.com/openportal/portal/catalog"
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
	Engine      *engine.Engine
}
