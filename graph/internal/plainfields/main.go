// Command plainfields runs after gqlgen and sequentiallists (go generate,
// portal.go). It rewrites, in graph/generated/generated.go, every field that
// only reads a struct field and marshals a scalar or enum (an order's
// number, a line's quantity, a product's name) so that it marshals the
// value directly.
//
// gqlgen runs every field, however plain, through graphql.ResolveField: a
// FieldContext, a context, a deferred recover, a middleware chain and
// three closures, and the value boxed in an interface, about eight
// allocations per field. A page of 20 orders with 3 lines each has some
// 500 such fields, and that bookkeeping was a third of the request's CPU.
// None of it does anything for these fields: Portal registers no field
// middleware and no directives (graph.NewHandler refuses an extension that
// intercepts fields; TestFieldInterceptorRefused), reading a struct field
// cannot fail or panic, and the value of a non-pointer or nullable leaf
// cannot be a null error, whose path would need the field's context.
//
// A plain String, ID, enum, Int, Decimal or DateTime field of a struct
// marshals as a pointer to the struct field ((*stringRef)(&obj.Unit), see
// graph/generated/leaves.go), which needs no allocation where gqlgen's
// marshallers make a closure per value.
//
// What is left are resolvers, methods, objects, lists and non-null
// pointers. Those whose resolver is one expression of a pointer, slice or
// builtin type are resolved without graphql.ResolveField (rewriteResolved),
// with the same context, panic guard and errors.
//
// Objects, their values, the contexts of fields without arguments and
// the fields each selection collects come from a per-request arena
// (executionContext's portal field, graph/generated/objects.go), sized by
// the last response to the same document; root objects mark it shared
// when they start a goroutine per root field; Exec writes the response
// into a buffer sized the same way (response.go).
//
// The command fails when gqlgen's output no longer has the shape it
// rewrites, rather than leave the fields silently as they were.
package main

import (
	"log"
	"os"
	"regexp"
	"strings"
)

const generated = "graph/generated/generated.go"

