package graph

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vikstrous/dataloadgen"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/policies"
)

// loaders batch the lookups that a list's rows each make (a product's
// company, a contact's roles) into one query per kind. They are made per
// request, so their caches never outlive a viewer's permissions, and each
// when first used: a page of orders needs one or two of the nine.
type loaders struct {
	r                *Resolver
	legalEntities    lazy[*catalog.LegalEntity]
	customerAccounts lazy[*catalog.CustomerAccount]
	priceLists       lazy[*catalog.PriceList]
	contacts         lazy[*identity.Contact]
	contactRolesOf   lazy[[]*policies.WebRole]
	webRoles         lazy[*policies.WebRole]
	tablePermissions lazy[*policies.TablePermission]
	orders           orderLoaders           // orders_loaders.go
	accountContacts  *accountContactLoaders // account_contacts.go
}

// lazy is a loader made the first time it is asked for.
type lazy[V any] struct {
	once sync.Once
	l    *dataloadgen.Loader[string, V]
}

// loaderOf returns z's loader, made to fetch with s's method fetch if it is
// not yet. A method expression, not a method value: asking for a loader
// made already allocates nothing.
func loaderOf[S, V any](z *lazy[V], s S, fetch func(S, context.Context, []string) ([]V, error)) *dataloadgen.Loader[string, V] {
	z.once.Do(func() {
		z.l = dataloadgen.NewLoader(batch(func(ctx context.Context, ids []string) ([]V, error) { return fetch(s, ctx, ids) }),
			dataloadgen.WithWait(time.Millisecond))
	})
	return z.l
}

func (l *loaders) legalEntity() *dataloadgen.Loader[string, *catalog.LegalEntity] {
	return loaderOf(&l.legalEntities, l.r.Catalog, (*catalog.Service).LegalEntitiesByID)
}

func (l *loaders) customerAccount() *dataloadgen.Loader[string, *catalog.CustomerAccount] {
	return loaderOf(&l.customerAccounts, l.r.Catalog, (*catalog.Service).CustomerAccountsByID)
}

func (l *loaders) priceList() *dataloadgen.Loader[string, *catalog.PriceList] {
	return loaderOf(&l.priceLists, l.r.Catalog, (*catalog.Service).PriceListsByID)
}

func (l *loaders) contact() *dataloadgen.Loader[string, *identity.Contact] {
	return loaderOf(&l.contacts, l.r.Identity, (*identity.Service).ContactsByID)
}

func (l *loaders) contactRoles() *dataloadgen.Loader[string, []*policies.WebRole] {
	return loaderOf(&l.contactRolesOf, l.r.Roles, (*policies.Roles).OfContacts)
}

func (l *loaders) webRole() *dataloadgen.Loader[string, *policies.WebRole] {
	return loaderOf(&l.webRoles, l.r.Permissions, (*policies.Admin).WebRolesByID)
}

func (l *loaders) tablePermission() *dataloadgen.Loader[string, *policies.TablePermission] {
	return loaderOf(&l.tablePermissions, l.r.Permissions, (*policies.Admin).TablePermissionsByID)
}

type loadersKey struct{}

// batch adapts a service's ByID method, whose one error applies to all keys.
func batch[V any](f func(context.Context, []string) ([]V, error)) func(context.Context, []string) ([]V, []error) {
	return func(ctx context.Context, ids []string) ([]V, []error) {
		v, err := f(ctx, ids)
		if err != nil {
			return nil, []error{err}
		}
		return v, nil
	}
}

func (r *Resolver) newLoaders() *loaders {
	l := &loaders{r: r, accountContacts: &accountContactLoaders{svc: r.Identity}}
	l.orders.r = r
	return l
}

// requestLoaders makes a request's loaders when it first needs them: a
// request that loads nothing (most mutations, { __typename }) does not pay
// for a dozen loaders and their caches.
type requestLoaders struct {
	once sync.Once
	r    *Resolver
	l    *loaders
	// viewer is the one ContextWithLoaders made them for; nil for
	// WithLoaders', which are the /graphql request's alone.
	viewer *portal.Viewer
}

func (rl *requestLoaders) get() *loaders {
	rl.once.Do(func() { rl.l = rl.r.newLoaders() })
	return rl.l
}

// WithLoaders gives each request its own loaders.
func (r *Resolver) WithLoaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := context.WithValue(req.Context(), loadersKey{}, &requestLoaders{r: r})
		next.ServeHTTP(w, req.WithContext(ctx))
	})
}

func (r *Resolver) loadersFor(ctx context.Context) *loaders {
	if rl, ok := ctx.Value(loadersKey{}).(*requestLoaders); ok {
		return rl.get()
	}
	// Outside HTTP (in-process queries): loaders for this call alone.
	return r.newLoaders()
}

// load fetches one row by id through a loader; a nil id or a missing row is
// nil without an error, for nullable fields.
func load[V any](ctx context.Context, l *dataloadgen.Loader[string, *V], id *string) (*V, error) {
	if id == nil {
		return nil, nil
	}
	return l.Load(ctx, *id)
}

// loadAll fetches rows by id through a loader, leaving out missing ones.
func loadAll[V any](ctx context.Context, l *dataloadgen.Loader[string, *V], ids []string) ([]*V, error) {
	vs, err := l.LoadAll(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*V, 0, len(vs))
	for _, v := range vs {
		if v != nil {
			out = append(out, v)
		}
	}
	return out, nil
}

// done turns a mutation that returns only an error into the contract's
// Boolean! answer.
func done(err error) (bool, error) { return err == nil, err }

// must fetches a row that a foreign key guarantees; its absence means the
// viewer may not read it, which is reported as not found. The message names
// neither the row nor its id: the viewer never knew it, and must not learn
// it from an error.
func must[V any](ctx context.Context, l *dataloadgen.Loader[string, *V], id string, what string) (*V, error) {
	v, err := l.Load(ctx, id)
	if err == nil && v == nil {
		return nil, portal.Errorf(portal.ENOTFOUND, "This %s is not readable with your roles.", strings.ToLower(what))
	}
	return v, err
}
