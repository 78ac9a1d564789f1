package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"sort"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/flosch/pongo2/v6"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// API is the GraphQL schema the tags run against: the same executable
// schema as /graphql, so a template reads and writes only what its viewer
// may through the API (graph.NewExecutor provides it).
type API interface {
	// Schema is the schema documents are validated against.
	Schema() *ast.Schema
	// Exec runs a document (already validated) as the viewer of ctx.
	Exec(ctx context.Context, query string, vars map[string]any) *graphql.Response
}

// prepare parses and validates a document of one operation of kind op
// against the schema; errors say where, in template coordinates, counted
// from the string token that holds the document.
func prepare(token *pongo2.Token, query string, op ast.Operation) (*ast.QueryDocument, *pongo2.Error) {
	st := compiling
	if st == nil || st.schema == nil {
		return nil, tokenError(token, 0, 0, "GraphQL is not available here")
	}
	doc, errs := gqlparser.LoadQueryWithRules(st.schema.Schema(), query, nil)
	if len(errs) > 0 {
		e := errs[0]
		line, col := 0, 0
		if len(e.Locations) > 0 {
			line, col = e.Locations[0].Line, e.Locations[0].Column
		}
		return nil, tokenError(token, line, col, "GraphQL: "+e.Message)
	}
	if len(doc.Operations) != 1 {
		return nil, tokenError(token, 0, 0, "the document must hold exactly one operation")
	}
	if doc.Operations[0].Operation != op {
		return nil, tokenError(token, 0, 0, fmt.Sprintf("the document must be a %s", op))
	}
	return doc, nil
}

// tokenError places a message at the token, or inside the GraphQL
// document the token holds (line and column of the document, 1-based).
func tokenError(t *pongo2.Token, line, col int, msg string) *pongo2.Error {
	se := &SourceError{Template: t.Filename, Line: t.Line, Column: t.Col, Message: msg}
	if line > 0 {
		se.Line = t.Line + line - 1
		switch {
		case line > 1:
			se.Column = col
		case t.Typ == pongo2.TokenString:
			se.Column = t.Col + col // past the opening quote
		default:
			se.Column = t.Col + col - 1
		}
	}
	return &pongo2.Error{Filename: t.Filename, Line: se.Line, Column: se.Column, Token: t, Sender: "tag", OrigError: se}
}

// kwargs parses name=expression pairs (and bare flag names) until "as" or
// the end.
func kwargs(args *pongo2.Parser, flags ...string) (map[string]pongo2.IEvaluator, map[string]bool, *pongo2.Error) {
	vals, set := map[string]pongo2.IEvaluator{}, map[string]bool{}
	for args.Remaining() > 0 {
		if args.Peek(pongo2.TokenKeyword, "as") != nil {
			break
		}
		name := args.MatchType(pongo2.TokenIdentifier)
		if name == nil {
			return nil, nil, args.Error("Expected name=value.", nil)
		}
		if args.Match(pongo2.TokenSymbol, "=") == nil {
			for _, f := range flags {
				if f == name.Val {
					set[f] = true
				}
			}
			if !set[name.Val] {
				return nil, nil, args.Error(fmt.Sprintf("Expected '=' after %s.", name.Val), name)
			}
			continue
		}
		e, err := args.ParseExpression()
		if err != nil {
			return nil, nil, err
		}
		vals[name.Val] = e
	}
	return vals, set, nil
}

// graphqlNode is {% graphql "query" var=expr … as name %}.
type graphqlNode struct {
	// nullable are the variables that may be null: an empty value (a
	// filter left blank, a query parameter absent) is left out for them.
	nullable map[string]bool
	query    string
	vars     map[string]pongo2.IEvaluator
	as       string
	token    *pongo2.Token
}

