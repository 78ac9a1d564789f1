// Package site is the customer site: it answers every path that is not the
// API with a web page from the page engine. It routes paths to web_page
// patterns, lets a viewer open only the pages its roles allow (anonymous
// visitors are sent to sign in and back), checks CSRF on form posts, runs
// each form's mutation as the viewer, and shows errors as error templates.
// The viewer is already in the request context (see server.authenticate),
// with the session cookie setter that sign-in forms need.
package site

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/engine"
	"github.com/openportal/portal/identity"
)

// Config is what the site needs.
type Config struct {
	Engine *engine.Engine
	// API runs the pages' GraphQL as their viewer (graph.NewExecutor).
	API engine.API
	// Loaders gives each request its own GraphQL loaders
	// (graph.Resolver.ContextWithLoaders); optional.
	Loaders func(context.Context) context.Context
	// Identity resolves previewWebTemplate's asContactId.
	Identity *identity.Service
	// Assets holds static/… (pagetemplates.FS); optional.
	Assets fs.FS
	Logger *slog.Logger
	// SecureCookies marks the CSRF cookie Secure on plain HTTP (TLS ends
	// at a proxy).
	SecureCookies bool
}

// Site is the customer site's HTTP handler.
type Site struct {
	cfg    Config
	static map[string]staticFile

	mu     sync.Mutex
	routes *routes
}

type staticFile struct {
	body        []byte
	hash        string
	contentType string
}

// New returns the site, registers the engine's static filter and preview.
func New(cfg Config) (*Site, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Site{cfg: cfg, static: map[string]staticFile{}}
	if cfg.Assets != nil {
		err := fs.WalkDir(cfg.Assets, "static", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(cfg.Assets, p)
			if err != nil {
				return err
			}
			h := sha256.Sum256(b)
			ct := mime.TypeByExtension(path.Ext(p))
			if ct == "" {
				ct = "application/octet-stream"
			}
			s.static[strings.TrimPrefix(p, "static/")] = staticFile{body: b, hash: hex.EncodeToString(h[:6]), contentType: ct}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	engine.SetStaticURL(s.staticURL)
	cfg.Engine.Previewer = s.preview
	return s, nil
}

// staticURL is the cache-busted URL of a static file: /static/site.css?v=…
func (s *Site) staticURL(name string) string {
	name = strings.TrimPrefix(name, "/")
	if f, ok := s.static[name]; ok {
		return "/static/" + name + "?v=" + f.hash
	}
	return "/static/" + name
}

// routes is the ServeMux of one snapshot's pages.
type routes struct {
	snap *engine.Snapshot
	mux  *http.ServeMux
}

type pageKey struct{}

func (s *Site) routesFor(snap *engine.Snapshot) *routes {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.routes != nil && s.routes.snap == snap {
		return s.routes
	}
	mux := http.NewServeMux()
	for _, p := range snap.Pages() {
		func() {
			defer func() {
				// A conflicting pattern is refused when saved; one that got
				// in anyway is left out rather than taking the site down.
				if r := recover(); r != nil {
					s.cfg.Logger.Error("web page path left out", "path", p.Path, "err", r)
				}
			}()
			mux.Handle(engine.MuxPattern(p.Path), pageMarker{p})
		}()
	}
	s.routes = &routes{snap: snap, mux: mux}
	return s.routes
}

// pageMarker is a route's handler: it only says which page matched (the
// ServeMux fills in the path values).
type pageMarker struct{ page *engine.WebPage }

func (m pageMarker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, ok := r.Context().Value(pageKey{}).(*matched); ok {
		h.page, h.req = m.page, r
	}
}

type matched struct {
	page *engine.WebPage
	req  *http.Request
}

// match finds the page for r and returns r with its path values.
func (s *Site) match(snap *engine.Snapshot, r *http.Request) (*engine.WebPage, *http.Request) {
	m := &matched{}
	rt := s.routesFor(snap)
	probe := r.WithContext(context.WithValue(r.Context(), pageKey{}, m))
	rt.mux.ServeHTTP(discard{}, probe)
	if m.page == nil {
		return nil, r
	}
	return m.page, m.req.WithContext(r.Context())
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// ServeHTTP answers a site request.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/static/") {
		s.serveStatic(w, r)
		return
	}
	ctx := r.Context()
	if s.cfg.Loaders != nil {
		ctx = s.cfg.Loaders(ctx)
	}
	r = r.WithContext(ctx)
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	snap := s.cfg.Engine.Current()
	req := &request{site: s, w: w, r: r, snap: snap, viewer: portal.ViewerFrom(ctx)}
	req.csrf = s.csrfToken(w, r)
	page, r2 := s.match(snap, r)
	req.r = r2
	if page == nil {
		req.error(http.StatusNotFound, "There is no page at "+r.URL.Path+".", nil)
		return
	}
	req.page = page
	if !req.mayOpen(page) {
		if req.viewer.Anonymous() {
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
			return
		}
		req.error(http.StatusForbidden, "Your roles do not allow this page; ask your administrator if you need it.", nil)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		req.render(http.StatusOK, nil)
	case http.MethodPost:
		req.post()
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		req.error(http.StatusMethodNotAllowed, "This page answers GET and POST only.", nil)
	}
}

func (s *Site) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	f, ok := s.static[name]
	if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	if r.URL.Query().Get("v") == f.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=300")
	}
	w.Header().Set("ETag", `"`+f.hash+`"`)
	http.ServeContent(w, r, name, startTime, bytes.NewReader(f.body))
}

