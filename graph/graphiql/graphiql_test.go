package graphiql

import (
	"bytes"
	"compress/gzip"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The assets the page must load, with the least size each must have. The
// vendored files are far larger; the thresholds only catch an empty or
// truncated file.
var wantAssets = map[string]int{
	"graphiql.min.js":             1 << 20,
	"graphiql.min.css":            100 << 10,
	"react.production.min.js":     5 << 10,
	"react-dom.production.min.js": 100 << 10,
	"bootstrap.js":                200,
	"page.css":                    50,
}

var (
	assetRefRE    = regexp.MustCompile(`<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]*)"`)
	absoluteURLRE = regexp.MustCompile(`(?i)(?:https?:)?//[^\s"'<>)]*`)
	endpointRE    = regexp.MustCompile(`data-endpoint="([^"]*)"`)
)

// get fetches u with client, failing the test on a transport error.
func get(t *testing.T, client *http.Client, u string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", u, err)
	}
	return resp, body
}

// checkPage fetches the page at pageURL and every asset it references, and
// checks what the package promises about them.
func checkPage(t *testing.T, srv *httptest.Server, pageURL, endpoint string) {
	t.Helper()
	resp, body := get(t, srv.Client(), pageURL, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200", pageURL, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("GET %s: Content-Type %q", pageURL, ct)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); csp != ContentSecurityPolicy {
		t.Errorf("GET %s: Content-Security-Policy %q, want %q", pageURL, csp, ContentSecurityPolicy)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("GET %s: Cache-Control %q, want no-cache", pageURL, cc)
	}
	page := string(body)

	m := endpointRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("page has no data-endpoint attribute:\n%s", page)
	}
	if got := html.UnescapeString(m[1]); got != endpoint {
		t.Errorf("data-endpoint decodes to %q, want %q", got, endpoint)
	}

	// No URL with a host may appear in the page: everything it loads comes
	// from the handler, through relative URLs.
	if found := absoluteURLRE.FindAllString(page, -1); len(found) > 0 {
		t.Errorf("page contains absolute URLs %q:\n%s", found, page)
	}

	base, err := url.Parse(resp.Request.URL.String()) // after any redirect
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, ref := range assetRefRE.FindAllStringSubmatch(page, -1) {
		raw := html.UnescapeString(ref[1])
		if raw == "data:," { // the empty favicon
			continue
		}
		rel, err := url.Parse(raw)
		if err != nil {
			t.Errorf("bad asset URL %q: %v", raw, err)
			continue
		}
		if rel.IsAbs() || rel.Host != "" {
			t.Errorf("asset URL %q is not relative", raw)
			continue
		}
		u := base.ResolveReference(rel)
		name := path.Base(u.Path)
		seen = append(seen, name)
		minSize, ok := wantAssets[name]
		if !ok {
			t.Errorf("page references unexpected asset %q", raw)
			continue
		}
		aresp, abody := get(t, srv.Client(), u.String(), nil)
		if aresp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", u, aresp.StatusCode)
			continue
		}
		wantCT := map[string]string{
			".js":  "text/javascript; charset=utf-8",
			".css": "text/css; charset=utf-8",
		}[path.Ext(name)]
		if ct := aresp.Header.Get("Content-Type"); ct != wantCT {
			t.Errorf("GET %s: Content-Type %q, want %q", u, ct, wantCT)
		}
		if len(abody) < minSize {
			t.Errorf("GET %s: %d bytes, want at least %d", u, len(abody), minSize)
		}
		embedded, err := assetFiles.ReadFile("assets/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(abody, embedded) {
			t.Errorf("GET %s: body differs from the embedded file", u)
		}
		if cc := aresp.Header.Get("Cache-Control"); cc != assetCacheControl {
			t.Errorf("GET %s: Cache-Control %q, want %q", u, cc, assetCacheControl)
		}
		if nosniff := aresp.Header.Get("X-Content-Type-Options"); nosniff != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", u, nosniff)
		}
	}
	slices.Sort(seen)
	var want []string
	for name := range wantAssets {
		want = append(want, name)
	}
	slices.Sort(want)
	if !slices.Equal(seen, want) {
		t.Errorf("page references assets %q, want %q", seen, want)
	}
}

func TestPageAndAssets(t *testing.T) {
	h := Handler("/graphql")
	mounts := []struct {
		name  string
		mount func(*http.ServeMux)
		pages []string
	}{
		{
			name: "documented mount",
			mount: func(mux *http.ServeMux) {
				mux.Handle("/graphiql", h)
				mux.Handle("/graphiql/", h)
			},
			pages: []string{"/graphiql", "/graphiql/"},
		},
		{
			name: "subtree only", // ServeMux redirects /graphiql to /graphiql/
			mount: func(mux *http.ServeMux) {
				mux.Handle("/graphiql/", h)
			},
			pages: []string{"/graphiql", "/graphiql/"},
		},
		{
			name: "StripPrefix, nested path",
			mount: func(mux *http.ServeMux) {
				s := http.StripPrefix("/tools/graphiql", h)
				mux.Handle("/tools/graphiql", s)
				mux.Handle("/tools/graphiql/", s)
			},
			pages: []string{"/tools/graphiql", "/tools/graphiql/"},
		},
	}
	for _, tc := range mounts {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			tc.mount(mux)
			srv := httptest.NewServer(mux)
			defer srv.Close()
			for _, p := range tc.pages {
				t.Run(p, func(t *testing.T) {
					checkPage(t, srv, srv.URL+p, "/graphql")
				})
			}
		})
	}
}

