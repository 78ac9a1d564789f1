package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/policies"
)

// WebTemplate is a stored pongo2 template.
type WebTemplate struct {
	bun.BaseModel `bun:"table:web_template"`
	ID            string `bun:",pk,type:uuid"`
	Name          string
	Source        string
	Version       int
	UpdatedAt     time.Time
	UpdatedBy     *string `bun:",type:uuid"`
	// DefaultHash is the SHA-256 of the shipped default it was seeded
	// from; nil when an administrator created it.
	DefaultHash *string
}

// WebTemplateVersion is one saved version of a template.
type WebTemplateVersion struct {
	bun.BaseModel `bun:"table:web_template_version"`
	WebTemplateID string `bun:",pk,type:uuid"`
	Version       int    `bun:",pk"`
	Source        string
	SavedAt       time.Time
	SavedBy       *string `bun:",type:uuid"`
}

// PageTemplate names the web template that renders a kind of page.
type PageTemplate struct {
	bun.BaseModel `bun:"table:page_template"`
	ID            string `bun:",pk,type:uuid"`
	Name          string
	WebTemplateID string `bun:",type:uuid"`
}

// WebPage maps a site path pattern to a page template.
type WebPage struct {
	bun.BaseModel  `bun:"table:web_page"`
	ID             string `bun:",pk,type:uuid"`
	Path           string
	Title          string
	PageTemplateID string `bun:",type:uuid"`
	Public         bool
	InNav          bool
	NavOrder       int
	// RoleIDs may open a non-public page; empty: any signed-in viewer.
	RoleIDs []string `bun:"role_ids,array,scanonly"`

	PageTemplateName string `bun:"-"`
	WebTemplateName  string `bun:"-"`
}

// ContentSnippet is site text by name and language ("" for any).
type ContentSnippet struct {
	bun.BaseModel `bun:"table:content_snippet"`
	ID            string `bun:",pk,type:uuid"`
	Name          string
	Language      string
	Value         string
}

// SiteSetting is a named site-wide value (site_name, company_name...).
type SiteSetting struct {
	bun.BaseModel `bun:"table:site_setting"`
	Name          string `bun:",pk"`
	Value         string
}

func selectPages(ctx context.Context, idb bun.IDB) *bun.RawQuery {
	return idb.NewRaw(`SELECT p.*, coalesce((SELECT array_agg(r.web_role_id::text ORDER BY r.web_role_id)
		FROM web_page_role r WHERE r.web_page_id = p.id), '{}') AS role_ids
		FROM web_page p ORDER BY p.nav_order, p.path`)
}

// Audit actions.
const (
	ActionTemplateSaved      = "web_template.saved"
	ActionTemplateRolledBack = "web_template.rolled_back"
	ActionTemplateDeleted    = "web_template.deleted"
	ActionPageTemplateSaved  = "page_template.saved"
	ActionPageTemplateDelete = "page_template.deleted"
	ActionWebPageSaved       = "web_page.saved"
	ActionWebPageDeleted     = "web_page.deleted"
	ActionSnippetSaved       = "content_snippet.saved"
	ActionSnippetDeleted     = "content_snippet.deleted"
	ActionSettingSaved       = "site_setting.saved"
)

// audit records who (the viewer of ctx) changed what, in the transaction
// of the change (the same audit_log the identity package writes).
func audit(ctx context.Context, idb bun.IDB, action, subjectType, subjectID string, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	var actor *string
	if id := portal.ViewerFrom(ctx).ContactID; id != "" {
		actor = &id
	}
	_, err = idb.ExecContext(ctx, `INSERT INTO audit_log (actor_id, action, subject_type, subject_id, client_ip, detail)
		VALUES (?, ?, ?, ?, ?, ?)`, actor, action, subjectType, subjectID, portal.ClientIP(ctx), string(b))
	return err
}

func actor(ctx context.Context) *string {
	if id := portal.ViewerFrom(ctx).ContactID; id != "" {
		return &id
	}
	return nil
}