// csrfCookie holds the site's CSRF token (double submit): every form
// carries it, and a post must bring the same value in the form as in the
// cookie, which another site can neither read nor set (SameSite=Strict,
// HttpOnly, and the Origin check below).
const csrfCookie = "portal_csrf"

func (s *Site) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	b := make([]byte, 32)
	rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/", HttpOnly: true,
		Secure: s.cfg.SecureCookies || r.TLS != nil, SameSite: http.SameSiteStrictMode})
	// The form on this very response carries it; the cookie arrives with
	// the post.
	r.AddCookie(&http.Cookie{Name: csrfCookie, Value: tok})
	return tok
}

// validCSRF checks a post: the form's token equals the cookie's, and a
// browser-sent Origin, when present, is this site.
func validCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" {
		return false
	}
	if subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("_csrf"))) != 1 {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	return true
}

// preview renders the page at p as a chosen contact with its template
// replaced by source (previewWebTemplate).
func (s *Site) preview(ctx context.Context, name, source, p, asContactID string) ([]byte, error) {
	u, err := url.Parse(p)
	if err != nil || !strings.HasPrefix(u.Path, "/") {
		return nil, portal.FieldErrorf("path", "The path must be a site path such as /orders.")
	}
	snap := s.cfg.Engine.Current()
	r, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.RequestURI(), nil)
	page, r := s.match(snap, r)
	if page == nil {
		return nil, portal.FieldErrorf("path", "No page has the path %s.", u.Path)
	}
	if page.WebTemplateName == "" {
		return nil, portal.FieldErrorf("path", "The page at %s has no template.", u.Path)
	}
	if name == "" {
		name = page.WebTemplateName
	}
	over, err := s.cfg.Engine.Overlay(snap, name, source)
	if err != nil {
		return nil, err
	}
	if asContactID != "" {
		if !db.ValidID(asContactID) {
			return nil, portal.FieldErrorf("asContactId", "Contact %s does not exist.", asContactID)
		}
		v, err := s.cfg.Identity.ViewerFor(ctx, asContactID)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, portal.FieldErrorf("asContactId", "Contact %s does not exist.", asContactID)
		}
		ctx = portal.WithViewer(ctx, v)
	}
	if s.cfg.Loaders != nil {
		ctx = s.cfg.Loaders(ctx)
	}
	r = r.WithContext(ctx)
	rec := &recorder{header: http.Header{}}
	req := &request{site: s, w: rec, r: r, snap: over, viewer: portal.ViewerFrom(ctx), page: page, csrf: "preview"}
	html, rerr := req.renderPage(nil)
	if rerr != nil {
		var re *engine.RenderError
		if errors.As(rerr, &re) {
			return nil, portal.FieldErrorf("source", "%s", re.Error())
		}
		return nil, rerr
	}
	return html, nil
}

type recorder struct {
	header http.Header
	buf    bytes.Buffer
	status int
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.buf.Write(b) }
func (r *recorder) WriteHeader(s int)           { r.status = s }