func main() {
	src, err := os.ReadFile(generated)
	if err != nil {
		log.Fatal(err)
	}
	// Running it twice changes nothing: go generate runs gqlgen first.
	out, n := rewrite(string(src))
	if n == 0 && !strings.Contains(out, "// plainfields\n") {
		log.Fatalf("%s: no plain field to rewrite: has gqlgen changed how it resolves fields?", generated)
	}
	out, direct := rewriteResolved(out)
	if direct == 0 && !strings.Contains(out, "// resolved directly\n") {
		log.Fatalf("%s: no resolved field to rewrite: has gqlgen changed how it resolves fields?", generated)
	}
	// Exec writes each response into a buffer sized for it
	// (graph/generated/response.go).
	buffers := strings.Count(out, unsizedBuffer)
	if buffers == 0 && !strings.Contains(out, sizedBuffer) {
		log.Fatalf("%s: no response buffer to size: has gqlgen changed how Exec writes a response?", generated)
	}
	out = strings.ReplaceAll(out, unsizedBuffer, sizedBuffer)
	if !strings.Contains(out, primedContext) {
		if !strings.Contains(out, newContext) {
			log.Fatalf("%s: no execution context made in Exec: has gqlgen changed it?", generated)
		}
		out = strings.Replace(out, newContext, primedContext, 1)
	}
	contexts := len(simpleContext.FindAllStringIndex(out, -1))
	out = simpleContext.ReplaceAllString(out, "${1}\tfc = ec.portal.fieldContext()\n\t*fc = graphql.FieldContext{\n${2}")
	// Root objects (Query, Mutation) start a goroutine per root field
	// when they have several: the request's arena is shared from then on.
	roots := len(rootCollect.FindAllStringIndex(out, -1))
	if roots == 0 && !strings.Contains(out, "\tec.portal.concurrent(len(fields) > 1)\n") {
		log.Fatalf("%s: no root object collecting its fields: has gqlgen changed them?", generated)
	}
	out = rootCollect.ReplaceAllString(out, "${1}\tec.portal.concurrent(len(fields) > 1)\n")
	out, objects := rewriteObjects(out)
	if objects == 0 && !strings.Contains(out, objectReturn) {
		log.Fatalf("%s: no object marshaller to rewrite: has gqlgen changed how it marshals objects?", generated)
	}
	if err := os.WriteFile(generated, []byte(out), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("plainfields: %d fields marshal their value directly, %d are resolved without graphql.ResolveField, %d field contexts and %d objects come from the request's arena",
		n, direct, contexts, objects)
}

// simpleContext matches gqlgen's function making the context of a field
// without arguments, whose FieldContext go generate has carved from the
// request's arena (graph/generated/objects.go) rather than allocated.
var simpleContext = regexp.MustCompile(`(?m)^(func \(ec \*executionContext\) fieldContext_\w+\(_ context\.Context, field graphql\.CollectedField\) \(fc \*graphql\.FieldContext, err error\) \{\n)\tfc = &graphql\.FieldContext\{\n((?:\t\t[^\n]*\n)*?\t\}\n\treturn fc, nil\n\}\n)`)

// rootCollect matches the start of a root object's marshaller (no obj).
var rootCollect = regexp.MustCompile(`(?m)^(func \(ec \*executionContext\) _[A-Za-z0-9]+\(ctx context\.Context, sel ast\.SelectionSet\) graphql\.Marshaler \{\n\tfields := graphql\.CollectFields\(ec\.OperationContext, sel, \w+Implementors\)\n)`)

// unsizedBuffer is how gqlgen's Exec writes a response, and sizedBuffer
// what go generate makes of it.
const (
	unsizedBuffer = "\t\t\tvar buf bytes.Buffer\n\t\t\tdata.MarshalGQL(&buf)\n"
	sizedBuffer   = "\t\t\tbuf := bytes.NewBuffer(responseBuffer(opCtx))\n\t\t\tdata.MarshalGQL(buf)\n\t\t\tresponseWritten(opCtx, buf.Len(), &ec.portal)\n"
	// The request's arena is sized from the last response to the same
	// document.
	newContext    = "\tec := newExecutionContext(opCtx, e, make(chan graphql.DeferredResult))\n"
	primedContext = newContext + "\tec.portal.prime(opCtx)\n"
)

// resolveField is the shape of gqlgen's function for a field resolved
// through graphql.ResolveField with no middleware; field and resolved
// fill in what its resolver returns («result») and how its two flags are
// matched («flag»).
const resolveField = `(?m)^func \(ec \*executionContext\) (_\w+_\w+)\(ctx context\.Context, field graphql\.CollectedField, obj (\S+)\) \(ret graphql\.Marshaler\) \{
	return graphql\.ResolveField\(
		ctx,
		ec\.OperationContext,
		field,
		func\(ctx context\.Context, field graphql\.CollectedField\) \(\*graphql\.FieldContext, error\) \{
			return ec\.(fieldContext_\w+)\(ctx, field\)
		\},
		func\(ctx context\.Context\) \(any, error\) \{
			return «result»
		\},
		nil,
		func\(ctx context\.Context, selections ast\.SelectionSet, v (\S+)\) graphql\.Marshaler \{
			return ec\.(marshal[NO][^\s(]+)\(ctx, selections, v\)
		\},
		«flag»,
		«flag»,
	\)
\}
`

// resolveFieldPattern is resolveField with its holes filled.
func resolveFieldPattern(result, flag string) *regexp.Regexp {
	return regexp.MustCompile(strings.NewReplacer("«result»", result, "«flag»", flag).Replace(resolveField))
}

// field matches gqlgen's function for one field whose resolver returns a
// struct field of obj, with no middleware.
var field = resolveFieldPattern(`(obj\.\w+), nil`, `(?:true|false)`)

// rewrite returns src with its plain leaf fields rewritten, and how many.
func rewrite(src string) (string, int) {
	n := 0
	out := field.ReplaceAllStringFunc(src, func(fn string) string {
		m := field.FindStringSubmatch(fn)
		name, objType, fieldContext, value, valueType, marshal := m[1], m[2], m[3], m[4], m[5], m[6]
		if !leaf(src, fieldContext) {
			return fn // an object: its children's paths need its context
		}
		if strings.HasPrefix(valueType, "[]") {
			return fn // a list: each element gets a context of its own
		}
		if strings.HasPrefix(valueType, "*") && strings.HasPrefix(marshal, "marshalN") {
			return fn // a nil here is an error that names the field's path
		}
		n++
		ret := "ec." + marshal + "(ctx, field.Selections, " + value + ")"
		if r := ref(src, objType, value, valueType, marshal); r != "" {
			ret = r
		}
		return "func (ec *executionContext) " + name + "(ctx context.Context, field graphql.CollectedField, obj " + objType + ") (ret graphql.Marshaler) {\n" +
			"\treturn " + ret + " // plainfields\n}\n"
	})
	return out, n
}

// resolved matches gqlgen's function for a field of an object whose
// resolver (a resolver method, a model method, or a struct field of an
// object or list type) is one expression and has no middleware.
var resolved = resolveFieldPattern(`([^\n]+)`, `(true|false)`)

// builtins are the value types, besides pointers and slices, that a
// resolver's result can have without being an interface.
var builtins = map[string]bool{"string": true, "bool": true, "int": true, "int32": true, "int64": true,
	"float64": true, "time.Time": true, "decimal.Decimal": true}

// rewriteResolved rewrites the fields matched by resolved to do what
// graphql.ResolveField does for them, written out: the field's context
// (the path of any error under it), the panic guard, the resolver's error
// with the field's location, and the value marshalled. ResolveField does it
// through five closures, a middleware chain and the value boxed in an
// interface, some eight allocations per field; a page of orders resolves a
// hundred such fields (each order's node and lines, each line's product).
// The middleware chain is gqlgen's identity: Portal registers no field
// middleware (graph.NewHandler refuses an extension that intercepts
// fields). The result is never a nil interface, as it may be in
// ResolveField, since only pointers, slices and the builtins are taken:
// a nil pointer or slice goes to the marshaller, as it does in
// ResolveField, which reports a non-null one.
func rewriteResolved(src string) (string, int) {
	n := 0
	out := resolved.ReplaceAllStringFunc(src, func(fn string) string {
		m := resolved.FindStringSubmatch(fn)
		name, objType, fieldContext, resolve, valueType, marshal, recoverPanic, nonNull := m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]
		if !strings.HasPrefix(valueType, "*") && !strings.HasPrefix(valueType, "[]") && !builtins[valueType] {
			return fn // perhaps an interface: a nil one is a null, handled in ResolveField
		}
		n++
		var b strings.Builder
		b.WriteString("func (ec *executionContext) " + name + "(ctx context.Context, field graphql.CollectedField, obj " + objType + ") (ret graphql.Marshaler) {\n")
		b.WriteString("\t// resolved directly\n")
		if literal, ok := contextLiteral(src, fieldContext); ok {
			// The field's context as its function makes it, and the
			// context carrying it, from the request's arena at once.
			b.WriteString("\tfc, in := ec.portal.field()\n\t*fc = graphql.FieldContext{\n" + literal + "\t}\n")
			b.WriteString("\tctx = withFieldContextIn(in, ctx, fc)\n")
		} else {
			b.WriteString("\tfc, err := ec." + fieldContext + "(ctx, field)\n\tif err != nil {\n\t\treturn graphql.Null\n\t}\n")
			// graphql.WithFieldContext, carved from the request's arena.
			b.WriteString("\tctx = ec.portal.withFieldContext(ctx, fc)\n")
		}
		if recoverPanic == "true" {
			b.WriteString("\tdefer func() {\n\t\tif r := recover(); r != nil {\n\t\t\tec.Error(ctx, ec.Recover(ctx, r))\n\t\t\tret = graphql.Null\n\t\t}\n\t}()\n")
		}
		if v, ok := strings.CutSuffix(resolve, ", nil"); ok {
			b.WriteString("\tres := " + v + "\n")
		} else {
			b.WriteString("\tres, err := " + resolve + "\n")
			b.WriteString("\tif err != nil {\n\t\tec.Error(ctx, graphql.AddFieldLocationToError(ctx, err))\n")
			if nonNull == "false" {
				b.WriteString("\t\tif fc.NonNull {\n\t\t\treturn graphql.RequiredNull\n\t\t}\n")
			}
			b.WriteString("\t\treturn graphql.Null\n\t}\n")
		}
		b.WriteString("\tfc.Result = res\n")
		b.WriteString("\treturn ec." + marshal + "(ctx, field.Selections, res)\n}\n")
		return b.String()
	})
	return out, n
}