func graphqlTagParser(doc *pongo2.Parser, start *pongo2.Token, args *pongo2.Parser) (pongo2.INodeTag, *pongo2.Error) {
	q := args.MatchType(pongo2.TokenString)
	if q == nil {
		// The block form, for a document over several lines (pongo2's
		// strings cannot hold a newline):
		// {% graphql id=page.params.id as res %} query … {% endgraphql %}
		body := doc.Current()
		if body == nil || body.Typ != pongo2.TokenHTML || doc.Peek(pongo2.TokenSymbol, "{%") != nil {
			return nil, args.Error("graphql needs a query: {% graphql \"query { … }\" as result %} or {% graphql as result %}query { … }{% endgraphql %}", start)
		}
		doc.Consume()
		if doc.Peek(pongo2.TokenSymbol, "{%") == nil || doc.PeekN(1, pongo2.TokenIdentifier, "endgraphql") == nil ||
			doc.PeekN(2, pongo2.TokenSymbol, "%}") == nil {
			return nil, args.Error("the GraphQL document must end with {% endgraphql %} (and hold no {{, {% or {#)", start)
		}
		doc.ConsumeN(3)
		q = body
	}
	d, perr := prepare(q, q.Val, ast.Query)
	if perr != nil {
		return nil, perr
	}
	nullable := map[string]bool{}
	for _, vd := range d.Operations[0].VariableDefinitions {
		nullable[vd.Variable] = !vd.Type.NonNull
	}
	vars, _, err := kwargs(args)
	if err != nil {
		return nil, err
	}
	if args.Match(pongo2.TokenKeyword, "as") == nil {
		return nil, args.Error("graphql needs 'as name' at the end.", start)
	}
	as := args.MatchType(pongo2.TokenIdentifier)
	if as == nil || args.Remaining() > 0 {
		return nil, args.Error("Expected one name after 'as'.", start)
	}
	for k := range vars {
		if _, ok := nullable[k]; !ok {
			return nil, args.Error(fmt.Sprintf("the query has no variable $%s", k), start)
		}
	}
	return &graphqlNode{query: q.Val, vars: vars, nullable: nullable, as: as.Val, token: start}, nil
}

func (n *graphqlNode) Execute(ctx *pongo2.ExecutionContext, w pongo2.TemplateWriter) *pongo2.Error {
	st := stateOf(ctx)
	if st == nil {
		return ctx.Error("graphql: no request", n.token)
	}
	vars := make(map[string]any, len(n.vars))
	for k, e := range n.vars {
		v, err := e.Evaluate(ctx)
		if err != nil {
			return err
		}
		pv := plainValue(v)
		if n.nullable[k] && (pv == nil || pv == "") {
			continue
		}
		vars[k] = pv
	}
	ctx.Private[n.as] = Result(st.r.API.Exec(st.r.ctx, n.query, vars))
	return nil
}

// plainValue turns a template value into a GraphQL variable value.
func plainValue(v *pongo2.Value) any {
	switch {
	case v.IsNil():
		return nil
	case v.IsBool():
		return v.Bool()
	case v.IsInteger():
		return v.Integer()
	case v.IsFloat():
		return v.Float()
	case v.IsString():
		return v.String()
	}
	return v.Interface()
}

// Result turns a GraphQL response into plain template data:
// {data: …, errors: [{message, code, field}]}. Whole numbers become ints
// (pongo2 prints floats with six decimals).
func Result(resp *graphql.Response) map[string]any {
	out := map[string]any{"data": map[string]any{}, "errors": []any{}}
	if resp == nil {
		return out
	}
	if len(resp.Data) > 0 {
		d := json.NewDecoder(bytes.NewReader(resp.Data))
		d.UseNumber()
		var data any
		if err := d.Decode(&data); err == nil {
			if m, ok := numbers(data).(map[string]any); ok {
				out["data"] = m
			}
		}
	}
	errs := make([]any, 0, len(resp.Errors))
	for _, e := range resp.Errors {
		errs = append(errs, errorMap(e))
	}
	out["errors"] = errs
	return out
}

func errorMap(e *gqlerror.Error) map[string]any {
	m := map[string]any{"message": e.Message, "code": "", "field": ""}
	if c, ok := e.Extensions["code"].(string); ok {
		m["code"] = c
	}
	if f, ok := e.Extensions["field"].(string); ok {
		m["field"] = f
	}
	return m
}

func numbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = numbers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = numbers(e)
		}
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return int(i)
		}
		f, _ := v.Float64()
		return f
	}
	return v
}

// formSpec is one {% form %} as compiled: the site finds it by name when
// the form is posted.
type formSpec struct {
	Name     string
	Mutation string
	Redirect string
	// Vars are the mutation's variables by name.
	Vars map[string]*ast.VariableDefinition
	// Fields are the paths of its {% field %} tags, in order.
	Fields []string
	schema *ast.Schema
}

// formNode is {% form "name" mutation="…" redirect="…" %}…{% endform %}.
type formNode struct {
	spec  *formSpec
	class pongo2.IEvaluator
	key   pongo2.IEvaluator
	body  *pongo2.NodeWrapper
}

func formTagParser(doc *pongo2.Parser, start *pongo2.Token, args *pongo2.Parser) (pongo2.INodeTag, *pongo2.Error) {
	st := compiling
	name := args.MatchType(pongo2.TokenString)
	if name == nil {
		return nil, args.Error("form needs a name in quotes: {% form \"createOrder\" mutation=\"…\" %}", start)
	}
	spec := &formSpec{Name: name.Val, Vars: map[string]*ast.VariableDefinition{}}
	n := &formNode{spec: spec}
	for args.Remaining() > 0 {
		key := args.MatchType(pongo2.TokenIdentifier)
		if key == nil || args.Match(pongo2.TokenSymbol, "=") == nil {
			return nil, args.Error("Expected name=value in form.", start)
		}
		switch key.Val {
		case "mutation", "redirect":
			v := args.MatchType(pongo2.TokenString)
			if v == nil {
				return nil, args.Error(key.Val+" must be a string in quotes.", key)
			}
			if key.Val == "mutation" {
				d, err := prepare(v, v.Val, ast.Mutation)
				if err != nil {
					return nil, err
				}
				spec.Mutation = v.Val
				for _, vd := range d.Operations[0].VariableDefinitions {
					spec.Vars[vd.Variable] = vd
				}
			} else {
				spec.Redirect = v.Val
			}
		case "class", "key":
			e, err := args.ParseExpression()
			if err != nil {
				return nil, err
			}
			if key.Val == "class" {
				n.class = e
			} else {
				n.key = e
			}
		default:
			return nil, args.Error("form takes mutation, redirect, class and key; not "+key.Val+".", key)
		}
	}
	if spec.Mutation == "" {
		return nil, args.Error("form needs mutation=\"mutation(…) { … }\".", start)
	}
	if st != nil {
		if _, dup := st.forms[spec.Name]; dup {
			return nil, args.Error(fmt.Sprintf("a form named %q already exists on this page", spec.Name), name)
		}
		st.forms[spec.Name] = spec
		spec.schema = st.schema.Schema()
		st.form = spec
	}
	body, end, err := doc.WrapUntilTag("endform")
	if st != nil {
		st.form = nil
	}
	if err != nil {
		return nil, err
	}
	if end.Count() > 0 {
		return nil, end.Error("Arguments not allowed here.", nil)
	}
	n.body = body
	return n, nil
}

// formView is what a form's body sees as form: plain maps.
func formView(st *renderState, name, key string) map[string]any {
	values, errors, msg := map[string]string{}, map[string]string{}, ""
	if p := st.r.Posted; p != nil && p.Form == name && p.Key == key {
		values, errors, msg = p.Values, p.Errors, p.Error
	}
	return map[string]any{"name": name, "values": values, "errors": errors, "error": msg}
}

