package graph

import (
	"context"
	"sync"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/openportal/portal/graph/model"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/paging"
)

// accountContactLoaders batch CustomerAccount.contacts: a list of accounts,
// or of contacts each asking for its account's contacts, costs two queries
// per page size instead of two per account. One loader per page size,
// since a batch shares its limit.
type accountContactLoaders struct {
	svc *identity.Service
	mu  sync.Mutex
	by  map[int]*dataloadgen.Loader[string, paging.Page[*identity.Contact]]
}

func (l *accountContactLoaders) forLimit(limit int) *dataloadgen.Loader[string, paging.Page[*identity.Contact]] {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ld, ok := l.by[limit]; ok {
		return ld
	}
	ld := dataloadgen.NewLoader(batch(func(ctx context.Context, ids []string) ([]paging.Page[*identity.Contact], error) {
		return l.svc.AccountContacts(ctx, ids, limit)
	}), dataloadgen.WithWait(time.Millisecond))
	if l.by == nil {
		l.by = map[int]*dataloadgen.Loader[string, paging.Page[*identity.Contact]]{}
	}
	l.by[limit] = ld
	return ld
}

// accountContacts is CustomerAccount.contacts: the first page through the
// loader, later pages (with a cursor) one account at a time.
func (r *Resolver) accountContacts(ctx context.Context, accountID string, first *int, after *string) (*model.ContactConnection, error) {
	args := paging.Args{First: first, After: after}
	if after != nil {
		page, err := r.Identity.Contacts(ctx, identity.ContactFilter{AccountID: &accountID, Args: args})
		if err != nil {
			return nil, err
		}
		return contactConnection(page), nil
	}
	limit, err := args.Limit()
	if err != nil {
		return nil, err
	}
	page, err := r.loadersFor(ctx).accountContacts.forLimit(limit).Load(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return contactConnection(page), nil
}
