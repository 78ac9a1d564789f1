package generated

import (
	"bytes"
	"context"
	"io"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// This file is Portal's, not gqlgen's. gqlgen's FieldSet.MarshalGQL makes
// a map per object, to skip a repeated alias, and copies every collected
// field to the heap as it walks them: on a page of orders, a fifth of the
// request's allocations. go generate (graph/internal/plainfields) has every
// object marshaller return an objectValue instead, which writes the same
// JSON: the fields in order, an alias written once.

// objectValue is an object's collected fields and their values.
type objectValue struct {
	fields   []graphql.CollectedField
	values   []graphql.Marshaler
	distinct bool // no alias among fields twice (arena.collect)
}

func (o objectValue) MarshalGQL(w io.Writer) {
	if b, ok := w.(*bytes.Buffer); ok {
		o.marshalTo(b)
		return
	}
	io.WriteString(w, "{")
	for i := range o.fields {
		alias := o.fields[i].Alias
		if repeated(o.fields[:i], alias) {
			continue
		}
		if i > 0 {
			io.WriteString(w, ",")
		}
		// An alias is a GraphQL name ([_A-Za-z][_0-9A-Za-z]*): nothing
		// in it needs escaping.
		io.WriteString(w, `"`)
		io.WriteString(w, alias)
		io.WriteString(w, `":`)
		o.values[i].MarshalGQL(w)
	}
	io.WriteString(w, "}")
}

// marshalTo is MarshalGQL into gqlgen's buffer: each field's name with its
// punctuation appended in one piece, where io.WriteString asks the writer
// for its WriteString four times per field.
func (o objectValue) marshalTo(w *bytes.Buffer) {
	w.WriteByte('{')
	for i := range o.fields {
		alias := o.fields[i].Alias
		if !o.distinct && repeated(o.fields[:i], alias) {
			continue
		}
		b := w.AvailableBuffer()
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(append(b, '"'), alias...), '"', ':')
		w.Write(b)
		o.values[i].MarshalGQL(w)
	}
	w.WriteByte('}')
}

// repeated reports whether alias is among fields. An object has a handful
// of fields: a scan is cheaper than the map gqlgen makes.
func repeated(fields []graphql.CollectedField, alias string) bool {
	for i := range fields {
		if fields[i].Alias == alias {
			return true
		}
	}
	return false
}

// fieldSet is graphql.FieldSet for an object marshaller, kept on the
// marshaller's stack: gqlgen allocates a FieldSet for every object of the
// response (161 on a page of 20 orders of 3 lines), though only a field
// resolved concurrently needs one. go generate
// (graph/internal/sequentiallists) has the marshallers make this instead;
// it makes gqlgen's FieldSet, sharing Values, for the first field resolved
// concurrently.
type fieldSet struct {
	Values   []graphql.Marshaler
	Invalids uint32
	fields   []graphql.CollectedField
	set      *graphql.FieldSet
	object   *objectValue // the object's value: its fields and Values
	arena    *arena       // the request's: shared before Dispatch starts goroutines
	// scheduled counts the fields ResolveConcurrently scheduled: past one,
	// Dispatch starts goroutines.
	scheduled int
}

// arena is what a request's object marshallers share (executionContext's
// portal field, which go generate adds with the methods that use it:
// graph/internal/plainfields): the values of its objects and the
// objects themselves are carved from chunks, rather than allocated one by
// one, 300-odd allocations on a page of orders; and the fields it has
// collected. Objects may be marshalled concurrently once gqlgen starts
// goroutines (concurrent lists, several scheduled or deferred fields,
// several root fields): from then on a mutex guards it (concurrent). The
// chunks live as long as the response that points into them.
type arena struct {
	mu sync.Mutex
	// shared is set (concurrent) before gqlgen starts goroutines that may
	// use the arena; until then the arena is not locked.
	shared  bool
	values  []graphql.Marshaler
	objects []objectValue
	// The sizes of the chunks of each kind, and how much of each the
	// request took (response.go remembers it for the next request to the
	// same document).
	valuesSize, objectsSize, contextsSize, ctxsSize sizer
	ctxs                                            []fieldCtx
	collected                                       []collected
	inline                                          []inlineList
	contexts                                        []graphql.FieldContext
	indexes                                         []int
}

