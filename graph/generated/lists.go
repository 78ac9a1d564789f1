package generated

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// This file is Portal's, not gqlgen's: gqlgen marshals every list of
// objects with a goroutine per element, so that resolvers under the
// elements can wait for a dataloader together. A page of 20 orders of 3
// lines spawns 80 goroutines for that, each growing its stack through
// gqlgen's deep call chain: about a tenth of the request's CPU, for
// elements whose fields all return at once. go generate
// (graph/internal/sequentiallists) points the lists of sequentialLists at
// marshalSlice below, and writes concurrentFields (concurrency.go).

// sequentialLists are the lists marshalSlice may marshal in one goroutine,
// with the fields under them whose resolvers never wait, though gqlgen runs
// them concurrently: the graph package prefetches them for every field
// that answers orders (prefetchOrders: the orders page, order, the order
// mutations) before the lists are marshalled. Only these lists are
// rewritten by go generate.
var sequentialLists = map[string]bool{"SalesOrderEdge": true, "SalesOrderLine": true}

// prefetched lists, per type, the concurrent fields that do not wait
// under a sequential list.
var prefetched = map[string]map[string]bool{
	"SalesOrderEdge": {"node": true},
	"SalesOrder": {"syncState": true, "lines": true, "company": true, "customerAccount": true,
		"invoiceAccount": true, "contactPerson": true, "priceList": true},
	"SalesOrderLine": {"product": true},
	"Product":        {"company": true},
}

// marshalSlice is graphql.MarshalSliceConcurrently, in the calling
// goroutine when nothing selected under the list can wait: every selected
// field is either one gqlgen resolves inline or a prefetched one. A query
// that reaches further (an order's contact's roles) keeps the goroutines,
// so that its loaders still batch across the elements.
//
// a is the request's arena (objects.go): it remembers whether a list's
// selection may run in line, and hands out the list's values and its
// elements' contexts.
func marshalSlice(ctx context.Context, a *arena, sel ast.SelectionSet, length int, workerLimit int64, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	if length <= 1 || !a.mayRunInline(ctx, sel) {
		a.concurrent(length > 1) // a goroutine per element
		return graphql.MarshalSliceConcurrently(ctx, length, workerLimit, omitPanicHandler, marshalElement)
	}
	// Each element's context and index, from the arena rather than three
	// allocations per element. Object, which gqlgen leaves empty for an
	// element, names the element's type: the objects under it resolve
	// their prefetched fields in line (fieldSet.inline).
	elem := graphql.GetFieldContext(ctx).Field.Definition.Type.Name()
	ret, fcs, index, ctxs := a.elements(length)
	for i := range length {
		index[i] = i
		fcs[i].Index = &index[i]
		fcs[i].Object = elem
		childCtx := withFieldContextIn(&ctxs[i], ctx, &fcs[i])
		func() {
			if !omitPanicHandler {
				defer func() {
					if r := recover(); r != nil {
						graphql.AddError(childCtx, graphql.Recover(childCtx, r))
						ret[i] = graphql.Null
					}
				}()
			}
			ret[i] = marshalElement(childCtx, i)
		}()
	}
	return ret
}

// mayRunInline tells whether nothing selected below the list field of ctx
// (a list of one of sequentialLists) can wait for a loader.
func mayRunInline(ctx context.Context, sel ast.SelectionSet) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil {
		return false
	}
	typ := fc.Field.Definition.Type.Name()
	if !sequentialLists[typ] {
		return false
	}
	return inline(graphql.GetOperationContext(ctx), typ, sel, 0)
}

func inline(oc *graphql.OperationContext, typ string, sel ast.SelectionSet, depth int) bool {
	if depth > 8 {
		return false
	}
	for _, f := range graphql.CollectFields(oc, sel, []string{typ}) {
		if concurrentFields[typ][f.Name] && !prefetched[typ][f.Name] {
			return false
		}
		if len(f.Selections) == 0 {
			continue
		}
		if f.Definition == nil {
			return false
		}
		child := f.Definition.Type.Name()
		if _, object := concurrentFields[child]; !object {
			return false // an interface or union: its types are not known here
		}
		if !inline(oc, child, f.Selections, depth+1) {
			return false
		}
	}
	return true
}

// newDeferredGroup is graphql.NewDeferredGroup for an object whose
// selected fields include one under @defer; for every other object (all of
// them, with Portal's transport, which answers in one response) an empty
// group, without the path, field set and map gqlgen makes for each object
// of every response: about an eighth of a page of orders' allocations.
// Only a deferred field touches the group's FieldSet and Defers
// (FieldSet.ResolveConcurrently), and an empty Defers sends nothing. go
// generate points the object marshallers here.
func newDeferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for _, f := range fields {
		if f.IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{Context: ctx}
}
