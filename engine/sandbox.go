package engine

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flosch/pongo2/v6"
)

// Bounds of one render. A template is code an administrator writes at run
// time; these keep a mistake in one from taking an instance down.
const (
	// maxRenderTime is how long one page may take, its GraphQL included.
	maxRenderTime = 5 * time.Second
	// maxOutput is the most a page may print (bytes).
	maxOutput = 4 << 20
	// maxIterations bounds the loop iterations of one render, so nested
	// loops over long lists stop even when they print nothing.
	maxIterations = 200_000
	// maxValue bounds a string a template builds ({% set %}, add, +):
	// doubling a string in a loop would otherwise exhaust memory within
	// forty iterations, long before any other bound acts.
	maxValue = 256 << 10
	// maxLoads bounds the templates one compile reads: an include or
	// extends cycle would otherwise recurse until the stack overflows.
	maxLoads = 200
	// maxSource bounds a template's source.
	maxSource = 256 << 10
)

// bannedTags read files (ssi, import), recurse without bound (macro), or
// allocate whatever size they are given (lorem).
var bannedTags = []string{"ssi", "import", "macro", "lorem"}

// bannedFilters allocate whatever width or precision they are given.
var bannedFilters = []string{"ljust", "rjust", "center", "stringformat", "floatformat"}

// namePattern is a web template name: an identifier, never a path.
var namePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// ValidName reports whether name can name a web template.
func ValidName(name string) bool { return namePattern.MatchString(name) }

// stateKey is the context key under which a render's state travels into
// tags, included templates and loops. It starts with a digit, which a
// context key may and a template identifier may not: no template can name
// it (pongo2 would panic reaching an unexported field).
const stateKey = "0portal"

var registerOnce sync.Once

// register installs Portal's tags and filters into pongo2's global
// registry, replacing the loop and assignment tags with bounded ones.
func register() {
	registerOnce.Do(func() {
		must := func(err error) {
			if err != nil {
				panic(err)
			}
		}
		must(pongo2.ReplaceTag("for", boundedForParser))
		must(pongo2.ReplaceTag("set", boundedSetParser))
		must(pongo2.ReplaceTag("include", includeParser))
		must(pongo2.ReplaceFilter("add", boundedAdd))
		must(pongo2.RegisterTag("graphql", graphqlTagParser))
		must(pongo2.RegisterTag("form", formTagParser))
		must(pongo2.RegisterTag("field", fieldTagParser))
		filter := func(name string, f pongo2.FilterFunction) {
			if pongo2.FilterExists(name) {
				must(pongo2.ReplaceFilter(name, f)) // pongo2's date takes a Go layout
			} else {
				must(pongo2.RegisterFilter(name, f))
			}
		}
		filter("get", filterGet)
		filter("money", filterMoney)
		filter("date", filterDate)
		filter("datetime", filterDateTime)
		filter("static", filterStatic)
	})
}

// loader reads templates by name from a fixed set of sources (one
// snapshot of the store, possibly with one unsaved source laid over it).
// It reads only while a compile runs: pongo2 resolves a computed include
// name at render time, which would parse on every request and escape the
// load bound, so that is refused.
type loader struct {
	sources func(name string) (string, bool)
	loads   atomic.Int32
	open    atomic.Bool
	// err is the last refusal: pongo2 reports every loader error as
	// "unable to resolve template", so compile puts this one back.
	err error
}

func (l *loader) Abs(base, name string) string { return name }

func (l *loader) Get(name string) (io.Reader, error) {
	if !l.open.Load() {
		return nil, errComputedInclude
	}
	if !ValidName(name) {
		l.err = fmt.Errorf("%q is not a template name (names are like Header or OrderList; paths are not allowed)", name)
		return nil, l.err
	}
	if l.loads.Add(1) > maxLoads {
		l.err = fmt.Errorf("template %q: too many includes (is there a cycle of include or extends?)", name)
		return nil, l.err
	}
	src, ok := l.sources(name)
	if !ok {
		l.err = fmt.Errorf("template %q does not exist", name)
		return nil, l.err
	}
	return strings.NewReader(src), nil
}