func (n *formNode) Execute(ctx *pongo2.ExecutionContext, w pongo2.TemplateWriter) *pongo2.Error {
	st := stateOf(ctx)
	if st == nil {
		return ctx.Error("form: no request", nil)
	}
	class := ""
	if n.class != nil {
		v, err := n.class.Evaluate(ctx)
		if err != nil {
			return err
		}
		class = v.String()
	}
	key := ""
	if n.key != nil {
		v, err := n.key.Evaluate(ctx)
		if err != nil {
			return err
		}
		key = v.String()
	}
	view := formView(st, n.spec.Name, key)
	var b strings.Builder
	b.WriteString(`<form method="post" novalidate`)
	if class != "" {
		fmt.Fprintf(&b, ` class="%s"`, html.EscapeString(class))
	}
	fmt.Fprintf(&b, `><input type="hidden" name="_csrf" value="%s"><input type="hidden" name="_form" value="%s">`,
		html.EscapeString(st.r.CSRFToken), html.EscapeString(n.spec.Name))
	if n.key != nil {
		fmt.Fprintf(&b, `<input type="hidden" name="_key" value="%s">`, html.EscapeString(key))
	}
	if msg, _ := view["error"].(string); msg != "" {
		fmt.Fprintf(&b, `<p class="form-error" role="alert">%s</p>`, html.EscapeString(msg))
	}
	if _, err := w.WriteString(b.String()); err != nil {
		return ctx.OrigError(err, nil)
	}
	fctx := pongo2.NewChildExecutionContext(ctx)
	fctx.Private["form"] = view
	if err := n.body.Execute(fctx, w); err != nil {
		return err
	}
	if _, err := w.WriteString(`</form>`); err != nil {
		return ctx.OrigError(err, nil)
	}
	return nil
}

// fieldNode is {% field "input.x" label="…" type="…" required options=… value=… %}.
type fieldNode struct {
	path     string
	args     map[string]pongo2.IEvaluator
	required bool
	token    *pongo2.Token
}

var fieldTypes = map[string]bool{"text": true, "email": true, "password": true, "number": true, "date": true,
	"textarea": true, "select": true, "hidden": true, "checkbox": true, "tel": true}

func fieldTagParser(doc *pongo2.Parser, start *pongo2.Token, args *pongo2.Parser) (pongo2.INodeTag, *pongo2.Error) {
	p := args.MatchType(pongo2.TokenString)
	if p == nil {
		return nil, args.Error("field needs the variable path in quotes: {% field \"input.email\" label=\"Email\" %}", start)
	}
	vals, flags, err := kwargs(args, "required")
	if err != nil {
		return nil, err
	}
	if args.Remaining() > 0 {
		return nil, args.Error("Malformed field arguments.", start)
	}
	for k := range vals {
		switch k {
		case "label", "type", "options", "value", "placeholder", "autocomplete", "help", "min", "max", "step":
		default:
			return nil, args.Error("field does not take "+k+".", start)
		}
	}
	if st := compiling; st != nil {
		f := st.form
		if f == nil {
			return nil, args.Error("field must be inside {% form %} … {% endform %}.", start)
		}
		root, _, _ := strings.Cut(p.Val, ".")
		if _, ok := f.Vars[root]; !ok {
			return nil, args.Error(fmt.Sprintf("field %q: the form's mutation has no variable $%s", p.Val, root), p)
		}
		if _, err := f.typeOf(p.Val); err != nil {
			return nil, args.Error(err.Error(), p)
		}
		f.Fields = append(f.Fields, p.Val)
	}
	return &fieldNode{path: p.Val, args: vals, required: flags["required"], token: start}, nil
}

func (n *fieldNode) str(ctx *pongo2.ExecutionContext, k string) (string, *pongo2.Error) {
	e, ok := n.args[k]
	if !ok {
		return "", nil
	}
	v, err := e.Evaluate(ctx)
	if err != nil {
		return "", err
	}
	return v.String(), nil
}