// contextLiteral returns the fields of the FieldContext that the function
// fieldContext makes, when it makes one without arguments (simpleContext):
// a field's context that cannot fail.
func contextLiteral(src, fieldContext string) (string, bool) {
	i := strings.Index(src, "func (ec *executionContext) "+fieldContext+"(")
	if i < 0 {
		return "", false
	}
	fn := src[i:]
	if end := strings.Index(fn, "\n}\n"); end >= 0 {
		fn = fn[:end+3]
	}
	m := simpleContext.FindStringSubmatch(fn)
	if m == nil {
		return "", false
	}
	return strings.TrimSuffix(m[2], "\t}\n\treturn fc, nil\n}\n"), true
}

// refs are the scalar marshallers whose value a pointer to it can write:
// the call in gqlgen's marshaller, the Go type of its value, and the
// pointer type (graph/generated/leaves.go, graph/scalar) that writes the
// same JSON. A conversion to *string first is for enums, whose marshaller
// writes string(v).
var refs = []struct{ call, valueType, ptr string }{
	{"res := graphql.MarshalString(v)\n", "string", "stringRef"},
	{"res := graphql.MarshalID(v)\n", "string", "stringRef"},
	{"res := graphql.MarshalString(string(v))\n", "", "stringRef"},
	{"res := graphql.MarshalInt(v)\n", "int", "intRef"},
	{"res := scalar.MarshalDecimal(v)\n", "decimal.Decimal", "scalar.DecimalRef"},
	{"res := scalar.MarshalDateTime(v)\n", "time.Time", "scalar.DateTimeRef"},
}

