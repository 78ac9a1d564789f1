package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flosch/pongo2/v6"
	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/policies"
)

// NotifyChannel is the PostgreSQL channel on which a change of templates,
// pages, snippets or settings is announced; the payload is the new
// site_version.
const NotifyChannel = "portal_site"

// DefaultCheckEvery is how often an instance compares site_version with the
// version it holds, in case a notification was lost.
const DefaultCheckEvery = 5 * time.Second

// Engine is the template store and renderer of one instance. It holds a
// snapshot of the store (every template, page, snippet and setting: a few
// hundred kilobytes at most) and compiles templates from it on first use;
// a change anywhere replaces the snapshot, which drops every compiled
// template with it (a change to Header changes every page that includes
// it, so per-template invalidation would have to follow includes anyway).
type Engine struct {
	DB     *bun.DB
	Policy *policies.Enforcer
	// API runs {% graphql %} and forms; set it before rendering (the
	// GraphQL resolver needs the engine first, so it comes after New).
	API    API
	Logger *slog.Logger
	// Previewer renders previewWebTemplate's pages; set by the site.
	Previewer Previewer
	// Defaults is the shipped default site (pagetemplates.FS), for
	// comparing an edited template with its default.
	Defaults fs.FS

	snap   atomic.Pointer[Snapshot]
	mu     sync.Mutex // one reload at a time
	follow db.Follower
}

// Option configures New.
type Option func(*options)

type options struct {
	checkEvery time.Duration
	listen     bool
}

// CheckEvery sets how often site_version is compared (0: never).
func CheckEvery(d time.Duration) Option { return func(o *options) { o.checkEvery = d } }

// WithoutListen leaves out the LISTEN connection (one-shot commands, and
// tests that show the version check alone suffices).
func WithoutListen() Option { return func(o *options) { o.listen = false } }