// lock locks the arena once it is shared, and says whether it did.
func (a *arena) lock() bool {
	if a.shared {
		a.mu.Lock()
		return true
	}
	return false
}

func (a *arena) unlock(locked bool) {
	if locked {
		a.mu.Unlock()
	}
}

// concurrent marks the arena shared when gqlgen is about to start
// goroutines that may use it (c): before the first, only the goroutine
// marshalling the response uses it, and it goes unlocked, some 300 locks a
// page of orders. A goroutine started after the mark sees it (the go
// statement orders them); so does the one marking.
func (a *arena) concurrent(c bool) {
	if c && !a.shared {
		a.shared = true
	}
}

// fieldContextKey is the key under which gqlgen keeps a field's context
// in a context.Context. It is unexported; a context that records the key
// it is asked for learns it from graphql.GetFieldContext.
var fieldContextKey = func() any {
	spy := &keySpy{Context: context.Background()}
	graphql.GetFieldContext(spy)
	return spy.key
}()

type keySpy struct {
	context.Context
	key any
}

func (s *keySpy) Value(key any) any {
	s.key = key
	return nil
}

// fieldCtx is what graphql.WithFieldContext makes, a context carrying a
// field's context, but carved from the arena: context.WithValue is an
// allocation per field and list element (200 on a page of orders).
type fieldCtx struct {
	context.Context
	fc *graphql.FieldContext
}

// Value returns the field's context, or what the enclosing context holds
// under key: a loader, the viewer, asked from deep in the response, skips
// the fields' contexts in a loop rather than a call each.
func (c *fieldCtx) Value(key any) any {
	if key == fieldContextKey {
		return c.fc
	}
	ctx := c.Context
	for {
		f, ok := ctx.(*fieldCtx)
		if !ok {
			return ctx.Value(key)
		}
		ctx = f.Context
	}
}

// withFieldContext is graphql.WithFieldContext: fc's parent is ctx's
// field, and the context returned carries fc.
func (a *arena) withFieldContext(ctx context.Context, fc *graphql.FieldContext) context.Context {
	fc.Parent = graphql.GetFieldContext(ctx)
	l := a.lock()
	if len(a.ctxs) == 0 {
		a.ctxs = make([]fieldCtx, a.ctxsSize.size(maxChunk/4))
	}
	c := &a.ctxs[0]
	a.ctxs = a.ctxs[1:]
	a.ctxsSize.used++
	a.unlock(l)
	c.Context, c.fc = ctx, fc
	return c
}

// field returns a field's context, zero, and the context that will carry
// it (withFieldContextIn), from the arena under one lock.
func (a *arena) field() (*graphql.FieldContext, *fieldCtx) {
	l := a.lock()
	defer a.unlock(l)
	if len(a.contexts) == 0 {
		size := a.contextsSize.size(maxChunk / 8)
		a.contexts, a.indexes = make([]graphql.FieldContext, size), make([]int, size)
	}
	if len(a.ctxs) == 0 {
		a.ctxs = make([]fieldCtx, a.ctxsSize.size(maxChunk/4))
	}
	fc, c := &a.contexts[0], &a.ctxs[0]
	a.contexts, a.indexes, a.ctxs = a.contexts[1:], a.indexes[1:], a.ctxs[1:]
	a.contextsSize.used++
	a.ctxsSize.used++
	return fc, c
}

// fieldContext returns a field's context, zero, from the arena.
func (a *arena) fieldContext() *graphql.FieldContext {
	l := a.lock()
	defer a.unlock(l)
	if len(a.contexts) == 0 {
		size := a.contextsSize.size(maxChunk / 8)
		a.contexts, a.indexes = make([]graphql.FieldContext, size), make([]int, size)
	}
	fc := &a.contexts[0]
	a.contexts, a.indexes = a.contexts[1:], a.indexes[1:]
	a.contextsSize.used++
	return fc
}

// inlineList is one entry of arena's lists that may run in line (or not):
// the answer depends on the selection and, through @skip and @include, the
// request's variables.
type inlineList struct {
	sel *ast.Selection
	n   int
	typ string
	ok  bool
}

