// Package graphiql serves the GraphiQL in-browser GraphQL IDE, with every
// file it needs embedded in the Go binary: the page works on machines with no
// internet access and loads nothing from a CDN.
//
// The embedded files are graphiql 3.8.3 (its standalone UMD bundle and
// stylesheet) with the React 18.3.1 and ReactDOM 18.3.1 UMD production builds,
// all MIT licensed (the GraphiQL bundle includes its dependencies, under MIT
// and similar permissive licenses); assets/LICENSES.txt records where the
// files came from, their licenses, and how to upgrade them.
//
// # Mounting
//
// [Handler] serves the page at the path it is mounted on, with or without a
// trailing slash, and its assets below that path, under assets/. The page
// refers to the assets with relative URLs, so the handler needs no prefix
// configuration. With net/http's ServeMux:
//
//	h := graphiql.Handler("/graphql")
//	mux.Handle("/graphiql", h)  // the page at /graphiql
//	mux.Handle("/graphiql/", h) // the page at /graphiql/, assets at /graphiql/assets/
//
// Any other mount path works the same way, and so does mounting behind
// http.StripPrefix or another router, as long as the handler receives both
// the page's path and the paths below it.
//
// # Security
//
// The page is sent with a Content-Security-Policy that allows scripts, styles
// and network requests from its own origin only (see [ContentSecurityPolicy]),
// so endpoint must be on the same origin as the page; a path such as
// "/graphql" is the usual choice. Requests to the endpoint carry the
// browser's same-origin cookies, and the headers editor lets a user add
// headers such as "Authorization: Bearer ...". Those headers are not saved in
// the browser's storage.
package graphiql

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
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ContentSecurityPolicy is the Content-Security-Policy header value sent with
// the page. It was checked in headless Chromium against the GraphiQL UI
// (schema introspection, running queries, the operation menu, autocomplete,
// prettify, history, the docs explorer, the headers editor, tooltips, the
// settings and shortcut dialogs, the dark theme), none of which needed more:
//
//   - script-src 'self': the page has no inline script (assets/bootstrap.js
//     starts GraphiQL) and the GraphiQL bundle needs no eval.
//   - style-src 'self', without 'unsafe-inline': GraphiQL's stylesheet is a
//     file, and the components set element styles through the DOM, which CSP
//     allows. The one thing blocked is the <style> element that Radix UI's
//     scroll lock (react-remove-scroll-bar) inserts while a menu or dialog is
//     open; the browser console reports it as a CSP violation. It is harmless
//     because that style only stops the page body from scrolling, and the
//     page's own page.css already keeps the body from scrolling. The bundle
//     offers no way to give that element a nonce.
//   - font-src and img-src allow data: because the stylesheet inlines its
//     fonts (Roboto, Fira Code) and a few icons as data: URLs.
//   - connect-src 'self': the endpoint must be on the page's origin.
const ContentSecurityPolicy = "default-src 'none'; " +
	"script-src 'self'; " +
	"style-src 'self'; " +
	"font-src 'self' data:; " +
	"img-src 'self' data:; " +
	"connect-src 'self'; " +
	"base-uri 'none'; " +
	"form-action 'none'; " +
	"frame-ancestors 'none'"

// assetCacheControl is sent for an asset requested with its current version
// (the v query parameter the page puts on every asset URL, a hash of the
// file). A new binary with a different file yields a different URL, so the
// browser may keep the file for as long as it likes.
const assetCacheControl = "public, max-age=31536000, immutable"

//go:embed assets/*.js assets/*.css assets/LICENSES.txt
var assetFiles embed.FS

//go:embed page.html.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("page").Parse(pageSource))

// asset is one embedded file, ready to serve.
type asset struct {
	contentType string
	data        []byte
	version     string // short content hash, used in URLs
	etag        string // strong ETag of data

	gzipOnce sync.Once
	gzipData []byte // nil when compression would not help
}

// gzipped returns the gzip-compressed file, compressing it on first use, or
// nil when compression would not make it smaller.
func (a *asset) gzipped() []byte {
	a.gzipOnce.Do(func() {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return
		}
		if _, err := zw.Write(a.data); err != nil {
			return
		}
		if err := zw.Close(); err != nil {
			return
		}
		if buf.Len() < len(a.data) {
			a.gzipData = buf.Bytes()
		}
	})
	return a.gzipData
}

