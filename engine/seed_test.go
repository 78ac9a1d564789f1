package engine_test

import (
	"context"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/engine"
)

func site(home, about string) fstest.MapFS {
	return fstest.MapFS{
		"templates/Home.html":  {Data: []byte(home)},
		"templates/About.html": {Data: []byte(about)},
		"site.json": {Data: []byte(`{"pageTemplates": [{"name": "Home", "webTemplate": "Home"}],
			"webPages": [{"path": "/", "title": "Home", "pageTemplate": "Home", "public": true, "roles": ["Authorized user"], "inNav": true}],
			"snippets": [{"name": "footer", "language": "en", "value": "Footer"}],
			"settings": [{"name": "site_name", "value": "Portal"}]}`)},
	}
}

// Seeding adds what is missing, upgrades a default nobody edited, and never
// overwrites an administrator's edit.
func TestSeedNeverOverwritesAnEdit(t *testing.T) {
	ctx := context.Background()
	e := newEnvOn(t, dbtest.New(t))
	w := e.world()
	admin := w.Ctx(t, "admin")
	res, err := engine.Seed(ctx, e.db, site("home v1", "about v1"))
	if err != nil || !slices.Equal(res.Added, []string{"About", "Home"}) {
		t.Fatalf("%+v %v", res, err)
	}
	pages, err := e.eng.WebPages(admin)
	if err != nil || len(pages) != 1 || pages[0].Path != "/" || len(pages[0].RoleIDs) != 1 || !pages[0].InNav {
		t.Fatalf("%+v %v", pages, err)
	}
	e.save(admin, "About", "about edited")
	res, err = engine.Seed(ctx, e.db, site("home v2", "about v2"))
	if err != nil || !slices.Equal(res.Upgraded, []string{"Home"}) || !slices.Equal(res.Kept, []string{"About"}) {
		t.Fatalf("%+v %v", res, err)
	}
	if err := e.eng.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"Home": "home v2", "About": "about edited"} {
		got, err := e.render(admin, name, nil)
		if err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", name, got, err, want)
		}
	}
	if src, ok := engine.DefaultSource(site("", "about v2"), "About"); !ok || src != "about v2" {
		t.Fatalf("%q", src)
	}
	// Seeding again changes nothing.
	v := e.eng.Version()
	res, err = engine.Seed(ctx, e.db, site("home v2", "about v2"))
	if err != nil || len(res.Added)+len(res.Upgraded) != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	var now int64
	e.db.NewRaw("SELECT version FROM site_version").Scan(ctx, &now)
	if now != v {
		t.Fatalf("site_version moved from %d to %d", v, now)
	}
}
