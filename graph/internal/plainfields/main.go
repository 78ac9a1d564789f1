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
// intercepts fields; TestFieldInterceptorRefused), reading a struct field cannot fail or panic, and the value
// of a non-pointer or nullable leaf cannot be a null error, whose path
// would need the field's context.
//
// What is left as gqlgen wrote it: resolvers, methods, objects, lists and
// non-null pointers. The command fails when gqlgen's output no longer has
// the shape it rewrites, rather than leave the fields silently as they
// were.
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
	out, objects := rewriteObjects(out)
	if objects == 0 && !strings.Contains(out, objectReturn) {
		log.Fatalf("%s: no object marshaller to rewrite: has gqlgen changed how it marshals objects?", generated)
	}
	if err := os.WriteFile(generated, []byte(out), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("plainfields: %d fields marshal their value directly, %d objects write their fields without gqlgen's map", n, objects)
}

// field matches gqlgen's function for one field whose resolver returns a
// struct field of obj, with no middleware.
var field = regexp.MustCompile(`(?m)^func \(ec \*executionContext\) (_\w+_\w+)\(ctx context\.Context, field graphql\.CollectedField, obj (\S+)\) \(ret graphql\.Marshaler\) \{
	return graphql\.ResolveField\(
		ctx,
		ec\.OperationContext,
		field,
		func\(ctx context\.Context, field graphql\.CollectedField\) \(\*graphql\.FieldContext, error\) \{
			return ec\.(fieldContext_\w+)\(ctx, field\)
		\},
		func\(ctx context\.Context\) \(any, error\) \{
			return (obj\.\w+), nil
		\},
		nil,
		func\(ctx context\.Context, selections ast\.SelectionSet, v (\S+)\) graphql\.Marshaler \{
			return ec\.(marshal[NO][^\s(]+)\(ctx, selections, v\)
		\},
		(?:true|false),
		(?:true|false),
	\)
\}
`)

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
		return "func (ec *executionContext) " + name + "(ctx context.Context, field graphql.CollectedField, obj " + objType + ") (ret graphql.Marshaler) {\n" +
			"\treturn ec." + marshal + "(ctx, field.Selections, " + value + ") // plainfields\n}\n"
	})
	return out, n
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

const objectReturn = "\treturn objectValue{fields, out.Values}\n"

// rewriteObjects has every object marshaller return an objectValue
// (graph/generated/objects.go) rather than gqlgen's FieldSet, and says how
// many it rewrote.
func rewriteObjects(src string) (string, int) {
	lines := strings.SplitAfter(src, "\n")
	n := 0
	inObject := false
	for i, l := range lines {
		switch {
		case objectFunc.MatchString(l):
			inObject = true
		case inObject && l == "\treturn out\n" && i+1 < len(lines) && lines[i+1] == "}\n":
			lines[i] = objectReturn
			n++
			inObject = false
		case strings.HasPrefix(l, "}"):
			inObject = false
		}
	}
	return strings.Join(lines, ""), n
}