var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".txt": "text/plain; charset=utf-8",
}

// loadAssets reads and hashes the embedded files once, on first use, so that
// merely importing the package costs nothing at program start.
var loadAssets = sync.OnceValue(func() map[string]*asset {
	entries, err := fs.ReadDir(assetFiles, "assets")
	if err != nil {
		panic("graphiql: reading embedded assets: " + err.Error())
	}
	assets := make(map[string]*asset, len(entries))
	for _, e := range entries {
		name := e.Name()
		data, err := assetFiles.ReadFile("assets/" + name)
		if err != nil {
			panic("graphiql: reading embedded asset: " + err.Error())
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			panic("graphiql: no content type for embedded asset " + name)
		}
		sum := sha256.Sum256(data)
		version := hex.EncodeToString(sum[:8])
		assets[name] = &asset{
			contentType: ct,
			data:        data,
			version:     version,
			etag:        `"` + version + `"`,
		}
	}
	return assets
})

// Handler returns an http.Handler that serves GraphiQL, pointed at the GraphQL
// endpoint (usually a same-origin path such as "/graphql"). See the package
// documentation for how to mount it.
//
// A request whose path ends in /assets/NAME gets the embedded file NAME (or
// 404 if there is none); any other GET or HEAD request gets the page.
func Handler(endpoint string) http.Handler {
	return &handler{endpoint: endpoint, assets: loadAssets()}
}

type handler struct {
	endpoint string
	assets   map[string]*asset
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	dir, name := path.Split(r.URL.Path)
	if dir == "assets/" || strings.HasSuffix(dir, "/assets/") {
		a, ok := h.assets[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		serveAsset(w, r, a)
		return
	}
	h.servePage(w, r)
}

func (h *handler) servePage(w http.ResponseWriter, r *http.Request) {
	base := assetBase(r)
	urls := make(map[string]string, len(h.assets))
	for name, a := range h.assets {
		urls[name] = base + url.PathEscape(name) + "?v=" + a.version
	}
	var buf bytes.Buffer
	err := pageTemplate.Execute(&buf, struct {
		Endpoint string
		Assets   map[string]string
	}{h.endpoint, urls})
	if err != nil {
		http.Error(w, "graphiql: rendering page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	// The page is small and its asset URLs change with each build.
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// assetBase returns the relative URL, as seen from the page the browser
// requested, of the directory holding the assets: "./assets/" when the page's
// URL ends in a slash, and "./LAST/assets/" when it ends in a segment LAST
// (for /graphiql that is ./graphiql/assets/, which resolves to
// /graphiql/assets/). The leading "./" keeps a segment containing a colon
// from being read as a URL scheme.
func assetBase(r *http.Request) string {
	p := r.URL.EscapedPath()
	if p == "" {
		// http.StripPrefix("/graphiql", h) turns /graphiql into an empty
		// path; the browser's view is still in the request line.
		if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
			p = u.EscapedPath()
		}
	}
	if p == "" || strings.HasSuffix(p, "/") {
		return "./assets/"
	}
	return "./" + p[strings.LastIndex(p, "/")+1:] + "/assets/"
}

func serveAsset(w http.ResponseWriter, r *http.Request, a *asset) {
	hd := w.Header()
	hd.Set("Content-Type", a.contentType)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Add("Vary", "Accept-Encoding")
	if r.URL.Query().Get("v") == a.version {
		hd.Set("Cache-Control", assetCacheControl)
	} else {
		// Unversioned (or outdated) URL: the content may change under it
		// with the next build, so the browser must revalidate (by ETag).
		hd.Set("Cache-Control", "no-cache")
	}
	data, etag := a.data, a.etag
	if AcceptsGzip(r.Header.Get("Accept-Encoding")) {
		if gz := a.gzipped(); gz != nil {
			data, etag = gz, `"`+a.version+`-gzip"`
			hd.Set("Content-Encoding", "gzip")
		}
	}
	hd.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

// AcceptsGzip reports whether an Accept-Encoding header value lists gzip
// with a non-zero quality.
func AcceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		for param := range strings.SplitSeq(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(param), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				return err == nil && q > 0
			}
		}
		return true
	}
	return false
}