var errComputedInclude = errors.New("include takes a template name in quotes; a computed name is not allowed")

// unresolved is pongo2's message for any loader error.
const unresolved = "unable to resolve template"

// compileState is what the tag parsers need while a compile runs: pongo2
// gives a tag parser no way to reach its template set, so compiles are
// serialized (registryMu) and the state is package-level for their
// duration.
type compileState struct {
	schema API
	forms  map[string]*formSpec
	form   *formSpec // the {% form %} whose body is being parsed
	set    *pongo2.TemplateSet
	loader *loader
}

var (
	// registryMu guards pongo2's global filter registry: a compile
	// installs its language's money and date filters there (write lock),
	// and pongo2 reads the registry while rendering (escape), so every
	// render holds the read lock. Compiles are rare: once per template and
	// language after a change.
	registryMu sync.RWMutex
	compiling  *compileState
)

// compiled is one top-level template ready to render.
type compiled struct {
	tpl   *pongo2.Template
	forms map[string]*formSpec
}

// compile parses the template name and everything it includes or extends,
// reading sources through get. The returned error is a *SourceError when
// the source is at fault.
func compile(schema API, name, lang string, get func(string) (string, bool)) (*compiled, error) {
	register()
	registryMu.Lock()
	defer registryMu.Unlock()
	setLanguage(lang)
	l := &loader{sources: get}
	l.open.Store(true)
	defer l.open.Store(false)
	set := pongo2.NewSet("portal", l)
	for _, t := range bannedTags {
		if err := set.BanTag(t); err != nil {
			return nil, err
		}
	}
	for _, f := range bannedFilters {
		if err := set.BanFilter(f); err != nil {
			return nil, err
		}
	}
	compiling = &compileState{schema: schema, forms: map[string]*formSpec{}, set: set, loader: l}
	defer func() { compiling = nil }()
	tpl, err := set.FromFile(name)
	if err != nil {
		se := sourceError(name, err)
		if l.err != nil && strings.Contains(se.Message, unresolved) {
			se.Message = l.err.Error()
			if se.Line == 0 {
				// an extends of the template itself: pongo2 gives no place
				se.Template = name
			}
		}
		return nil, se
	}
	return &compiled{tpl: tpl, forms: compiling.forms}, nil
}

// SourceError is a template that does not compile: where, and why.
type SourceError struct {
	Template string // the template at fault (may be one it includes)
	Line     int
	Column   int
	Message  string
}

func (e *SourceError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s, line %d, column %d: %s", e.Template, e.Line, e.Column, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Template, e.Message)
}

// pongoError reads where a pongo2 error points: the template (name unless
// the error names an included one), line, column and the underlying
// message. Saving (sourceError) and rendering (renderError) both report it.
func pongoError(name string, err error) (se SourceError, pe *pongo2.Error) {
	if !errors.As(err, &pe) {
		return SourceError{Template: name, Message: err.Error()}, nil
	}
	se = SourceError{Template: name, Line: pe.Line, Column: pe.Column}
	if pe.Filename != "" && pe.Filename != "<string>" {
		se.Template = pe.Filename
	}
	if pe.OrigError != nil {
		se.Message = pe.OrigError.Error()
	}
	return se, pe
}

func sourceError(name string, err error) *SourceError {
	se, pe := pongoError(name, err)
	var inner *SourceError
	if pe != nil && errors.As(pe.OrigError, &inner) {
		// a tag's own error ({% graphql %} validation) already says where
		se.Message = inner.Message
		if inner.Line > 0 {
			se.Line, se.Column = inner.Line, inner.Column
		}
	}
	return &se
}

// renderState travels with one render (in the pongo2 context under
// stateKey): the request, the bounds, and the form being re-shown.
type renderState struct {
	r          *Render
	deadline   time.Time
	iterations int
	written    int
	writes     int
	// err is the first bound crossed. pongo2 ignores most write errors,
	// so it sticks: later writes are dropped and the next loop iteration
	// (and the end of the render) report it.
	err error
}

