package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/uptrace/bun"

	"github.com/openportal/portal/db"
)

// Manifest is site.json of the default site.
type Manifest struct {
	PageTemplates []struct {
		Name        string `json:"name"`
		WebTemplate string `json:"webTemplate"`
	} `json:"pageTemplates"`
	WebPages []struct {
		Path         string   `json:"path"`
		Title        string   `json:"title"`
		PageTemplate string   `json:"pageTemplate"`
		Public       bool     `json:"public"`
		Roles        []string `json:"roles"`
		InNav        bool     `json:"inNav"`
		NavOrder     int      `json:"navOrder"`
	} `json:"webPages"`
	Snippets []struct {
		Name     string `json:"name"`
		Language string `json:"language"`
		Value    string `json:"value"`
	} `json:"snippets"`
	Settings []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"settings"`
}

// SeedResult says what a seed did.
type SeedResult struct {
	Added, Upgraded []string
	// Kept are templates an administrator edited whose shipped default
	// changed: they stay as edited (see DefaultSource for the new default).
	Kept []string
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Seed adds the default site from fsys (templates/<Name>.html and
// site.json) to the store: what is missing is inserted; a template still
// as it was seeded is upgraded to a changed default; a template an
// administrator edited is never overwritten. It runs as the system.
func Seed(ctx context.Context, d *bun.DB, fsys fs.FS) (*SeedResult, error) {
	res := &SeedResult{}
	files, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var m Manifest
	b, err := fs.ReadFile(fsys, "site.json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("site.json: %w", err)
	}
	err = db.Tx(ctx, d, func(ctx context.Context, tx bun.Tx) error {
		changed := false
		if _, err := tx.ExecContext(ctx, "SELECT version FROM site_version FOR UPDATE"); err != nil {
			return err
		}
		for _, f := range files {
			name := strings.TrimSuffix(path.Base(f), ".html")
			if !ValidName(name) {
				return fmt.Errorf("default template %s: not a template name", f)
			}
			src, err := fs.ReadFile(fsys, f)
			if err != nil {
				return err
			}
			h := hash(string(src))
			t := new(WebTemplate)
			err = tx.NewSelect().Model(t).Where("name = ?", name).Scan(ctx)
			switch {
			case err == errNoRows:
				t = &WebTemplate{Name: name, Source: string(src), Version: 1, DefaultHash: &h}
				if err := tx.NewInsert().Model(t).ExcludeColumn("id", "updated_at").Returning("*").Scan(ctx); err != nil {
					return err
				}
				res.Added = append(res.Added, name)
			case err != nil:
				return err
			case t.DefaultHash != nil && *t.DefaultHash == h:
				continue // unchanged default
			case t.DefaultHash != nil && hash(t.Source) == *t.DefaultHash:
				if err := tx.NewRaw(`UPDATE web_template SET source = ?, version = version + 1, updated_at = now(),
					updated_by = NULL, default_hash = ? WHERE id = ? RETURNING *`, string(src), h, t.ID).Scan(ctx, t); err != nil {
					return err
				}
				res.Upgraded = append(res.Upgraded, name)
			default:
				res.Kept = append(res.Kept, name)
				continue
			}
			changed = true
			if _, err := tx.ExecContext(ctx, `INSERT INTO web_template_version (web_template_id, version, source)
				VALUES (?, ?, ?)`, t.ID, t.Version, t.Source); err != nil {
				return err
			}
		}
		for _, p := range m.PageTemplates {
			r, err := tx.ExecContext(ctx, `INSERT INTO page_template (name, web_template_id)
				SELECT ?, id FROM web_template WHERE name = ? ON CONFLICT (name) DO NOTHING`, p.Name, p.WebTemplate)
			if err != nil {
				return fmt.Errorf("page template %s: %w", p.Name, err)
			}
			if n, _ := r.RowsAffected(); n > 0 {
				changed = true
			}
		}
		for _, p := range m.WebPages {
			var id string
			err := tx.NewRaw(`INSERT INTO web_page (path, title, page_template_id, public, in_nav, nav_order)
				SELECT ?, ?, id, ?, ?, ? FROM page_template WHERE name = ?
				ON CONFLICT (path) DO NOTHING RETURNING id`, p.Path, p.Title, p.Public, p.InNav, p.NavOrder, p.PageTemplate).Scan(ctx, &id)
			if err == errNoRows {
				continue // there already, or its page template is missing
			}
			if err != nil {
				return fmt.Errorf("web page %s: %w", p.Path, err)
			}
			changed = true
			if len(p.Roles) > 0 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO web_page_role (web_page_id, web_role_id)
					SELECT ?, id FROM web_role WHERE lower(name) IN (?) OR key IN (?)`, id, bun.List(lower(p.Roles)), bun.List(p.Roles)); err != nil {
					return err
				}
			}
		}
		for _, s := range m.Snippets {
			r, err := tx.ExecContext(ctx, `INSERT INTO content_snippet (name, language, value) VALUES (?, ?, ?)
				ON CONFLICT (name, language) DO NOTHING`, s.Name, s.Language, s.Value)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n > 0 {
				changed = true
			}
		}
		for _, s := range m.Settings {
			r, err := tx.ExecContext(ctx, `INSERT INTO site_setting (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, s.Name, s.Value)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n > 0 {
				changed = true
			}
		}
		if changed {
			_, err := notify(ctx, tx)
			return err
		}
		return nil
	})
	return res, err
}

func lower(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}

// DefaultSource is the shipped default of a template, for an
// administrator comparing an edited template with a newer default.
func DefaultSource(fsys fs.FS, name string) (string, bool) {
	if !ValidName(name) {
		return "", false
	}
	b, err := fs.ReadFile(fsys, "templates/"+name+".html")
	return string(b), err == nil
}

// Edited reports whether t was changed since it was seeded from a shipped
// default (or was made by an administrator).
func (t *WebTemplate) Edited() bool {
	return t.DefaultHash == nil || hash(t.Source) != *t.DefaultHash
}

// DefaultFor is the default this release ships for t when it differs from
// t's source; "" and false when equal or none ships.
func (e *Engine) DefaultFor(t *WebTemplate) (string, bool) {
	if e.Defaults == nil {
		return "", false
	}
	src, ok := DefaultSource(e.Defaults, t.Name)
	if !ok || src == t.Source {
		return "", false
	}
	return src, true
}