func (n *fieldNode) Execute(ctx *pongo2.ExecutionContext, w pongo2.TemplateWriter) *pongo2.Error {
	view, _ := ctx.Private["form"].(map[string]any)
	if view == nil {
		view, _ = ctx.Public["form"].(map[string]any)
	}
	if view == nil {
		return ctx.Error("field outside a form", n.token)
	}
	get := func(k string) (string, *pongo2.Error) { return n.str(ctx, k) }
	label, err := get("label")
	if err != nil {
		return err
	}
	typ, err := get("type")
	if err != nil {
		return err
	}
	if typ == "" {
		typ = "text"
	}
	if !fieldTypes[typ] {
		return ctx.Error(fmt.Sprintf("field %s: unknown type %q", n.path, typ), n.token)
	}
	value, err := get("value")
	if err != nil {
		return err
	}
	posted := view["values"].(map[string]string)
	if pv, ok := posted[n.path]; ok {
		value = pv
	} else if e, ok := n.args["value"]; ok && typ == "checkbox" {
		v, _ := e.Evaluate(ctx)
		if v != nil && v.IsTrue() {
			value = "true"
		} else {
			value = ""
		}
	}
	if typ == "password" {
		value = "" // never sent back to the browser
	}
	msg := view["errors"].(map[string]string)[n.path]
	id := "f-" + fieldID(view["name"].(string)+"-"+n.path)
	esc := html.EscapeString
	var b strings.Builder
	if typ == "hidden" {
		fmt.Fprintf(&b, `<input type="hidden" name="%s" value="%s">`, esc(n.path), esc(value))
		_, werr := w.WriteString(b.String())
		if werr != nil {
			return ctx.OrigError(werr, n.token)
		}
		return nil
	}
	attrs := fmt.Sprintf(` id="%s" name="%s"`, id, esc(n.path))
	if n.required {
		attrs += ` required aria-required="true"`
	}
	for _, k := range []string{"placeholder", "autocomplete", "min", "max", "step"} {
		v, err := get(k)
		if err != nil {
			return err
		}
		if v != "" {
			attrs += fmt.Sprintf(` %s="%s"`, k, esc(v))
		}
	}
	help, err := get("help")
	if err != nil {
		return err
	}
	var described []string
	if help != "" {
		described = append(described, id+"-help")
	}
	if msg != "" {
		attrs += ` aria-invalid="true"`
		described = append(described, id+"-error")
	}
	if len(described) > 0 {
		attrs += fmt.Sprintf(` aria-describedby="%s"`, strings.Join(described, " "))
	}
	cls := "field field-" + typ
	if msg != "" {
		cls += " has-error"
	}
	fmt.Fprintf(&b, `<div class="%s">`, cls)
	labelHTML := fmt.Sprintf(`<label for="%s">%s%s</label>`, id, esc(label), map[bool]string{true: ` <span class="required" aria-hidden="true">*</span>`}[n.required])
	switch typ {
	case "checkbox":
		checked := ""
		if value == "true" || value == "on" || value == "1" {
			checked = " checked"
		}
		fmt.Fprintf(&b, `<input type="checkbox" value="true"%s%s> %s`, attrs, checked, labelHTML)
	case "textarea":
		fmt.Fprintf(&b, `%s<textarea%s>%s</textarea>`, labelHTML, attrs, esc(value))
	case "select":
		b.WriteString(labelHTML)
		fmt.Fprintf(&b, `<select%s>`, attrs)
		if !n.required {
			b.WriteString(`<option value=""></option>`)
		}
		if e, ok := n.args["options"]; ok {
			opts, err := e.Evaluate(ctx)
			if err != nil {
				return err
			}
			opts.Iterate(func(_, _ int, item, _ *pongo2.Value) bool {
				ov, ol := optionOf(item.Interface())
				sel := ""
				if ov == value {
					sel = " selected"
				}
				fmt.Fprintf(&b, `<option value="%s"%s>%s</option>`, esc(ov), sel, esc(ol))
				return true
			}, func() {})
		}
		b.WriteString(`</select>`)
	default:
		fmt.Fprintf(&b, `%s<input type="%s"%s value="%s">`, labelHTML, typ, attrs, esc(value))
	}
	if help != "" {
		fmt.Fprintf(&b, `<p class="help" id="%s-help">%s</p>`, id, esc(help))
	}
	if msg != "" {
		fmt.Fprintf(&b, `<p class="error" id="%s-error" role="alert">%s</p>`, id, esc(msg))
	}
	b.WriteString(`</div>`)
	if _, werr := w.WriteString(b.String()); werr != nil {
		return ctx.OrigError(werr, n.token)
	}
	return nil
}

