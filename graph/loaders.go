package graph

import (
	"context"
	"net/http"
	"time"

	"github.com/vikstrous/dataloadgen"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/policies"
)

// loaders batch the lookups that a list's rows each make (a product's
// company, a contact's roles) into one query per kind. They are made per
// request, so their caches never outlive a viewer's permissions.
type loaders struct {
	legalEntity     *dataloadgen.Loader[string, *catalog.LegalEntity]
	customerAccount *dataloadgen.Loader[string, *catalog.CustomerAccount]
	priceList       *dataloadgen.Loader[string, *catalog.PriceList]
	contact         *dataloadgen.Loader[string, *identity.Contact]
	contactRoles    *dataloadgen.Loader[string, []*policies.WebRole]
	webRole         *dataloadgen.Loader[string, *policies.WebRole]
	tablePermission *dataloadgen.Loader[string, *policies.TablePermission]
	orders          *orderLoaders          // orders_loaders.go
	accountContacts *accountContactLoaders // account_contacts.go
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
	wait := dataloadgen.WithWait(time.Millisecond)
	return &loaders{
		legalEntity:     dataloadgen.NewLoader(batch(r.Catalog.LegalEntitiesByID), wait),
		customerAccount: dataloadgen.NewLoader(batch(r.Catalog.CustomerAccountsByID), wait),
		priceList:       dataloadgen.NewLoader(batch(r.Catalog.PriceListsByID), wait),
		contact:         dataloadgen.NewLoader(batch(r.Identity.ContactsByID), wait),
		contactRoles:    dataloadgen.NewLoader(batch(r.Roles.OfContacts), wait),
		webRole:         dataloadgen.NewLoader(batch(r.Permissions.WebRolesByID), wait),
		tablePermission: dataloadgen.NewLoader(batch(r.Permissions.TablePermissionsByID), wait),
		orders:          r.newOrderLoaders(),
		accountContacts: &accountContactLoaders{svc: r.Identity},
	}
}

// WithLoaders gives each request its own loaders.
func (r *Resolver) WithLoaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := context.WithValue(req.Context(), loadersKey{}, r.newLoaders())
		next.ServeHTTP(w, req.WithContext(ctx))
	})
}

func (r *Resolver) loadersFor(ctx context.Context) *loaders {
	if l, ok := ctx.Value(loadersKey{}).(*loaders); ok {
		return l
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
// viewer may not read it, which is reported as not found.
func must[V any](ctx context.Context, l *dataloadgen.Loader[string, *V], id string, what string) (*V, error) {
	v, err := l.Load(ctx, id)
	if err == nil && v == nil {
		return nil, portal.Errorf(portal.ENOTFOUND, "%s %s does not exist.", what, id)
	}
	return v, err
}