func TestEndpointIsEscaped(t *testing.T) {
	endpoint := `/graphql?a=1&b="><script>alert(1)</script>'`
	mux := http.NewServeMux()
	mux.Handle("/graphiql", Handler(endpoint))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	_, body := get(t, srv.Client(), srv.URL+"/graphiql", nil)
	if bytes.Contains(body, []byte("<script>alert")) {
		t.Fatalf("endpoint was not escaped:\n%s", body)
	}
	m := endpointRE.FindSubmatch(body)
	if m == nil {
		t.Fatalf("page has no data-endpoint attribute:\n%s", body)
	}
	// The attribute value must hold the whole endpoint (including its
	// quotes) in escaped form: it ends at the first raw double quote.
	if bytes.ContainsAny(m[1], "<>'") {
		t.Errorf("data-endpoint value %q holds unescaped markup", m[1])
	}
	if got := html.UnescapeString(string(m[1])); got != endpoint {
		t.Errorf("data-endpoint decodes to %q, want %q", got, endpoint)
	}
}

func TestAssetEncodingAndCaching(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/graphiql/", Handler("/graphql"))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	a := loadAssets()["graphiql.min.js"]
	versioned := srv.URL + "/graphiql/assets/graphiql.min.js?v=" + a.version

	// Explicit Accept-Encoding turns off the client's transparent
	// decompression, so the response is seen as sent.
	resp, gz := get(t, srv.Client(), versioned, http.Header{"Accept-Encoding": {"gzip"}})
	if ce := resp.Header.Get("Content-Encoding"); ce != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", ce)
	}
	if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("Vary %q lacks Accept-Encoding", resp.Header.Get("Vary"))
	}
	if len(gz) >= len(a.data)/2 {
		t.Errorf("gzip body is %d bytes for %d bytes of JavaScript", len(gz), len(a.data))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(plain, a.data) {
		t.Error("gzip body does not decompress to the embedded file")
	}
	gzETag := resp.Header.Get("ETag")

	resp, body := get(t, srv.Client(), versioned, http.Header{"Accept-Encoding": {"gzip;q=0, identity"}})
	if ce := resp.Header.Get("Content-Encoding"); ce != "" {
		t.Errorf("gzip;q=0: Content-Encoding %q, want none", ce)
	}
	if !bytes.Equal(body, a.data) {
		t.Error("identity body differs from the embedded file")
	}
	etag := resp.Header.Get("ETag")
	if etag == "" || etag == gzETag {
		t.Errorf("ETags %q (identity) and %q (gzip) must be set and differ", etag, gzETag)
	}

	// Revalidation by ETag.
	resp, _ = get(t, srv.Client(), versioned, http.Header{"Accept-Encoding": {"identity"}, "If-None-Match": {etag}})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", resp.StatusCode)
	}

	// Without the current version the URL may later serve other content, so
	// the response must not be cached as immutable.
	for _, q := range []string{"", "?v=0000000000000000"} {
		resp, _ = get(t, srv.Client(), srv.URL+"/graphiql/assets/graphiql.min.js"+q, nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%q: status %d", q, resp.StatusCode)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("%q: Cache-Control %q, want no-cache", q, cc)
		}
	}

	// The license notices are served too.
	resp, body = get(t, srv.Client(), srv.URL+"/graphiql/assets/LICENSES.txt", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" ||
		!bytes.Contains(body, []byte("graphiql@3.8.3")) {
		t.Errorf("LICENSES.txt: status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestErrors(t *testing.T) {
	h := Handler("/graphql")
	for _, tc := range []struct {
		method, target string
		status         int
	}{
		{http.MethodGet, "/graphiql/assets/nope.js", http.StatusNotFound},
		{http.MethodGet, "/graphiql/assets/", http.StatusNotFound},
		{http.MethodGet, "/graphiql/assets/page.html.tmpl", http.StatusNotFound},
		{http.MethodPost, "/graphiql", http.StatusMethodNotAllowed},
		{http.MethodPut, "/graphiql/assets/bootstrap.js", http.StatusMethodNotAllowed},
		{http.MethodHead, "/graphiql/", http.StatusOK},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, nil))
		if rec.Code != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.target, rec.Code, tc.status)
		}
		if tc.status == http.StatusMethodNotAllowed && rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s: Allow %q", tc.method, tc.target, rec.Header().Get("Allow"))
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                        false,
		"gzip":                    true,
		"GZIP":                    true,
		"deflate, gzip;q=1.0, br": true,
		"gzip;q=0.5":              true,
		"gzip;q=0":                false,
		"gzip; q=0.000":           false,
		"br, identity":            false,
		"x-gzip":                  false,
		"*":                       false,
	} {
		if got := AcceptsGzip(header); got != want {
			t.Errorf("AcceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestAssetBase(t *testing.T) {
	for _, tc := range []struct{ target, want string }{
		{"/graphiql", "./graphiql/assets/"},
		{"/graphiql/", "./assets/"},
		{"/a/b/ide", "./ide/assets/"},
		{"/x:y", "./x:y/assets/"},
		{"/my%20ide", "./my%20ide/assets/"},
	} {
		if got := assetBase(httptest.NewRequest(http.MethodGet, tc.target, nil)); got != tc.want {
			t.Errorf("assetBase(%s) = %q, want %q", tc.target, got, tc.want)
		}
	}
}
