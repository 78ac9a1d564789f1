package graph

import (
	"errors"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/graph/model"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/paging"
)

func pageInfo[T any](p paging.Page[T]) *model.PageInfo {
	return &model.PageInfo{HasNextPage: p.HasNextPage, EndCursor: p.EndCursor()}
}

func contactConnection(page paging.Page[*identity.Contact]) *model.ContactConnection {
	c := &model.ContactConnection{TotalCount: page.TotalCount, PageInfo: pageInfo(page), Edges: []*model.ContactEdge{}}
	for i, n := range page.Items {
		c.Edges = append(c.Edges, &model.ContactEdge{Cursor: page.Cursor(i), Node: n})
	}
	return c
}

// nullIfNotFound turns ENOTFOUND into a null result for nullable single-row
// queries, as the contract asks: a missing row and an unreadable one both
// read as null.
func nullIfNotFound[T any](v *T, err error) (*T, error) {
	var e *portal.Error
	if errors.As(err, &e) && e.Code == portal.ENOTFOUND {
		return nil, nil
	}
	return v, err
}

// connection builds a Relay connection from a page: edge makes one edge,
// conn the connection.
func connection[T, E, C any](page paging.Page[T], edge func(cursor string, node T) E, conn func([]E, *model.PageInfo, int) C) C {
	edges := make([]E, len(page.Items))
	for i, n := range page.Items {
		edges[i] = edge(page.Cursor(i), n)
	}
	return conn(edges, pageInfo(page), page.TotalCount)
}
