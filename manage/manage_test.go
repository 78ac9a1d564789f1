package manage

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	portal "github.com/openportal/portal"
)

// TestDistIsBuilt fails when manage/dist was not rebuilt after a change
// under manage/ui: the build records the sha256 of each input in
// dist/sources.txt, and this compares them with the files as they are
// (without Node: it only hashes).
func TestDistIsBuilt(t *testing.T) {
	stale, err := staleSources("ui", "dist/sources.txt")
	if err != nil {
		t.Fatalf("%v: build the app: cd manage/ui && npm ci && npm run build", err)
	}
	if len(stale) > 0 {
		t.Errorf("manage/dist is out of date with manage/ui: %s.\nRebuild and commit it: cd manage/ui && npm ci && npm run build && git add ../dist",
			strings.Join(stale, ", "))
	}
}

// TestStaleSources: the check notices a changed, a new and a deleted source.
func TestStaleSources(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, "ui", filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sum := func(body string) string { s := sha256.Sum256([]byte(body)); return hex.EncodeToString(s[:]) }
	for _, n := range []string{"package.json", "package-lock.json", "build.mjs", "src/main.js", "src/gone.js"} {
		write(n, n)
	}
	var manifest strings.Builder
	for _, n := range []string{"build.mjs", "package-lock.json", "package.json", "src/gone.js", "src/main.js"} {
		manifest.WriteString(sum(n) + "  " + n + "\n")
	}
	sources := filepath.Join(dir, "sources.txt")
	os.WriteFile(sources, []byte(manifest.String()), 0o644)
	tests := []struct {
		name   string
		change func()
		want   string
	}{
		{"up to date", func() {}, ""},
		{"changed", func() { write("src/main.js", "changed") }, "src/main.js (changed or new)"},
		{"new", func() { write("src/screens/new.js", "x") }, "src/main.js (changed or new), src/screens/new.js (changed or new)"},
		{"deleted", func() { os.Remove(filepath.Join(dir, "ui", "src", "gone.js")) }, "src/gone.js (deleted), src/main.js (changed or new), src/screens/new.js (changed or new)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.change()
			stale, err := staleSources(filepath.Join(dir, "ui"), sources)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(stale, ", "); got != tt.want {
				t.Errorf("stale %q, want %q", got, tt.want)
			}
		})
	}
}

// TestGzip: the script goes compressed to clients that take gzip, and
// decompresses to the same bytes.
func TestGzip(t *testing.T) {
	u, err := New()
	if err != nil {
		t.Fatal(err)
	}
	admin := &portal.Viewer{ContactID: "a1", RoleKeys: []string{portal.RoleAdministrators}}
	get := func(accept string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/manage/app.js", nil)
		if accept != "" {
			r.Header.Set("Accept-Encoding", accept)
		}
		w := httptest.NewRecorder()
		u.ServeHTTP(w, r.WithContext(portal.WithViewer(r.Context(), admin)))
		return w
	}
	plain := get("")
	tests := []struct {
		accept string
		gzip   bool
	}{{"", false}, {"gzip, deflate, br", true}, {"br;q=1, GZIP;q=0.5", true}, {"gzip;q=0", false}, {"identity", false}}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			w := get(tt.accept)
			if got := w.Header().Get("Content-Encoding") == "gzip"; got != tt.gzip {
				t.Fatalf("gzip %v, want %v", got, tt.gzip)
			}
			body := w.Body.Bytes()
			if tt.gzip {
				zr, err := gzip.NewReader(w.Body)
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
				if w.Body.Len() > plain.Body.Len()/2 {
					t.Errorf("compressed %d of %d bytes", w.Body.Len(), plain.Body.Len())
				}
			}
			if !bytes.Equal(body, plain.Body.Bytes()) {
				t.Error("the body differs from the plain script")
			}
		})
	}
}

// staleSources compares the inputs under ui with the manifest the build
// wrote: the names of those changed, new or deleted since, sorted.
func staleSources(ui, manifest string) ([]string, error) {
	recorded := map[string]string{}
	f, err := os.Open(manifest)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			return nil, fmt.Errorf("%s: bad line %q", manifest, sc.Text())
		}
		recorded[name] = sum
	}
	current := map[string]string{}
	add := func(name string) error {
		b, err := os.ReadFile(filepath.Join(ui, filepath.FromSlash(name)))
		if err != nil {
			return err
		}
		s := sha256.Sum256(b)
		current[name] = hex.EncodeToString(s[:])
		return nil
	}
	for _, n := range []string{"package.json", "package-lock.json", "build.mjs"} {
		if err := add(n); err != nil {
			return nil, err
		}
	}
	err = filepath.WalkDir(filepath.Join(ui, "src"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(ui, p)
		return add(filepath.ToSlash(rel))
	})
	if err != nil {
		return nil, err
	}
	var stale []string
	for n, s := range current {
		if recorded[n] != s {
			stale = append(stale, n+" (changed or new)")
		}
	}
	for n := range recorded {
		if _, ok := current[n]; !ok {
			stale = append(stale, n+" (deleted)")
		}
	}
	sort.Strings(stale)
	return stale, nil
}

// TestAccess: only administrators get the app or any of its files.
func TestAccess(t *testing.T) {
	u, err := New()
	if err != nil {
		t.Fatal(err)
	}
	anon := &portal.Viewer{}
	customer := &portal.Viewer{ContactID: "c1", RoleKeys: []string{portal.RoleAuthenticatedUsers}}
	admin := &portal.Viewer{ContactID: "a1", RoleKeys: []string{portal.RoleAuthenticatedUsers, portal.RoleAdministrators}}
	tests := []struct {
		name     string
		viewer   *portal.Viewer
		method   string
		path     string
		status   int
		location string
		body     string
	}{
		{"anonymous index goes to sign-in", anon, "GET", "/manage/", http.StatusSeeOther, "/signin?next=%2Fmanage%2F", ""},
		{"anonymous asset goes to sign-in", anon, "GET", "/manage/app.js", http.StatusSeeOther, "/signin?next=%2Fmanage%2F", ""},
		{"customer gets 403 page", customer, "GET", "/manage/", http.StatusForbidden, "", "Administrators only"},
		{"customer gets no asset", customer, "GET", "/manage/app.js", http.StatusForbidden, "", "Administrators only"},
		{"admin gets the shell", admin, "GET", "/manage/", http.StatusOK, "", `<main id="main"`},
		{"admin gets the script", admin, "GET", "/manage/app.js", http.StatusOK, "", ""},
		{"admin gets the styles", admin, "GET", "/manage/app.css", http.StatusOK, "", ":root"},
		{"unknown file", admin, "GET", "/manage/nope.js", http.StatusNotFound, "", ""},
		{"sources list is not served", admin, "GET", "/manage/sources.txt", http.StatusNotFound, "", ""},
		{"post refused", admin, "POST", "/manage/", http.StatusMethodNotAllowed, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, nil)
			r = r.WithContext(portal.WithViewer(r.Context(), tt.viewer))
			w := httptest.NewRecorder()
			u.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if got := w.Header().Get("Location"); got != tt.location {
				t.Errorf("Location %q, want %q", got, tt.location)
			}
			if !strings.Contains(w.Body.String(), tt.body) {
				t.Errorf("body lacks %q: %s", tt.body, w.Body)
			}
			if tt.status == http.StatusOK && w.Header().Get("Content-Security-Policy") == "" {
				t.Error("no Content-Security-Policy")
			}
		})
	}
}