// change runs fn in a transaction that bumps site_version and notifies,
// then reloads this instance's snapshot so the change shows at once here.
func (e *Engine) change(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	err := db.Tx(ctx, e.DB, func(ctx context.Context, tx bun.Tx) error {
		// One change at a time: validation reads the snapshot, so two
		// concurrent saves must not each validate without the other.
		if _, err := tx.ExecContext(ctx, "SELECT version FROM site_version FOR UPDATE"); err != nil {
			return err
		}
		if err := e.Reload(ctx); err != nil {
			return err
		}
		if err := fn(ctx, tx); err != nil {
			return err
		}
		_, err := notify(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	return e.Reload(ctx)
}

// WebTemplates lists every template by name.
func (e *Engine) WebTemplates(ctx context.Context) ([]*WebTemplate, error) {
	if err := e.Policy.Require(ctx, policies.TableWebTemplate, policies.Read); err != nil {
		return nil, err
	}
	var out []*WebTemplate
	return out, e.DB.NewSelect().Model(&out).Order("name").Scan(ctx)
}

// WebTemplate is the template named name; nil when there is none.
func (e *Engine) WebTemplate(ctx context.Context, name string) (*WebTemplate, error) {
	if err := e.Policy.Require(ctx, policies.TableWebTemplate, policies.Read); err != nil {
		return nil, err
	}
	return e.templateNamed(ctx, e.DB, name)
}

func (e *Engine) templateNamed(ctx context.Context, idb bun.IDB, name string) (*WebTemplate, error) {
	t := new(WebTemplate)
	err := idb.NewSelect().Model(t).Where("name = ?", name).Scan(ctx)
	if errors.Is(err, errNoRows) {
		return nil, nil
	}
	return t, err
}

// WebTemplatesByID loads templates by id (for page templates' links).
func (e *Engine) WebTemplatesByID(ctx context.Context, ids []string) ([]*WebTemplate, error) {
	if err := e.Policy.Require(ctx, policies.TableWebTemplate, policies.Read); err != nil {
		return nil, err
	}
	var rows []*WebTemplate
	if valid := db.ValidIDs(ids); len(valid) > 0 {
		if err := e.DB.NewSelect().Model(&rows).Where("id IN (?)", bun.List(valid)).Scan(ctx); err != nil {
			return nil, err
		}
	}
	return db.InOrder(ids, rows, func(t *WebTemplate) string { return t.ID }), nil
}

// History is a template's earlier versions, newest first.
func (e *Engine) History(ctx context.Context, t *WebTemplate, first int) ([]*WebTemplateVersion, error) {
	if err := e.Policy.Require(ctx, policies.TableWebTemplate, policies.Read); err != nil {
		return nil, err
	}
	if first < 0 || first > 100 {
		return nil, portal.FieldErrorf("first", "first must be between 0 and 100.")
	}
	var out []*WebTemplateVersion
	err := e.DB.NewSelect().Model(&out).Where("web_template_id = ? AND version < ?", t.ID, t.Version).
		Order("version DESC").Limit(int64(first)).Scan(ctx)
	return out, err
}

// checkSource refuses a source that could not be stored or that does not
// compile with the rest of the site, naming the line and column.
func (e *Engine) checkSource(s *Snapshot, changes map[string]*string) error {
	for _, src := range changes {
		if src == nil {
			continue
		}
		if !portal.ValidText(*src) {
			return portal.FieldErrorf("source", "The source contains a NUL character or invalid UTF-8.")
		}
		if len(*src) > maxSource {
			return portal.FieldErrorf("source", "The source is longer than %d bytes; split it into templates that include each other.", maxSource)
		}
	}
	err := validate(e.API, s, changes)
	if err == nil {
		return nil
	}
	var de *dependentError
	if errors.As(err, &de) {
		return portal.FieldErrorf("source", "%s", de.Error())
	}
	var se *SourceError
	if errors.As(err, &se) {
		pe := portal.FieldErrorf("source", "%s", se.Error())
		pe.Details = map[string]any{"template": se.Template, "line": se.Line, "column": se.Column}
		return pe
	}
	return err
}

// SaveWebTemplate creates or changes a template. A source that does not
// compile (parse error, unknown tag or filter, missing include, a GraphQL
// document that does not validate) is refused with BAD_USER_INPUT naming
// the line and column, and the site keeps the last good version.
func (e *Engine) SaveWebTemplate(ctx context.Context, name, source string) (*WebTemplate, error) {
	if !ValidName(name) {
		return nil, portal.FieldErrorf("name", "A template name starts with a letter and has only letters, digits and _ (at most 64), like OrderList; got %q.", name)
	}
	return e.saveSource(ctx, name, source, ActionTemplateSaved, 0)
}

// RollbackWebTemplate saves an earlier version's source as the newest
// version (checked like any save: what it includes may have changed).
func (e *Engine) RollbackWebTemplate(ctx context.Context, name string, version int) (*WebTemplate, error) {
	if err := e.Policy.Require(ctx, policies.TableWebTemplate, policies.Write); err != nil {
		return nil, err
	}
	var src string
	err := e.DB.NewRaw(`SELECT v.source FROM web_template_version v JOIN web_template t ON t.id = v.web_template_id
		WHERE t.name = ? AND v.version = ?`, name, version).Scan(ctx, &src)
	if err := db.NotFound(err, "Template %s has no version %d.", name, version); err != nil {
		return nil, err
	}
	return e.saveSource(ctx, name, src, ActionTemplateRolledBack, version)
}

func (e *Engine) saveSource(ctx context.Context, name, src, action string, from int) (*WebTemplate, error) {
	var out *WebTemplate
	err := e.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := e.templateNamed(ctx, tx, name)
		if err != nil {
			return err
		}
		priv := policies.Write
		if t == nil {
			priv = policies.Create
		}
		if err := e.Policy.Require(ctx, policies.TableWebTemplate, priv); err != nil {
			return err
		}
		if err := e.checkSource(e.Current(), map[string]*string{name: &src}); err != nil {
			return err
		}
		if t == nil {
			t = &WebTemplate{Name: name, Source: src, Version: 1, UpdatedBy: actor(ctx)}
			if err := tx.NewInsert().Model(t).ExcludeColumn("id", "updated_at").Returning("*").Scan(ctx); err != nil {
				return err
			}
		} else {
			if err := tx.NewRaw(`UPDATE web_template SET source = ?, version = version + 1, updated_at = now(), updated_by = ?
				WHERE id = ? RETURNING *`, src, actor(ctx), t.ID).Scan(ctx, t); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO web_template_version (web_template_id, version, source, saved_by)
			VALUES (?, ?, ?, ?)`, t.ID, t.Version, src, actor(ctx)); err != nil {
			return err
		}
		detail := map[string]any{"name": name, "version": t.Version}
		if from > 0 {
			detail["from_version"] = from
		}
		out = t
		return audit(ctx, tx, action, policies.TableWebTemplate, t.ID, detail)
	})
	return out, err
}

// DeleteWebTemplate deletes a template no page template uses and no other
// template includes or extends.
func (e *Engine) DeleteWebTemplate(ctx context.Context, name string) error {
	if err := e.Policy.Require(ctx, policies.TableWebTemplate, policies.Delete); err != nil {
		return err
	}
	return e.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := e.templateNamed(ctx, tx, name)
		if err != nil {
			return err
		}
		if t == nil {
			return portal.Errorf(portal.ENOTFOUND, "Template %s does not exist.", name)
		}
		var users []string
		if err := tx.NewRaw("SELECT name FROM page_template WHERE web_template_id = ? ORDER BY name", t.ID).Scan(ctx, &users); err != nil {
			return err
		}
		if len(users) > 0 {
			return portal.Errorf(portal.ECONFLICT, "Template %s renders the page templates %s; point them at another template first.", name, strings.Join(users, ", "))
		}
		if err := validate(e.API, e.Current(), map[string]*string{name: nil}); err != nil {
			var de *dependentError
			if errors.As(err, &de) {
				return portal.Errorf(portal.ECONFLICT, "Template %s includes or extends %s; change it first.", de.name, name)
			}
			return err
		}
		if _, err := tx.NewDelete().Model((*WebTemplate)(nil)).Where("id = ?", t.ID).Exec(ctx); err != nil {
			return err
		}
		return audit(ctx, tx, ActionTemplateDeleted, policies.TableWebTemplate, t.ID, map[string]any{"name": name})
	})
}

// PageTemplates lists the page templates by name.
func (e *Engine) PageTemplates(ctx context.Context) ([]*PageTemplate, error) {
	if err := e.Policy.Require(ctx, policies.TablePageTemplate, policies.Read); err != nil {
		return nil, err
	}
	var out []*PageTemplate
	return out, e.DB.NewSelect().Model(&out).Order("name").Scan(ctx)
}

// PageTemplatesByID loads page templates by id.
func (e *Engine) PageTemplatesByID(ctx context.Context, ids []string) ([]*PageTemplate, error) {
	if err := e.Policy.Require(ctx, policies.TablePageTemplate, policies.Read); err != nil {
		return nil, err
	}
	var rows []*PageTemplate
	if valid := db.ValidIDs(ids); len(valid) > 0 {
		if err := e.DB.NewSelect().Model(&rows).Where("id IN (?)", bun.List(valid)).Scan(ctx); err != nil {
			return nil, err
		}
	}
	return db.InOrder(ids, rows, func(t *PageTemplate) string { return t.ID }), nil
}

// PageTemplateInput creates or changes a page template by name.
type PageTemplateInput struct {
	Name            string
	WebTemplateName string
}

// SavePageTemplate creates or repoints a page template.
func (e *Engine) SavePageTemplate(ctx context.Context, in PageTemplateInput) (*PageTemplate, error) {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 100 || !portal.ValidText(in.Name) {
		return nil, portal.FieldErrorf("name", "A page template needs a name of at most 100 characters.")
	}
	var out *PageTemplate
	err := e.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		pt := new(PageTemplate)
		err := tx.NewSelect().Model(pt).Where("name = ?", in.Name).Scan(ctx)
		exists := err == nil
		if err != nil && !errors.Is(err, errNoRows) {
			return err
		}
		priv := policies.Write
		if !exists {
			priv = policies.Create
		}
		if err := e.Policy.Require(ctx, policies.TablePageTemplate, priv); err != nil {
			return err
		}
		t, err := e.templateNamed(ctx, tx, in.WebTemplateName)
		if err != nil {
			return err
		}
		if t == nil {
			return portal.FieldErrorf("webTemplateName", "Template %q does not exist.", in.WebTemplateName)
		}
		if exists {
			_, err = tx.NewUpdate().Model(pt).Set("web_template_id = ?", t.ID).WherePK().Exec(ctx)
			pt.WebTemplateID = t.ID
		} else {
			pt = &PageTemplate{Name: in.Name, WebTemplateID: t.ID}
			err = tx.NewInsert().Model(pt).ExcludeColumn("id").Returning("*").Scan(ctx)
		}
		if err != nil {
			return err
		}
		out = pt
		return audit(ctx, tx, ActionPageTemplateSaved, policies.TablePageTemplate, pt.ID,
			map[string]any{"name": pt.Name, "webTemplate": t.Name})
	})
	return out, err
}

// WebPages lists the pages in navigation order.
func (e *Engine) WebPages(ctx context.Context) ([]*WebPage, error) {
	if err := e.Policy.Require(ctx, policies.TableWebPage, policies.Read); err != nil {
		return nil, err
	}
	var out []*WebPage
	return out, selectPages(ctx, e.DB).Scan(ctx, &out)
}

// WebPageInput creates or changes a page by path.
type WebPageInput struct {
	Path             string
	Title            string
	PageTemplateName string
	Public           bool
	RoleIDs          []string
	InNav            *bool
	NavOrder         *int
}

// SaveWebPage creates or changes the page at a path pattern.
func (e *Engine) SaveWebPage(ctx context.Context, in WebPageInput) (*WebPage, error) {
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" || len(in.Title) > 200 || !portal.ValidText(in.Title) {
		return nil, portal.FieldErrorf("title", "A page needs a title of at most 200 characters.")
	}
	var out *WebPage
	err := e.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		var existing []*WebPage
		if err := selectPages(ctx, tx).Scan(ctx, &existing); err != nil {
			return err
		}
		var page *WebPage
		others := []string{}
		for _, p := range existing {
			if p.Path == in.Path {
				page = p
			} else {
				others = append(others, p.Path)
			}
		}
		priv := policies.Write
		if page == nil {
			priv = policies.Create
		}
		if err := e.Policy.Require(ctx, policies.TableWebPage, priv); err != nil {
			return err
		}
		if err := CheckPattern(in.Path, others); err != nil {
			return err
		}
		pt := new(PageTemplate)
		if err := tx.NewSelect().Model(pt).Where("name = ?", in.PageTemplateName).Scan(ctx); err != nil {
			if errors.Is(err, errNoRows) {
				return portal.FieldErrorf("pageTemplateName", "Page template %q does not exist.", in.PageTemplateName)
			}
			return err
		}
		if page == nil {
			page = &WebPage{Path: in.Path}
		}
		page.Title, page.PageTemplateID, page.Public = in.Title, pt.ID, in.Public
		if in.InNav != nil {
			page.InNav = *in.InNav
		}
		if in.NavOrder != nil {
			page.NavOrder = *in.NavOrder
		}
		if page.ID == "" {
			if err := tx.NewInsert().Model(page).ExcludeColumn("id").Returning("id").Scan(ctx, &page.ID); err != nil {
				return err
			}
		} else if _, err := tx.NewUpdate().Model(page).ExcludeColumn("id").WherePK().Exec(ctx); err != nil {
			return err
		}
		if in.RoleIDs != nil {
			for _, id := range in.RoleIDs {
				if !db.ValidID(id) {
					return portal.FieldErrorf("roleIds", "Web role %s does not exist.", id)
				}
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM web_page_role WHERE web_page_id = ?", page.ID); err != nil {
				return err
			}
			if len(in.RoleIDs) > 0 {
				res, err := tx.ExecContext(ctx, `INSERT INTO web_page_role (web_page_id, web_role_id)
					SELECT ?, id FROM web_role WHERE id IN (?)`, page.ID, bun.List(in.RoleIDs))
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); int(n) != len(dedupe(in.RoleIDs)) {
					return portal.FieldErrorf("roleIds", "A web role among roleIds does not exist.")
				}
			}
			page.RoleIDs = dedupe(in.RoleIDs)
			sort.Strings(page.RoleIDs)
		}
		out = page
		return audit(ctx, tx, ActionWebPageSaved, policies.TableWebPage, page.ID,
			map[string]any{"path": page.Path, "title": page.Title, "pageTemplate": pt.Name, "public": page.Public})
	})
	return out, err
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// DeleteWebPage deletes the page at a path.
func (e *Engine) DeleteWebPage(ctx context.Context, path string) error {
	if err := e.Policy.Require(ctx, policies.TableWebPage, policies.Delete); err != nil {
		return err
	}
	return e.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		var id string
		err := tx.NewRaw("DELETE FROM web_page WHERE path = ? RETURNING id", path).Scan(ctx, &id)
		if err := db.NotFound(err, "No page has the path %s.", path); err != nil {
			return err
		}
		return audit(ctx, tx, ActionWebPageDeleted, policies.TableWebPage, id, map[string]any{"path": path})
	})
}

var paramPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// CheckPattern refuses a path that is not a ServeMux pattern without
// method or host, or that conflicts with another page's.
func CheckPattern(path string, others []string) (err error) {
	if !strings.HasPrefix(path, "/") || len(path) > 300 || strings.ContainsAny(path, " \t\r\n?#") || !portal.ValidText(path) {
		return portal.FieldErrorf("path", "A page path starts with / and has no spaces, ? or #, like /orders/{id}.")
	}
	if strings.HasPrefix(path, "/static/") || path == "/graphql" || strings.HasPrefix(path, "/graphiql") || path == "/healthz" || path == "/readyz" {
		return portal.FieldErrorf("path", "%s is reserved.", path)
	}
	for _, seg := range strings.Split(path[1:], "/") {
		if strings.HasPrefix(seg, "{") {
			name := strings.TrimSuffix(strings.TrimSuffix(seg[1:], "}"), "...")
			if !strings.HasSuffix(seg, "}") || !paramPattern.MatchString(name) {
				return portal.FieldErrorf("path", "In %s, a parameter is a whole segment like {id}.", path)
			}
		}
	}
	defer func() {
		if p := recover(); p != nil {
			err = portal.FieldErrorf("path", "%s conflicts with another page: %v", path, p)
		}
	}()
	mux := http.NewServeMux()
	nop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	for _, p := range append(others, path) {
		mux.Handle(MuxPattern(p), nop)
	}
	return nil
}

// MuxPattern is the ServeMux pattern of a page path: / matches only the
// home page, not everything.
func MuxPattern(path string) string {
	if path == "/" {
		return "/{$}"
	}
	return path
}

// ContentSnippets lists the snippets by name and language.
func (e *Engine) ContentSnippets(ctx context.Context) ([]*ContentSnippet, error) {
	if err := e.Policy.Require(ctx, policies.TableContentSnippet, policies.Read); err != nil {
		return nil, err
	}
	var out []*ContentSnippet
	return out, e.DB.NewSelect().Model(&out).Order("name", "language").Scan(ctx)
}

var snippetName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// SaveContentSnippet creates or changes a snippet.
func (e *Engine) SaveContentSnippet(ctx context.Context, name, language, value string) (*ContentSnippet, error) {
	if !snippetName.MatchString(name) {
		return nil, portal.FieldErrorf("name", "A snippet name is lower case letters, digits and _ (like footer), at most 64.")
	}
	if len(language) > 35 || !portal.ValidText(language) || strings.ContainsAny(language, " /") {
		return nil, portal.FieldErrorf("language", "The language is a BCP 47 tag like en or de-CH, or empty for any.")
	}
	if !portal.ValidText(value) || len(value) > maxSource {
		return nil, portal.FieldErrorf("value", "The text must be valid UTF-8 without NUL, at most %d bytes.", maxSource)
	}
	var out ContentSnippet
	err := e.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := e.Policy.Require(ctx, policies.TableContentSnippet, policies.Write); err != nil {
			return err
		}
		if err := tx.NewRaw(`INSERT INTO content_snippet (name, language, value) VALUES (?, ?, ?)
			ON CONFLICT (name, language) DO UPDATE SET value = excluded.value RETURNING *`, name, language, value).Scan(ctx, &out); err != nil {
			return err
		}
		return audit(ctx, tx, ActionSnippetSaved, policies.TableContentSnippet, out.ID, map[string]any{"name": name, "language": language})
	})
	return &out, err
}

// DeleteContentSnippet deletes a snippet.
func (e *Engine) DeleteContentSnippet(ctx context.Context, name, language string) error {
	if err := e.Policy.Require(ctx, policies.TableContentSnippet, policies.Delete); err != nil {
		return err
	}
	return e.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		var id string
		err := tx.NewRaw("DELETE FROM content_snippet WHERE name = ? AND language = ? RETURNING id", name, language).Scan(ctx, &id)
		if err := db.NotFound(err, "There is no snippet %s for language %q.", name, language); err != nil {
			return err
		}
		return audit(ctx, tx, ActionSnippetDeleted, policies.TableContentSnippet, id, map[string]any{"name": name, "language": language})
	})
}

// SiteSettings lists the settings by name.
func (e *Engine) SiteSettings(ctx context.Context) ([]*SiteSetting, error) {
	if err := e.Policy.Require(ctx, policies.TableSiteSetting, policies.Read); err != nil {
		return nil, err
	}
	var out []*SiteSetting
	return out, e.DB.NewSelect().Model(&out).Order("name").Scan(ctx)
}

// SaveSiteSetting creates or changes a setting.
func (e *Engine) SaveSiteSetting(ctx context.Context, name, value string) (*SiteSetting, error) {
	if !snippetName.MatchString(name) {
		return nil, portal.FieldErrorf("name", "A setting name is lower case letters, digits and _ (like site_name), at most 64.")
	}
	if !portal.ValidText(value) || len(value) > 10000 {
		return nil, portal.FieldErrorf("value", "The value must be valid UTF-8 without NUL, at most 10000 bytes.")
	}
	out := &SiteSetting{Name: name, Value: value}
	err := e.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := e.Policy.Require(ctx, policies.TableSiteSetting, policies.Write); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO site_setting (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value); err != nil {
			return err
		}
		return audit(ctx, tx, ActionSettingSaved, policies.TableSiteSetting, name, map[string]any{"name": name})
	})
	return out, err
}

var errNoRows = sql.ErrNoRows
