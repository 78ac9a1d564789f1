// Package manage serves Portal's administration app at /manage/: a
// single-page app (built from manage/ui into manage/dist, which is
// committed and embedded, so serving needs no Node) that works only
// through /graphql and its permissions. The pages themselves are for
// administrators only: an anonymous visitor is sent to the sign-in page, a
// signed-in non-administrator gets a 403 page, and neither gets any asset.
package manage

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/graph/graphiql"
)

// Prefix is where the app is mounted.
const Prefix = "/manage/"

//go:embed dist
var dist embed.FS

// UI is the /manage handler; mount it at Prefix behind authentication
// (server.Route{Viewer: true}).
type UI struct {
	assets  map[string]asset
	index   []byte
	version string
}

type asset struct {
	body, gzipped []byte
	ctype         string
}

// New loads the embedded build.
func New() (*UI, error) {
	u := &UI{assets: map[string]asset{}}
	h := sha256.New()
	for _, name := range []string{"app.js", "app.css"} {
		b, err := fs.ReadFile(dist, "dist/"+name)
		if err != nil {
			return nil, err
		}
		ctype := "text/javascript; charset=utf-8"
		if strings.HasSuffix(name, ".css") {
			ctype = "text/css; charset=utf-8"
		}
		// Compressed once here: the script is mostly CodeMirror, a third
		// of its size gzipped.
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write(b)
		if err := zw.Close(); err != nil {
			return nil, err
		}
		u.assets[name] = asset{body: b, gzipped: gz.Bytes(), ctype: ctype}
		h.Write(b)
	}
	u.version = hex.EncodeToString(h.Sum(nil))[:12]
	var buf bytes.Buffer
	if err := indexPage.Execute(&buf, u.version); err != nil {
		return nil, err
	}
	u.index = buf.Bytes()
	return u, nil
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Manage</title><link rel="stylesheet" href="/manage/app.css?v={{.}}"></head>
<body><header class="topbar"><a class="brand" href="/manage/">Portal · Manage</a><span class="spacer"></span>
<a href="/" target="_blank" rel="noopener">Open the site ↗</a><a href="/signout">Sign out</a></header>
<div class="layout"><nav id="nav" aria-label="Screens"></nav><main id="main" tabindex="-1"></main></div>
<div id="toasts" aria-live="polite"></div>
<script type="module" src="/manage/app.js?v={{.}}"></script></body></html>
`))

var forbiddenPage = []byte(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Not allowed</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:36em;margin:15vh auto;padding:0 16px;color:#1d2430}</style></head>
<body><h1>Administrators only</h1><p>You are signed in, but managing the portal needs the Administrators role.
Ask an administrator to give it to you, or <a href="/signout">sign out</a> and sign in as one.</p>
<p><a href="/">Back to the site</a></p></body></html>
`)

// csp keeps the app to its own files. Styles may be inline because
// CodeMirror injects its theme as <style> elements; frames are the
// template preview (srcdoc, sandboxed without scripts).
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

// ServeHTTP answers administrators with the app and everyone else with the
// sign-in page (anonymous) or a 403 page.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	v := portal.ViewerFrom(r.Context())
	if v.Anonymous() {
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(Prefix), http.StatusSeeOther)
		return
	}
	if !v.HasRole(portal.RoleAdministrators) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		w.Write(forbiddenPage)
		return
	}
	w.Header().Set("Content-Security-Policy", csp)
	w.Header().Set("X-Frame-Options", "DENY")
	name := strings.TrimPrefix(r.URL.Path, Prefix)
	if name == "" || name == "index.html" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(u.index)
		return
	}
	a, ok := u.assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.URL.Query().Get("v") == u.version {
		// Versioned URLs never change: the browser may keep them (privately:
		// only administrators get them).
		w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("Vary", "Accept-Encoding")
	if graphiql.AcceptsGzip(r.Header.Get("Accept-Encoding")) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(a.gzipped)
		return
	}
	w.Write(a.body)
}
