package generated

import (
	"reflect"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
)

// This file is Portal's, not gqlgen's. gqlgen writes a response into an
// empty bytes.Buffer, which grows by doubling: a page of orders (tens of
// kilobytes) is copied through ten buffers on its way, a tenth of the
// time spent writing it. go generate (graph/internal/plainfields) has Exec
// start from a buffer the size of the last response to the same document
// (the parsed query, which gqlgen's query cache keeps, so the same text
// has the same document) instead.

// sizeHints remembers the last response size per document, in a small
// table indexed by the document's address: a collision only costs a
// buffer of the wrong size. Addresses are kept as numbers, so a document
// the query cache has dropped is not kept alive by it.
var sizeHints [64]struct {
	doc  atomic.Uintptr
	size atomic.Int64
	// How much of each kind of the arena (objects.go) the response took.
	values, objects, contexts, ctxs atomic.Int32
}

// maxArenaHint bounds a first chunk of the arena made from a hint.
const maxArenaHint = 4096

// maxHint bounds the buffer made up front.
const maxHint = 1 << 20

func sizeHint(oc *graphql.OperationContext) (slot int, doc uintptr) {
	doc = reflect.ValueOf(oc.Doc).Pointer()
	return int((doc>>4 ^ doc>>12) % uintptr(len(sizeHints))), doc
}

// responseBuffer returns the room for the response to oc: as much as the
// last response to its document took, and a little more.
func responseBuffer(oc *graphql.OperationContext) []byte {
	i, doc := sizeHint(oc)
	if doc == 0 || sizeHints[i].doc.Load() != doc {
		return nil
	}
	n := sizeHints[i].size.Load()
	return make([]byte, 0, min(n+n/8+64, maxHint))
}

// responseWritten remembers the size of a response to oc, and what it
// took of the arena a.
func responseWritten(oc *graphql.OperationContext, n int, a *arena) {
	i, doc := sizeHint(oc)
	if doc == 0 {
		return
	}
	h := &sizeHints[i]
	h.doc.Store(doc)
	h.size.Store(int64(n))
	a.mu.Lock()
	defer a.mu.Unlock()
	h.values.Store(int32(min(a.valuesSize.used, maxArenaHint)))
	h.objects.Store(int32(min(a.objectsSize.used, maxArenaHint)))
	h.contexts.Store(int32(min(a.contextsSize.used, maxArenaHint)))
	h.ctxs.Store(int32(min(a.ctxsSize.used, maxArenaHint)))
}

// prime sizes the arena's first chunks as the last response to oc's
// document took in all: a page of orders takes one chunk of each kind
// rather than six doubling ones, and leaves little of them unused.
func (a *arena) prime(oc *graphql.OperationContext) {
	i, doc := sizeHint(oc)
	if doc == 0 || sizeHints[i].doc.Load() != doc {
		return
	}
	h := &sizeHints[i]
	a.mu.Lock()
	defer a.mu.Unlock()
	a.valuesSize.hint = int(h.values.Load())
	a.objectsSize.hint = int(h.objects.Load())
	a.contextsSize.hint = int(h.contexts.Load())
	a.ctxsSize.hint = int(h.ctxs.Load())
}