// mayRunInline is the package's mayRunInline, remembered for the request:
// the lines of each order of a page ask it for the same selection.
func (a *arena) mayRunInline(ctx context.Context, sel ast.SelectionSet) bool {
	fc := graphql.GetFieldContext(ctx)
	if len(sel) == 0 || fc == nil || fc.Field.Definition == nil {
		return mayRunInline(ctx, sel)
	}
	first, n, typ := &sel[0], len(sel), fc.Field.Definition.Type.Name()
	l := a.lock()
	for _, e := range a.inline {
		if e.sel == first && e.n == n && e.typ == typ {
			a.unlock(l)
			return e.ok
		}
	}
	a.unlock(l)
	ok := mayRunInline(ctx, sel)
	l = a.lock()
	if len(a.inline) < 64 {
		a.inline = append(a.inline, inlineList{first, n, typ, ok})
	}
	a.unlock(l)
	return ok
}

// elements returns the values of a list of n, and its elements' field
// contexts, their indexes and the contexts carrying them.
func (a *arena) elements(n int) (graphql.Array, []graphql.FieldContext, []int, []fieldCtx) {
	if n > maxChunk/4 {
		return make(graphql.Array, n), make([]graphql.FieldContext, n), make([]int, n), make([]fieldCtx, n)
	}
	l := a.lock()
	defer a.unlock(l)
	if n > len(a.contexts) {
		size := max(a.contextsSize.size(maxChunk/8), n)
		a.contexts, a.indexes = make([]graphql.FieldContext, size), make([]int, size)
	}
	if n > len(a.ctxs) {
		a.ctxs = make([]fieldCtx, max(a.ctxsSize.size(maxChunk/4), n))
	}
	fcs, index, ctxs := a.contexts[:n:n], a.indexes[:n:n], a.ctxs[:n:n]
	a.contexts, a.indexes, a.ctxs = a.contexts[n:], a.indexes[n:], a.ctxs[n:]
	a.contextsSize.used += n
	a.ctxsSize.used += n
	return a.marshalersLocked(n), fcs, index, ctxs
}

// withFieldContextIn is withFieldContext into a context given.
func withFieldContextIn(c *fieldCtx, ctx context.Context, fc *graphql.FieldContext) context.Context {
	fc.Parent = graphql.GetFieldContext(ctx)
	c.Context, c.fc = ctx, fc
	return c
}

// collected is one entry of arena's fields collected: the fields collected
// depend on the selection, the types and the request's variables (@skip,
// @include) alone, and each object type has its own slice of type names.
type collected struct {
	sel       *ast.Selection // the selection set's first element
	n         int
	satisfies *string // the type names' first element: each type has its own slice
	fields    []graphql.CollectedField
	distinct  bool // no alias twice among fields: objectValue need not look
}

// maxChunk bounds the values in a chunk; a slice as long as a quarter of
// it is allocated by itself.
const maxChunk = 512

// sizer sizes the chunks of one kind: the first as large as the last
// request to the same document took in all (hint, set by prime), then
// doubling from 8 up to a bound, so that a small response takes small
// chunks. used counts what the request took.
type sizer struct{ next, hint, used int }

func (s *sizer) size(most int) int {
	if s.hint > 0 {
		n := s.hint
		s.hint = 0
		return n
	}
	s.next = min(max(s.next*2, 8), most)
	return s.next
}

// newObject returns the fields of an object of the types satisfies, and
// its field set, whose object is its value: one lock of the arena for
// the three.
func (a *arena) newObject(oc *graphql.OperationContext, sel ast.SelectionSet, satisfies []string) ([]graphql.CollectedField, fieldSet) {
	l := a.lock()
	c, ok := a.collectedLocked(sel, satisfies)
	if !ok {
		a.unlock(l)
		c = a.collect(oc, sel, satisfies)
		l = a.lock()
	}
	s := fieldSet{Values: a.marshalersLocked(len(c.fields)), fields: c.fields, arena: a}
	s.object = a.objectLocked(c.fields, s.Values)
	s.object.distinct = c.distinct
	a.unlock(l)
	return c.fields, s
}

