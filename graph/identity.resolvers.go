package graph

import (
	"context"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/graph/generated"
	"github.com/openportal/portal/graph/model"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/policies"
)

func (r *contactResolver) Company(ctx context.Context, obj *identity.Contact) (*catalog.LegalEntity, error) {
	return load(ctx, r.loadersFor(ctx).legalEntity, obj.LegalEntityID)
}

func (r *contactResolver) CustomerAccount(ctx context.Context, obj *identity.Contact) (*catalog.CustomerAccount, error) {
	return load(ctx, r.loadersFor(ctx).customerAccount, obj.CustomerAccountID)
}

func (r *contactResolver) PriceList(ctx context.Context, obj *identity.Contact) (*catalog.PriceList, error) {
	return load(ctx, r.loadersFor(ctx).priceList, obj.PriceListID)
}

func (r *contactResolver) Roles(ctx context.Context, obj *identity.Contact) ([]*policies.WebRole, error) {
	return r.loadersFor(ctx).contactRoles.Load(ctx, obj.ID)
}

func (r *contactResolver) SyncState(ctx context.Context, obj *identity.Contact) (model.SyncState, error) {
	return model.SyncState(obj.SyncState), nil
}

func (r *viewerResolver) Contact(ctx context.Context, obj *portal.Viewer) (*identity.Contact, error) {
	if obj.Anonymous() {
		return nil, nil
	}
	return load(ctx, r.loadersFor(ctx).contact, &obj.ContactID)
}

func (r *viewerResolver) Roles(ctx context.Context, obj *portal.Viewer) ([]*policies.WebRole, error) {
	if obj.Anonymous() {
		return r.Resolver.Roles.ByKey(ctx, portal.RoleAnonymousUsers)
	}
	roles, err := r.loadersFor(ctx).contactRoles.Load(ctx, obj.ContactID)
	if err != nil {
		return nil, err
	}
	auth, err := r.Resolver.Roles.ByKey(ctx, portal.RoleAuthenticatedUsers)
	return append(roles, auth...), err
}

func (r *viewerResolver) IsAdministrator(ctx context.Context, obj *portal.Viewer) (bool, error) {
	return obj.HasRole(portal.RoleAdministrators), nil
}

// Contact returns generated.ContactResolver implementation.
func (r *Resolver) Contact() generated.ContactResolver { return &contactResolver{r} }

// Viewer returns generated.ViewerResolver implementation.
func (r *Resolver) Viewer() generated.ViewerResolver { return &viewerResolver{r} }

type contactResolver struct{ *Resolver }
type viewerResolver struct{ *Resolver }