// optionOf reads a select option: {value, label} (or id/name), or a plain
// value that is its own label.
func optionOf(v any) (value, label string) {
	if m, ok := v.(map[string]any); ok {
		str := func(keys ...string) string {
			for _, k := range keys {
				if x, ok := m[k]; ok && x != nil {
					return fmt.Sprint(x)
				}
			}
			return ""
		}
		value = str("value", "id")
		label = str("label", "name", "description", "value")
		return value, label
	}
	s := fmt.Sprint(v)
	return s, s
}

func fieldID(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// typeOf is the GraphQL type of the input at a variable path
// (input.address.city): the variable's type, then input object fields.
func (f *formSpec) typeOf(path string) (*ast.Type, error) {
	parts := strings.Split(path, ".")
	vd, ok := f.Vars[parts[0]]
	if !ok {
		return nil, fmt.Errorf("the mutation has no variable $%s", parts[0])
	}
	t := vd.Type
	for _, p := range parts[1:] {
		def := f.schema.Types[t.Name()]
		if def == nil || def.Kind != ast.InputObject {
			return nil, fmt.Errorf("%s: %s has no fields", path, t.Name())
		}
		fd := def.Fields.ForName(p)
		if fd == nil {
			return nil, fmt.Errorf("%s: %s has no field %s", path, t.Name(), p)
		}
		t = fd.Type
	}
	return t, nil
}

// FormError is a posted form refused before or by its mutation.
type FormError struct {
	Values map[string]string
	Errors map[string]string
	Error  string
}

// Variables builds a mutation's variables from posted fields, coerced to
// their GraphQL types. Field errors (a number that is not one, a required
// value missing) come back by path, with nothing run.
func (f *formSpec) Variables(posted map[string][]string) (vars map[string]any, values, errs map[string]string) {
	vars, values, errs = map[string]any{}, map[string]string{}, map[string]string{}
	paths := make([]string, 0, len(posted))
	for p := range posted {
		root, _, _ := strings.Cut(p, ".")
		if _, ok := f.Vars[root]; ok {
			paths = append(paths, p)
		}
	}
	// A checkbox left unticked is not posted: it is false.
	for _, p := range f.Fields {
		if _, ok := posted[p]; !ok {
			if t, err := f.typeOf(p); err == nil && t.Elem == nil && t.Name() == "Boolean" {
				paths = append(paths, p)
			}
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		t, err := f.typeOf(p)
		if err != nil {
			continue
		}
		raw := posted[p]
		if len(raw) > 0 {
			values[p] = raw[0]
		}
		var v any
		if t.Elem != nil {
			list := []any{}
			for _, s := range raw {
				if s = strings.TrimSpace(s); s != "" {
					x, err := coerce(t.Elem, s)
					if err != "" {
						errs[p] = err
						break
					}
					list = append(list, x)
				}
			}
			v = list
		} else {
			s := ""
			if len(raw) > 0 {
				s = raw[0]
			}
			if t.Name() != "String" {
				s = strings.TrimSpace(s)
			}
			if s == "" && t.Name() != "Boolean" {
				if t.NonNull && t.Name() != "String" {
					errs[p] = "Enter a value."
				}
				if !t.NonNull {
					continue
				}
				if t.Name() != "String" {
					continue
				}
			}
			x, e := coerce(t, s)
			if e != "" {
				errs[p] = e
				continue
			}
			v = x
		}
		setPath(vars, strings.Split(p, "."), v)
	}
	return vars, values, errs
}

func coerce(t *ast.Type, s string) (any, string) {
	switch t.Name() {
	case "Int":
		i, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return nil, "Enter a whole number."
		}
		return int(i), ""
	case "Float":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, "Enter a number."
		}
		return f, ""
	case "Boolean":
		switch strings.ToLower(s) {
		case "true", "on", "1", "yes":
			return true, ""
		}
		return false, ""
	}
	return s, ""
}

func setPath(m map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}
