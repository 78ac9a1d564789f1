package graph

import (
	"context"

	"github.com/shopspring/decimal"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/graph/generated"
	"github.com/openportal/portal/graph/model"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/paging"
)

func (r *customerAccountResolver) Company(ctx context.Context, obj *catalog.CustomerAccount) (*catalog.LegalEntity, error) {
	return must(ctx, r.loadersFor(ctx).legalEntity, obj.LegalEntityID, "Company")
}

func (r *customerAccountResolver) InvoiceAccount(ctx context.Context, obj *catalog.CustomerAccount) (*catalog.CustomerAccount, error) {
	return must(ctx, r.loadersFor(ctx).customerAccount, obj.InvoiceAccountID, "Customer account")
}

func (r *customerAccountResolver) PriceList(ctx context.Context, obj *catalog.CustomerAccount) (*catalog.PriceList, error) {
	return load(ctx, r.loadersFor(ctx).priceList, obj.PriceListID)
}

func (r *customerAccountResolver) DeliveryAddresses(ctx context.Context, obj *catalog.CustomerAccount) ([]*catalog.Address, error) {
	return r.Catalog.DeliveryAddresses(ctx, obj.ID)
}

func (r *customerAccountResolver) Contacts(ctx context.Context, obj *catalog.CustomerAccount, first *int, after *string) (*model.ContactConnection, error) {
	page, err := r.Identity.Contacts(ctx, identity.ContactFilter{AccountID: &obj.ID, Args: paging.Args{First: first, After: after}})
	if err != nil {
		return nil, err
	}
	return contactConnection(page), nil
}

func (r *mutationResolver) SaveLegalEntity(ctx context.Context, input catalog.LegalEntityInput) (*catalog.LegalEntity, error) {
	return r.Catalog.SaveLegalEntity(ctx, input)
}

func (r *mutationResolver) SaveCustomerAccount(ctx context.Context, input catalog.CustomerAccountInput) (*catalog.CustomerAccount, error) {
	return r.Catalog.SaveCustomerAccount(ctx, input)
}

func (r *mutationResolver) SaveProduct(ctx context.Context, input catalog.ProductInput) (*catalog.Product, error) {
	return r.Catalog.SaveProduct(ctx, input)
}

func (r *mutationResolver) SavePriceList(ctx context.Context, input catalog.PriceListInput) (*catalog.PriceList, error) {
	return r.Catalog.SavePriceList(ctx, input)
}

func (r *mutationResolver) SaveUnit(ctx context.Context, input catalog.UnitInput) (*catalog.Unit, error) {
	return r.Catalog.SaveUnit(ctx, input)
}

func (r *productResolver) Company(ctx context.Context, obj *catalog.Product) (*catalog.LegalEntity, error) {
	return must(ctx, r.loadersFor(ctx).legalEntity, obj.LegalEntityID, "Company")
}

func (r *productResolver) Price(ctx context.Context, obj *catalog.Product, unit *string) (*decimal.Decimal, error) {
	v := portal.ViewerFrom(ctx)
	if v.PriceListID == "" {
		return nil, nil
	}
	u := ""
	if unit != nil {
		u = *unit
	}
	return r.Catalog.UnitPrice(ctx, v.PriceListID, obj.ID, u)
}

func (r *queryResolver) Products(ctx context.Context, search *string, first *int, after *string) (*model.ProductConnection, error) {
	page, err := r.Catalog.Products(ctx, catalog.ProductFilter{Search: search, Args: paging.Args{First: first, After: after}})
	if err != nil {
		return nil, err
	}
	c := &model.ProductConnection{TotalCount: page.TotalCount, PageInfo: pageInfo(page)}
	for i, p := range page.Items {
		c.Edges = append(c.Edges, &model.ProductEdge{Cursor: page.Cursors[i], Node: p})
	}
	if c.Edges == nil {
		c.Edges = []*model.ProductEdge{}
	}
	return c, nil
}

func (r *queryResolver) CustomerAccount(ctx context.Context, id string) (*catalog.CustomerAccount, error) {
	return nullIfNotFound(r.Catalog.CustomerAccount(ctx, id))
}

func (r *queryResolver) LegalEntities(ctx context.Context) ([]*catalog.LegalEntity, error) {
	return r.Catalog.LegalEntities(ctx)
}

func (r *queryResolver) Units(ctx context.Context) ([]*catalog.Unit, error) {
	return r.Catalog.Units(ctx)
}

// CustomerAccount returns generated.CustomerAccountResolver implementation.
func (r *Resolver) CustomerAccount() generated.CustomerAccountResolver {
	return &customerAccountResolver{r}
}

// Product returns generated.ProductResolver implementation.
func (r *Resolver) Product() generated.ProductResolver { return &productResolver{r} }

type customerAccountResolver struct{ *Resolver }
type productResolver struct{ *Resolver }