// String prints nothing: templates must not see what a render carries.
func (*renderState) String() string { return "" }

var errTooLong = errors.New("the page took too long to render (a loop too long?)")

func (s *renderState) step() error {
	if s.err != nil {
		return s.err
	}
	s.iterations++
	if s.iterations > maxIterations {
		return fmt.Errorf("the page ran more than %d loop iterations", maxIterations)
	}
	if s.iterations&63 == 0 && time.Now().After(s.deadline) {
		return errTooLong
	}
	return nil
}

func (s *renderState) wrote(n int) error {
	if s.err != nil {
		return s.err
	}
	s.written += n
	s.writes++
	if s.written > maxOutput {
		s.err = fmt.Errorf("the page printed more than %d bytes", maxOutput)
	} else if s.writes&255 == 0 && time.Now().After(s.deadline) {
		// every 256th write: reading the clock on each one costs more
		// than the write
		s.err = errTooLong
	}
	return s.err
}

func stateOf(ctx *pongo2.ExecutionContext) *renderState {
	if s, ok := ctx.Public[stateKey].(*renderState); ok {
		return s
	}
	return nil
}

// limitWriter counts what a render prints; past the bounds it fails the
// write, which stops the render.
type limitWriter struct {
	w     pongo2.TemplateWriter
	state *renderState
}

func (l *limitWriter) Write(b []byte) (int, error) {
	if err := l.state.wrote(len(b)); err != nil {
		// pongo2's include asserts that what fails is a *pongo2.Error
		return 0, &pongo2.Error{Sender: "render", OrigError: err}
	}
	return l.w.Write(b)
}

func (l *limitWriter) WriteString(s string) (int, error) {
	if err := l.state.wrote(len(s)); err != nil {
		return 0, &pongo2.Error{Sender: "render", OrigError: err}
	}
	return l.w.WriteString(s)
}

// counted wraps w so what is written through it counts against the
// render's output bound. Included templates print into a buffer of their
// own, so loops wrap their writer too.
func counted(w pongo2.TemplateWriter, s *renderState) pongo2.TemplateWriter {
	if _, ok := w.(*limitWriter); ok || s == nil {
		return w
	}
	return &limitWriter{w: w, state: s}
}

// boundedFor is pongo2's for tag with every iteration counted against the
// render's bounds.
type boundedFor struct {
	key, value       string
	object           pongo2.IEvaluator
	reversed, sorted bool
	body, empty      *pongo2.NodeWrapper
	token            *pongo2.Token
}

// loopInfo is forloop: exported fields (templates read them), no methods.
type loopInfo struct {
	Counter, Counter0, Revcounter, Revcounter0 int
	First, Last                                bool
	Parentloop                                 *loopInfo
}

func (n *boundedFor) Execute(ctx *pongo2.ExecutionContext, writer pongo2.TemplateWriter) (ferr *pongo2.Error) {
	state := stateOf(ctx)
	writer = counted(writer, state)
	fctx := pongo2.NewChildExecutionContext(ctx)
	info := &loopInfo{First: true}
	if p, ok := fctx.Private["forloop"].(*loopInfo); ok {
		info.Parentloop = p
	}
	fctx.Private["forloop"] = info
	obj, err := n.object.Evaluate(fctx)
	if err != nil {
		return err
	}
	obj.IterateOrder(func(idx, count int, key, value *pongo2.Value) bool {
		if state != nil {
			if err := state.step(); err != nil {
				ferr = ctx.OrigError(err, n.token)
				return false
			}
		}
		fctx.Private[n.key] = key
		if value != nil {
			fctx.Private[n.value] = value
		}
		info.Counter, info.Counter0 = idx+1, idx
		info.First = idx == 0
		info.Last = idx+1 == count
		info.Revcounter, info.Revcounter0 = count-idx, count-idx-1
		if err := n.body.Execute(fctx, writer); err != nil {
			ferr = err
			return false
		}
		return true
	}, func() {
		if n.empty != nil {
			ferr = n.empty.Execute(fctx, writer)
		}
	}, n.reversed, n.sorted)
	return ferr
}