func (a *arena) marshalersLocked(n int) []graphql.Marshaler {
	if n > len(a.values) {
		if n > maxChunk/4 {
			return make([]graphql.Marshaler, n)
		}
		a.values = make([]graphql.Marshaler, max(a.valuesSize.size(maxChunk), n))
	}
	v := a.values[:n:n]
	a.values = a.values[n:]
	a.valuesSize.used += n
	return v
}

func (a *arena) objectLocked(fields []graphql.CollectedField, values []graphql.Marshaler) *objectValue {
	if len(a.objects) == 0 {
		a.objects = make([]objectValue, a.objectsSize.size(maxChunk/4))
	}
	o := &a.objects[0]
	a.objects = a.objects[1:]
	a.objectsSize.used++
	o.fields, o.values, o.distinct = fields, values, false
	return o
}

// collectedLocked returns the fields collected before for sel and
// satisfies, if any.
func (a *arena) collectedLocked(sel ast.SelectionSet, satisfies []string) (collected, bool) {
	if len(sel) == 0 || len(satisfies) == 0 {
		return collected{}, false
	}
	first, n, types := &sel[0], len(sel), &satisfies[0]
	for _, c := range a.collected {
		if c.sel == first && c.n == n && c.satisfies == types {
			return c, true
		}
	}
	return collected{}, false
}

// collect collects the fields of sel for satisfies with gqlgen, and
// remembers them.
func (a *arena) collect(oc *graphql.OperationContext, sel ast.SelectionSet, satisfies []string) collected {
	fields := graphql.CollectFields(oc, sel, satisfies)
	c := collected{fields: fields, distinct: true}
	for i := range fields {
		if repeated(fields[:i], fields[i].Alias) {
			c.distinct = false
		}
	}
	if len(sel) == 0 || len(satisfies) == 0 {
		return c
	}
	c.sel, c.n, c.satisfies = &sel[0], len(sel), &satisfies[0]
	l := a.lock()
	if len(a.collected) < 64 {
		a.collected = append(a.collected, c)
	}
	a.unlock(l)
	return c
}

// ResolveConcurrently is graphql.FieldSet.ResolveConcurrently.
func (s *fieldSet) ResolveConcurrently(oc *graphql.OperationContext, deferred *graphql.DeferredGroup, i int,
	recoverFromPanic bool, nonNull bool, resolve func(ctx context.Context) graphql.Marshaler) {
	if s.set == nil {
		s.set = graphql.NewFieldSet(s.fields)
		s.set.Values = s.Values
	}
	s.scheduled++
	if s.fields[i].IsDeferred() && s.arena != nil {
		// Deferred fields are resolved in a goroutine of their own
		// (ProcessDeferredGroup).
		s.arena.concurrent(true)
	}
	s.set.ResolveConcurrently(oc, deferred, i, recoverFromPanic, nonNull, resolve)
}

// Dispatch is graphql.FieldSet.Dispatch: it resolves the fields scheduled
// by ResolveConcurrently, and counts their invalid results with the others.
func (s *fieldSet) Dispatch(ctx context.Context) {
	if s.set != nil {
		if s.arena != nil {
			s.arena.concurrent(s.scheduled > 1)
		}
		s.set.Dispatch(ctx)
		s.Invalids += s.set.Invalids
	}
}

// inline tells whether field i, one of the prefetched fields (lists.go)
// of its object, is resolved in line rather than scheduled for Dispatch:
// when the object lies under a list that marshalSlice marshals in line,
// which it does only when nothing selected under the list can wait, and the
// field is not deferred. go generate has the marshallers ask it before
// ResolveConcurrently. In line, the field's value is resolved where it
// stands, without the two closures and the slot gqlgen's scheduling takes:
// Dispatch would run a lone scheduled field in this goroutine anyway.
func (s *fieldSet) inline(ctx context.Context, prefetched bool, i int) bool {
	return prefetched && !s.fields[i].IsDeferred() && underInlineList(ctx)
}

// underInlineList tells whether the nearest list element above ctx's field
// was marshalled in line by marshalSlice: such an element's context
// carries its type's name in Object, where gqlgen leaves it empty.
func underInlineList(ctx context.Context) bool {
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		if fc.Index != nil {
			return fc.Object != ""
		}
	}
	return false
}