// New loads the store and follows its changes until Close.
func New(ctx context.Context, bdb *bun.DB, policy *policies.Enforcer, logger *slog.Logger, opts ...Option) (*Engine, error) {
	o := options{checkEvery: DefaultCheckEvery, listen: true}
	for _, f := range opts {
		f(&o)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	register()
	e := &Engine{DB: bdb, Policy: policy, Logger: logger}
	if err := e.Reload(ctx); err != nil {
		return nil, err
	}
	e.follow = db.Follower{
		DB:           bdb,
		Logger:       logger,
		Name:         "site",
		Channel:      NotifyChannel,
		VersionQuery: "SELECT version FROM site_version",
		Held:         e.Version,
		Reload:       e.Reload,
	}
	e.follow.Start(ctx, o.listen, o.checkEvery)
	return e, nil
}

// Close stops following changes.
func (e *Engine) Close() error {
	e.follow.Close()
	return nil
}

// Current is the snapshot in use.
func (e *Engine) Current() *Snapshot { return e.snap.Load() }

// Version is the site_version of the snapshot in use.
func (e *Engine) Version() int64 {
	if s := e.Current(); s != nil {
		return s.version
	}
	return 0
}

// Reload reads the store and swaps it in.
func (e *Engine) Reload(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := loadSnapshot(ctx, e.DB)
	if err != nil {
		return fmt.Errorf("load the site: %w", err)
	}
	if old := e.snap.Load(); old != nil && old.version > s.version {
		return nil
	}
	e.snap.Store(s)
	return nil
}

// notify bumps site_version and announces it inside the transaction of
// the change: delivered at commit, not at all on rollback.
func notify(ctx context.Context, tx bun.IDB) (int64, error) {
	var v int64
	if err := tx.NewRaw("UPDATE site_version SET version = version + 1 RETURNING version").Scan(ctx, &v); err != nil {
		return 0, err
	}
	_, err := tx.ExecContext(ctx, "SELECT pg_notify(?, ?)", NotifyChannel, strconv.FormatInt(v, 10))
	return v, err
}

// Snapshot is one immutable version of the store, with the templates
// compiled from it so far.
type Snapshot struct {
	version       int64
	templates     map[string]*WebTemplate  // by name
	pageTemplates map[string]*PageTemplate // by id
	pages         []*WebPage               // by nav order, then path
	snippets      map[string]map[string]string
	settings      map[string]string

	mu       sync.Mutex
	compiled map[string]*compiled
	failed   map[string]error
}

func loadSnapshot(ctx context.Context, db *bun.DB) (*Snapshot, error) {
	s := &Snapshot{templates: map[string]*WebTemplate{}, pageTemplates: map[string]*PageTemplate{},
		snippets: map[string]map[string]string{}, settings: map[string]string{},
		compiled: map[string]*compiled{}, failed: map[string]error{}}
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// One consistent view: the version read is the version of the rows.
		if _, err := tx.ExecContext(ctx, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
			return err
		}
		if err := tx.NewRaw("SELECT version FROM site_version").Scan(ctx, &s.version); err != nil {
			return err
		}
		var tpls []*WebTemplate
		if err := tx.NewSelect().Model(&tpls).Scan(ctx); err != nil {
			return err
		}
		for _, t := range tpls {
			s.templates[t.Name] = t
		}
		var pts []*PageTemplate
		if err := tx.NewSelect().Model(&pts).Scan(ctx); err != nil {
			return err
		}
		for _, p := range pts {
			s.pageTemplates[p.ID] = p
		}
		if err := selectPages(ctx, tx).Scan(ctx, &s.pages); err != nil {
			return err
		}
		var snips []*ContentSnippet
		if err := tx.NewSelect().Model(&snips).Scan(ctx); err != nil {
			return err
		}
		for _, c := range snips {
			if s.snippets[c.Language] == nil {
				s.snippets[c.Language] = map[string]string{}
			}
			s.snippets[c.Language][c.Name] = c.Value
		}
		var sets []*SiteSetting
		if err := tx.NewSelect().Model(&sets).Scan(ctx); err != nil {
			return err
		}
		for _, x := range sets {
			s.settings[x.Name] = x.Value
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, p := range s.pages {
		if pt := s.pageTemplates[p.PageTemplateID]; pt != nil {
			p.PageTemplateName = pt.Name
			if t := s.templateByID(pt.WebTemplateID); t != nil {
				p.WebTemplateName = t.Name
			}
		}
	}
	return s, nil
}

func (s *Snapshot) templateByID(id string) *WebTemplate {
	for _, t := range s.templates {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// Version is the site_version of this snapshot.
func (s *Snapshot) Version() int64 { return s.version }

// Pages are the web pages, in navigation order.
func (s *Snapshot) Pages() []*WebPage { return s.pages }

// Settings are the site settings by name (do not change the map).
func (s *Snapshot) Settings() map[string]string { return s.settings }

// Snippets are the content snippets for a language (BCP 47): the exact
// language first, then its base language (de for de-CH), then the
// language-neutral ones.
func (s *Snapshot) Snippets(lang string) map[string]string {
	out := map[string]string{}
	for k, v := range s.snippets[""] {
		out[k] = v
	}
	base := lang
	for i := range lang {
		if lang[i] == '-' || lang[i] == '_' {
			base = lang[:i]
			break
		}
	}
	for k, v := range s.snippets[base] {
		out[k] = v
	}
	if base != lang {
		for k, v := range s.snippets[lang] {
			out[k] = v
		}
	}
	return out
}

// source reads a template of the snapshot, for the loader.
func (s *Snapshot) source(name string) (string, bool) {
	t, ok := s.templates[name]
	if !ok {
		return "", false
	}
	return t.Source, true
}

// compiledFor compiles a template on first use and keeps it (and a
// failure, so a broken template is not re-parsed on every request).
func (s *Snapshot) compiledFor(api API, name, lang string) (*compiled, error) {
	if lang == "" {
		lang = "en-US"
	}
	key := name + "|" + lang
	s.mu.Lock()
	c, ok := s.compiled[key]
	err := s.failed[key]
	s.mu.Unlock()
	if ok || err != nil {
		return c, err
	}
	c, err = compile(api, name, lang, s.source)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.failed[key] = err
		return nil, err
	}
	s.compiled[key] = c
	return c, nil
}

// Render is one page render: the template, its data, and the request it
// answers.
type Render struct {
	// Template is the web template's name.
	Template string
	// Lang is the viewer's language (BCP 47) for money and dates.
	Lang string
	// Data is the template context: plain data only (maps, lists,
	// strings, numbers, booleans), never values with methods.
	Data map[string]any
	// Posted is the form being shown again after a refused post.
	Posted *Posted
	// CSRFToken goes into every form.
	CSRFToken string
	// API runs the template's GraphQL; the engine's when nil.
	API API

	ctx context.Context
}

// Posted is a form post that was refused: what was typed and what was
// wrong, by field path.
type Posted struct {
	Form string
	// Key tells apart the instances of a form repeated in a loop
	// ({% form … key=line.id %}): only the one posted shows its errors.
	Key    string
	Values map[string]string
	Errors map[string]string
	Error  string
}

// RenderError is a template that failed while rendering: where, for
// administrators and the log (customers see only the request id).
type RenderError struct {
	Template string
	Line     int
	Column   int
	Message  string
}

func (e *RenderError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("template %s, line %d, column %d: %s", e.Template, e.Line, e.Column, e.Message)
	}
	return fmt.Sprintf("template %s: %s", e.Template, e.Message)
}

// Render renders r as the viewer of ctx from snapshot s (the current one
// when nil).
func (e *Engine) Render(ctx context.Context, s *Snapshot, r Render) ([]byte, error) {
	if s == nil {
		s = e.Current()
	}
	if r.API == nil {
		r.API = e.API
	}
	c, err := s.compiledFor(r.API, r.Template, r.Lang)
	if err != nil {
		var se *SourceError
		if errors.As(err, &se) {
			return nil, &RenderError{Template: se.Template, Line: se.Line, Column: se.Column, Message: se.Message}
		}
		return nil, &RenderError{Template: r.Template, Message: err.Error()}
	}
	return e.execute(ctx, c, r)
}

func (e *Engine) execute(ctx context.Context, c *compiled, r Render) (out []byte, err error) {
	defer func() {
		// pongo2 panics on some template mistakes (reaching into a value
		// it cannot read); that is the template's failure, not the server's.
		if p := recover(); p != nil {
			out, err = nil, &RenderError{Template: r.Template, Message: fmt.Sprintf("the template failed: %v", p)}
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, maxRenderTime)
	defer cancel()
	r.ctx = context.WithValue(ctx, renderingKey{}, true)
	registryMu.RLock()
	defer registryMu.RUnlock()
	st := &renderState{r: &r, deadline: time.Now().Add(maxRenderTime)}
	data := make(pongo2.Context, len(r.Data)+1)
	for k, v := range r.Data {
		data[k] = v
	}
	data[stateKey] = st
	var buf bytes.Buffer
	w := &limitWriter{w: &buf, state: st}
	err = c.tpl.ExecuteWriterUnbuffered(data, w)
	if st.err != nil {
		// pongo2 drops the errors of some writes: the bound may have been
		// passed without an error of its.
		re := &RenderError{Template: r.Template}
		if err != nil {
			re = renderError(r.Template, err)
		}
		re.Message = st.err.Error()
		return nil, re
	}
	if err != nil {
		return nil, renderError(r.Template, err)
	}
	return buf.Bytes(), nil
}

func renderError(name string, err error) *RenderError {
	se, _ := pongoError(name, err)
	re := RenderError(se)
	if strings.Contains(re.Message, unresolved) {
		re.Message = errComputedInclude.Error()
	}
	return &re
}

// Form is a form of a page template, found when it is posted.
type Form struct {
	spec *formSpec
}

// Form finds the form named name in the web template (with what it
// includes); nil when there is none.
func (e *Engine) Form(s *Snapshot, template, name string) (*Form, error) {
	if s == nil {
		s = e.Current()
	}
	c, err := s.compiledFor(e.API, template, "")
	if err != nil {
		return nil, err
	}
	spec := c.forms[name]
	if spec == nil {
		return nil, nil
	}
	return &Form{spec: spec}, nil
}

// Mutation is the form's GraphQL mutation.
func (f *Form) Mutation() string { return f.spec.Mutation }

// Redirect is where a successful post goes ("" for back to the page).
func (f *Form) Redirect() string { return f.spec.Redirect }

// Variables builds the mutation's variables from posted fields; see
// formSpec.Variables.
func (f *Form) Variables(posted map[string][]string) (vars map[string]any, values, errs map[string]string) {
	return f.spec.Variables(posted)
}

// Fields are the paths of the form's {% field %} tags.
func (f *Form) Fields() []string { return f.spec.Fields }

// validate compiles every template of the overlay (the snapshot's sources
// with changes laid over: a nil source deletes) and returns the error of
// name, or of any template that compiles today and would not after.
func validate(api API, s *Snapshot, changes map[string]*string) error {
	get := func(n string) (string, bool) {
		if src, ok := changes[n]; ok {
			if src == nil {
				return "", false
			}
			return *src, true
		}
		return s.source(n)
	}
	names := make([]string, 0, len(s.templates)+len(changes))
	for n := range s.templates {
		if _, changed := changes[n]; !changed {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var changed []string
	for n, src := range changes {
		if src != nil {
			changed = append(changed, n)
		}
	}
	sort.Strings(changed)
	for _, n := range changed {
		if _, err := compile(api, n, "en-US", get); err != nil {
			return err
		}
	}
	for _, n := range names {
		if _, err := compile(api, n, "en-US", get); err != nil {
			if _, before := compile(api, n, "en-US", s.source); before != nil {
				continue // already broken: not this change's doing
			}
			return &dependentError{name: n, err: err}
		}
	}
	return nil
}

type dependentError struct {
	name string
	err  error
}

func (e *dependentError) Error() string {
	return fmt.Sprintf("template %s includes or extends it and would break: %v", e.name, e.err)
}

// Overlay is a copy of snapshot s (the current one when nil) with the
// template name's source replaced, checked like a save; for previews.
func (e *Engine) Overlay(s *Snapshot, name, source string) (*Snapshot, error) {
	if s == nil {
		s = e.Current()
	}
	if err := e.checkSource(s, map[string]*string{name: &source}); err != nil {
		return nil, err
	}
	o := &Snapshot{version: s.version, templates: make(map[string]*WebTemplate, len(s.templates)),
		pageTemplates: s.pageTemplates, pages: s.pages, snippets: s.snippets, settings: s.settings,
		compiled: map[string]*compiled{}, failed: map[string]error{}}
	for k, v := range s.templates {
		o.templates[k] = v
	}
	t := WebTemplate{Name: name}
	if old := s.templates[name]; old != nil {
		t = *old
	}
	t.Source = source
	o.templates[name] = &t
	return o, nil
}

// Previewer renders the page at path as the contact asContactID (the
// viewer of ctx when empty) with the web template name (the page's own
// when empty) replaced by source. The site provides it.
type Previewer func(ctx context.Context, name, source, path, asContactID string) ([]byte, error)

type renderingKey struct{}

// PreviewSource renders unsaved source for a path (administrators only).
func (e *Engine) PreviewSource(ctx context.Context, source, path string, asContactID *string) ([]byte, error) {
	return e.PreviewTemplate(ctx, "", source, path, asContactID)
}

// PreviewTemplate renders the page at path with the web template name
// replaced by an unsaved source (administrators only): a layout or an
// included template is previewed on any page that uses it. name "" means
// the page's own template.
func (e *Engine) PreviewTemplate(ctx context.Context, name, source, path string, asContactID *string) ([]byte, error) {
	if ctx.Value(renderingKey{}) != nil {
		// A template's own {% graphql %} asking for a preview would compile
		// inside a render: refused rather than waited for.
		return nil, portal.Errorf(portal.EINVALID, "previewWebTemplate cannot run inside a template.")
	}
	v := portal.ViewerFrom(ctx)
	if v.Anonymous() {
		return nil, portal.Errorf(portal.EUNAUTHENTICATED, "Sign in as an administrator to preview templates.")
	}
	if !v.HasRole(portal.RoleAdministrators) {
		return nil, portal.Errorf(portal.EFORBIDDEN, "Only administrators may preview templates.")
	}
	if err := e.Policy.Require(ctx, policies.TableWebTemplate, policies.Write); err != nil {
		return nil, err
	}
	if e.Previewer == nil {
		return nil, portal.Errorf(portal.EINTERNAL, "The site is not running in this process.")
	}
	as := ""
	if asContactID != nil {
		as = *asContactID
	}
	if name != "" && !ValidName(name) {
		return nil, portal.FieldErrorf("name", "A template name starts with a letter and has only letters, digits and _ (at most 64), like OrderList; got %q.", name)
	}
	return e.Previewer(ctx, name, source, path, as)
}