func boundedForParser(doc *pongo2.Parser, start *pongo2.Token, args *pongo2.Parser) (pongo2.INodeTag, *pongo2.Error) {
	n := &boundedFor{token: start}
	key := args.MatchType(pongo2.TokenIdentifier)
	if key == nil {
		return nil, args.Error("Expected a name after 'for'.", nil)
	}
	n.key = key.Val
	if args.Match(pongo2.TokenSymbol, ",") != nil {
		v := args.MatchType(pongo2.TokenIdentifier)
		if v == nil {
			return nil, args.Error("Value name must be an identifier.", nil)
		}
		n.value = v.Val
	}
	if args.Match(pongo2.TokenKeyword, "in") == nil {
		return nil, args.Error("Expected keyword 'in'.", nil)
	}
	obj, err := args.ParseExpression()
	if err != nil {
		return nil, err
	}
	n.object = obj
	n.reversed = args.MatchOne(pongo2.TokenIdentifier, "reversed") != nil
	n.sorted = args.MatchOne(pongo2.TokenIdentifier, "sorted") != nil
	if args.Remaining() > 0 {
		return nil, args.Error("Malformed for-loop arguments.", nil)
	}
	body, end, err := doc.WrapUntilTag("empty", "endfor")
	if err != nil {
		return nil, err
	}
	if end.Count() > 0 {
		return nil, end.Error("Arguments not allowed here.", nil)
	}
	n.body = body
	if body.Endtag == "empty" {
		empty, end, err := doc.WrapUntilTag("endfor")
		if err != nil {
			return nil, err
		}
		if end.Count() > 0 {
			return nil, end.Error("Arguments not allowed here.", nil)
		}
		n.empty = empty
	}
	return n, nil
}

// boundedSet is pongo2's set tag refusing values longer than maxValue: a
// set in a loop is the only way a template carries a value from one
// iteration to the next, and so the only way it can grow one without bound.
type boundedSet struct {
	name  string
	expr  pongo2.IEvaluator
	token *pongo2.Token
}

func (n *boundedSet) Execute(ctx *pongo2.ExecutionContext, writer pongo2.TemplateWriter) *pongo2.Error {
	v, err := n.expr.Evaluate(ctx)
	if err != nil {
		return err
	}
	if v.IsString() && v.Len() > maxValue {
		return ctx.OrigError(fmt.Errorf("{%% set %s %%}: the value is longer than %d bytes", n.name, maxValue), n.token)
	}
	ctx.Private[n.name] = v
	return nil
}

func boundedSetParser(doc *pongo2.Parser, start *pongo2.Token, args *pongo2.Parser) (pongo2.INodeTag, *pongo2.Error) {
	n := &boundedSet{token: start}
	name := args.MatchType(pongo2.TokenIdentifier)
	if name == nil {
		return nil, args.Error("Expected an identifier.", nil)
	}
	n.name = name.Val
	if args.Match(pongo2.TokenSymbol, "=") == nil {
		return nil, args.Error("Expected '='.", nil)
	}
	expr, err := args.ParseExpression()
	if err != nil {
		return nil, err
	}
	n.expr = expr
	if args.Remaining() > 0 {
		return nil, args.Error("Malformed 'set'-tag arguments.", nil)
	}
	return n, nil
}

// boundedAdd is pongo2's add filter with the result's length bounded.
func boundedAdd(in, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
	if in.IsNumber() && param.IsNumber() {
		if in.IsFloat() || param.IsFloat() {
			return pongo2.AsValue(in.Float() + param.Float()), nil
		}
		return pongo2.AsValue(in.Integer() + param.Integer()), nil
	}
	a, b := in.String(), param.String()
	if len(a)+len(b) > maxValue {
		return nil, &pongo2.Error{Sender: "filter:add", OrigError: fmt.Errorf("add: the result would be longer than %d bytes", maxValue)}
	}
	return pongo2.AsValue(a + b), nil
}

