package graph

import (
	"context"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/graph/generated"
)

func (r *mutationResolver) Ping(ctx context.Context) (bool, error) {
	return true, nil
}

func (r *queryResolver) Viewer(ctx context.Context) (*portal.Viewer, error) {
	return portal.ViewerFrom(ctx), nil
}

// Mutation returns generated.MutationResolver implementation.
func (r *Resolver) Mutation() generated.MutationResolver { return &mutationResolver{r} }

// Query returns generated.QueryResolver implementation.
func (r *Resolver) Query() generated.QueryResolver { return &queryResolver{r} }

type mutationResolver struct{ *Resolver }
type queryResolver struct{ *Resolver }