var plainValue = regexp.MustCompile(`^obj\.\w+$`)

// ref returns a pointer to the struct field that marshals as marshal does,
// (*stringRef)(&obj.Unit), or "" when there is none: the value must be a
// field of a struct obj points to, and the marshaller one of refs. A
// pointer in an interface needs no allocation, where the marshaller makes a
// closure per value. The field is read when the response is written, after
// the resolvers have returned: the objects are the request's own.
func ref(src, objType, value, valueType, marshal string) string {
	if !strings.HasPrefix(objType, "*") || !plainValue.MatchString(value) {
		return ""
	}
	i := strings.Index(src, "func (ec *executionContext) "+marshal+"(ctx context.Context, sel ast.SelectionSet, v "+valueType+") graphql.Marshaler {\n")
	if i < 0 {
		return ""
	}
	body := src[i:]
	if end := strings.Index(body, "\n}\n"); end >= 0 {
		body = body[:end]
	}
	for _, r := range refs {
		if !strings.Contains(body, "\t"+r.call) {
			continue
		}
		switch {
		case r.valueType == valueType:
			return "(*" + r.ptr + ")(&" + value + ")"
		case r.valueType == "" && !strings.ContainsAny(valueType, "*[]"):
			return "(*" + r.ptr + ")((*string)(&" + value + "))"
		}
	}
	return ""
}

// leaf reports whether the field's context is a scalar's or an enum's.
func leaf(src, fieldContext string) bool {
	i := strings.Index(src, "func (ec *executionContext) "+fieldContext+"(")
	if i < 0 {
		return false
	}
	body := src[i:]
	if end := strings.Index(body, "\n}\n"); end >= 0 {
		body = body[:end]
	}
	return strings.Contains(body, "graphql.NewScalarFieldContext(")
}

// objectFunc matches the start of gqlgen's marshaller for an object type.
var objectFunc = regexp.MustCompile(`^func \(ec \*executionContext\) _[A-Za-z0-9]+\(ctx context\.Context, sel ast\.SelectionSet, obj `)

const objectReturn = "\treturn out.object\n"

// contextType is gqlgen's executionContext, which gets the request's arena
// (graph/generated/objects.go).
const (
	contextType      = "type executionContext struct {\n\t*graphql.ExecutionContextState[ResolverRoot, DirectiveRoot, ComplexityRoot]\n}\n"
	contextWithArena = "type executionContext struct {\n\t*graphql.ExecutionContextState[ResolverRoot, DirectiveRoot, ComplexityRoot]\n\tportal arena // graph/generated/objects.go\n}\n"
)

// arenaMethods are the rewritten marshallers' use of the arena. They are
// written here, with the field, rather than in objects.go: gqlgen compiles
// the package with its own output, which has neither.
const arenaMethods = `
// newObject collects the fields of an object of one of the types
// satisfies, remembered for the request (gqlgen's own cache hashes the type
// names into its key, an allocation each time), and makes its field set
// and its value from the request's arena (objects.go), where gqlgen
// allocates them. Added by graph/internal/plainfields.
func (ec *executionContext) newObject(sel ast.SelectionSet, satisfies []string) ([]graphql.CollectedField, fieldSet) {
	return ec.portal.newObject(ec.OperationContext, sel, satisfies)
}
`

var collectCall = regexp.MustCompile(`^\tfields := graphql\.CollectFields\(ec\.OperationContext, sel, (\w+Implementors)\)\n$`)

// rewriteObjects has every object marshaller return an objectValue
// (graph/generated/objects.go) rather than gqlgen's FieldSet, kept in a
// fieldSet on its stack rather than gqlgen's FieldSet on the heap, and says
// how many it rewrote.
func rewriteObjects(src string) (string, int) {
	lines := strings.SplitAfter(src, "\n")
	n := 0
	inObject := false
	for i, l := range lines {
		switch {
		case objectFunc.MatchString(l):
			inObject = true
		case inObject && l == "\tout := graphql.NewFieldSet(fields)\n":
			lines[i] = "" // made by newObject
		case inObject && collectCall.MatchString(l):
			lines[i] = collectCall.ReplaceAllString(l, "\tfields, out := ec.newObject(sel, $1)\n")
		case inObject && l == "\treturn out\n" && i+1 < len(lines) && lines[i+1] == "}\n":
			lines[i] = objectReturn
			n++
			inObject = false
		case strings.HasPrefix(l, "}"):
			inObject = false
		}
	}
	out := strings.Join(lines, "")
	if n > 0 {
		if !strings.Contains(out, contextType) {
			log.Fatalf("%s: no executionContext to give an arena: has gqlgen changed it?", generated)
		}
		out = strings.Replace(out, contextType, contextWithArena, 1)
		if !strings.Contains(out, arenaMethods) {
			out += arenaMethods
		}
	}
	return out, n
}