// filterGet reads a map by a key that is not an identifier:
// {{ form.errors|get:"input.x" }}.
func filterGet(in, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
	switch m := in.Interface().(type) {
	case map[string]string:
		return pongo2.AsValue(m[param.String()]), nil
	case map[string]any:
		return pongo2.AsValue(m[param.String()]), nil
	}
	return pongo2.AsValue(""), nil
}

// includeNode is pongo2's include limited to a name in quotes, so every
// include is known (and checked) when the template is saved, and a
// computed name cannot make pongo2 parse templates at render time. The
// included template prints straight into the page's counted writer.
type includeNode struct {
	tpl   *pongo2.Template
	with  map[string]pongo2.IEvaluator
	only  bool
	token *pongo2.Token
}

func includeParser(doc *pongo2.Parser, start *pongo2.Token, args *pongo2.Parser) (pongo2.INodeTag, *pongo2.Error) {
	name := args.MatchType(pongo2.TokenString)
	if name == nil {
		return nil, args.Error(errComputedInclude.Error()+`: {% include "Header" %}`, start)
	}
	ifExists := args.Match(pongo2.TokenIdentifier, "if_exists") != nil
	n := &includeNode{with: map[string]pongo2.IEvaluator{}, token: start}
	if args.Match(pongo2.TokenIdentifier, "with") != nil {
		for args.Remaining() > 0 {
			k := args.MatchType(pongo2.TokenIdentifier)
			if k == nil || args.Match(pongo2.TokenSymbol, "=") == nil {
				return nil, args.Error("Expected name=value after 'with'.", nil)
			}
			e, err := args.ParseExpression()
			if err != nil {
				return nil, err
			}
			n.with[k.Val] = e
			if args.Match(pongo2.TokenIdentifier, "only") != nil {
				n.only = true
				break
			}
		}
	}
	if args.Remaining() > 0 {
		return nil, args.Error("Malformed 'include'-tag arguments.", nil)
	}
	st := compiling
	if st == nil {
		return nil, args.Error("include outside a compile", start)
	}
	st.loader.err = nil
	tpl, err := st.set.FromFile(name.Val)
	if err != nil {
		pe, _ := err.(*pongo2.Error)
		if pe != nil && pe.Sender == "fromfile" {
			if ifExists && !ValidName(name.Val) {
				return nil, args.Error(fmt.Sprintf("%q is not a template name", name.Val), name)
			}
			if ifExists {
				return &includeNode{token: start}, nil
			}
			msg := pe.Error()
			if st.loader.err != nil {
				msg = st.loader.err.Error()
			}
			return nil, &pongo2.Error{Filename: name.Filename, Line: name.Line, Column: name.Col, Token: name, Sender: "include", OrigError: errors.New(msg)}
		}
		if pe != nil {
			return nil, pe
		}
		return nil, args.Error(err.Error(), name)
	}
	n.tpl = tpl
	return n, nil
}

func (n *includeNode) Execute(ctx *pongo2.ExecutionContext, w pongo2.TemplateWriter) *pongo2.Error {
	if n.tpl == nil {
		return nil
	}
	ictx := pongo2.Context{}
	if !n.only {
		ictx.Update(ctx.Public)
		ictx.Update(ctx.Private)
	}
	for k, e := range n.with {
		v, err := e.Evaluate(ctx)
		if err != nil {
			return err
		}
		ictx[k] = v
	}
	st := stateOf(ctx)
	ictx[stateKey] = st
	if err := n.tpl.ExecuteWriterUnbuffered(ictx, counted(w, st)); err != nil {
		var pe *pongo2.Error
		if errors.As(err, &pe) {
			return pe
		}
		return ctx.OrigError(err, n.token)
	}
	return nil
}
