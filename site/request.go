package site

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/engine"
)

var startTime = time.Now()

// request is one site request being answered.
type request struct {
	site   *Site
	w      http.ResponseWriter
	r      *http.Request
	snap   *engine.Snapshot
	viewer *portal.Viewer
	page   *engine.WebPage
	csrf   string
	// me is the viewer's data, read once per request.
	me   map[string]any
	lang string
}

// mayOpen: public pages for all; others for a signed-in viewer holding
// one of the page's roles (any signed-in viewer when it lists none).
func (q *request) mayOpen(p *engine.WebPage) bool {
	if p.Public {
		return true
	}
	if q.viewer.Anonymous() {
		return false
	}
	if len(p.RoleIDs) == 0 {
		return true
	}
	for _, id := range q.viewer.RoleIDs {
		if slices.Contains(p.RoleIDs, id) {
			return true
		}
	}
	return false
}

// viewerQuery reads what templates know of their viewer, through the API
// like everything else.
const viewerQuery = `{ viewer { isAdministrator roles { name } contact { id firstName lastName email language
  company { code name } customerAccount { id accountNumber name } } } }`

func (q *request) viewerData() map[string]any {
	if q.me != nil {
		return q.me
	}
	v := q.viewer
	keys := append([]string{}, v.RoleKeys...)
	me := map[string]any{"signedIn": !v.Anonymous(), "id": v.ContactID, "firstName": "", "lastName": "", "name": "",
		"email": "", "accountId": v.CustomerAccount, "accountNumber": "", "accountName": "", "company": "",
		"roles": []any{}, "roleKeys": keys, "isAdmin": v.HasRole(portal.RoleAdministrators)}
	q.lang = "en-US"
	if !v.Anonymous() {
		res := engine.Result(q.site.cfg.API.Exec(q.r.Context(), viewerQuery, nil))
		data, _ := res["data"].(map[string]any)
		vw, _ := data["viewer"].(map[string]any)
		if vw != nil {
			roles := []any{}
			if rs, ok := vw["roles"].([]any); ok {
				for _, r := range rs {
					if m, ok := r.(map[string]any); ok {
						roles = append(roles, m["name"])
					}
				}
			}
			me["roles"] = roles
			if c, ok := vw["contact"].(map[string]any); ok {
				str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
				me["firstName"], me["lastName"], me["email"] = str(c, "firstName"), str(c, "lastName"), str(c, "email")
				me["name"] = strings.TrimSpace(str(c, "firstName") + " " + str(c, "lastName"))
				if l := str(c, "language"); l != "" {
					q.lang = l
				}
				if co, ok := c["company"].(map[string]any); ok {
					me["company"] = str(co, "name")
				}
				if a, ok := c["customerAccount"].(map[string]any); ok {
					me["accountNumber"], me["accountName"] = str(a, "accountNumber"), str(a, "name")
				}
			}
		}
	} else if l := q.snap.Settings()["default_language"]; l != "" {
		q.lang = l
	}
	q.me = me
	return me
}

// data is the template context of the page.
func (q *request) data(extra map[string]any) map[string]any {
	me := q.viewerData()
	params := map[string]any{}
	for _, seg := range strings.Split(q.page.Path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			name := strings.TrimSuffix(strings.Trim(seg, "{}"), "...")
			if name != "$" {
				params[name] = q.r.PathValue(name)
			}
		}
	}
	query := map[string]any{}
	for k, vs := range q.r.URL.Query() {
		if len(vs) > 0 {
			query[k] = vs[0]
		}
	}
	var nav []any
	for _, p := range q.snap.Pages() {
		if !p.InNav || strings.Contains(p.Path, "{") || !q.mayOpen(p) {
			continue
		}
		nav = append(nav, map[string]any{"title": p.Title, "path": p.Path, "active": p.Path == q.r.URL.Path})
	}
	d := map[string]any{
		"viewer":     me,
		"page":       map[string]any{"title": q.page.Title, "path": q.r.URL.Path, "template": q.page.PageTemplateName, "params": params},
		"nav":        nav,
		"settings":   q.snap.Settings(),
		"snippets":   q.snap.Snippets(q.lang),
		"request":    map[string]any{"path": q.r.URL.Path, "query": query, "url": q.r.URL.RequestURI()},
		"csrf_token": q.csrf,
		"request_id": portal.RequestID(q.r.Context()),
		"lang":       q.lang,
	}
	for k, v := range extra {
		d[k] = v
	}
	return d
}

// renderPage renders the page's template.
func (q *request) renderPage(posted *engine.Posted) ([]byte, error) {
	d := q.data(nil)
	return q.site.cfg.Engine.Render(q.r.Context(), q.snap, engine.Render{Template: q.page.WebTemplateName, Lang: q.lang,
		Data: d, Posted: posted, CSRFToken: q.csrf, API: q.site.cfg.API})
}

func (q *request) render(status int, posted *engine.Posted) {
	html, err := q.renderPage(posted)
	if err != nil {
		q.failed(err)
		return
	}
	q.write(status, html)
}

func (q *request) write(status int, html []byte) {
	h := q.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(html)))
	q.w.WriteHeader(status)
	if q.r.Method != http.MethodHead {
		q.w.Write(html)
	}
}

// failed shows a render failure: customers a friendly page with the
// request id, administrators the template and line; always logged.
func (q *request) failed(err error) {
	var re *engine.RenderError
	if !errors.As(err, &re) {
		re = &engine.RenderError{Template: q.page.WebTemplateName, Message: err.Error()}
	}
	q.site.cfg.Logger.ErrorContext(q.r.Context(), "page render failed", "path", q.r.URL.Path, "template", re.Template,
		"line", re.Line, "column", re.Column, "err", re.Message, "request", portal.RequestID(q.r.Context()))
	q.error(http.StatusInternalServerError, "Something went wrong showing this page.", re)
}

// error renders the error template for status (Error403, Error404,
// Error500), or plain text when that fails too.
func (q *request) error(status int, msg string, re *engine.RenderError) {
	errData := map[string]any{"status": status, "message": msg, "template": "", "line": 0, "column": 0, "detail": ""}
	if re != nil && q.viewer.HasRole(portal.RoleAdministrators) {
		errData["template"], errData["line"], errData["column"], errData["detail"] = re.Template, re.Line, re.Column, re.Message
	}
	name := "Error" + strconv.Itoa(status)
	if status != 403 && status != 404 {
		name = "Error500"
	}
	page := &engine.WebPage{Title: http.StatusText(status), Path: q.r.URL.Path, PageTemplateName: name, WebTemplateName: name}
	if q.page == nil {
		q.page = page
	} else {
		p := *q.page
		p.WebTemplateName, p.PageTemplateName = name, name
		q.page = &p
	}
	d := q.data(map[string]any{"error": errData})
	html, err := q.site.cfg.Engine.Render(q.r.Context(), q.snap, engine.Render{Template: name, Lang: q.lang, Data: d, CSRFToken: q.csrf, API: q.site.cfg.API})
	if err != nil {
		q.site.cfg.Logger.ErrorContext(q.r.Context(), "error page failed", "template", name, "err", err, "request", portal.RequestID(q.r.Context()))
		http.Error(q.w, fmt.Sprintf("%s (request %s)", msg, portal.RequestID(q.r.Context())), status)
		return
	}
	q.write(status, html)
}

// post runs a posted form's mutation as the viewer: on success it
// redirects, on error it shows the page again (422) with what was typed
// and each error next to its field.
func (q *request) post() {
	if err := q.r.ParseForm(); err != nil {
		q.error(http.StatusBadRequest, "The form could not be read; reload the page and try again.", nil)
		return
	}
	if !validCSRF(q.r) {
		q.error(http.StatusForbidden, "This form expired or came from another site; reload the page and try again.", nil)
		return
	}
	name := q.r.PostForm.Get("_form")
	form, err := q.site.cfg.Engine.Form(q.snap, q.page.WebTemplateName, name)
	if err != nil {
		q.failed(err)
		return
	}
	if form == nil {
		q.error(http.StatusBadRequest, "This page has no form named "+strconv.Quote(name)+"; reload the page and try again.", nil)
		return
	}
	vars, values, fieldErrs := form.Variables(q.r.PostForm)
	posted := &engine.Posted{Form: name, Key: q.r.PostForm.Get("_key"), Values: values, Errors: fieldErrs}
	for _, f := range form.Fields() {
		if strings.Contains(strings.ToLower(f), "password") {
			delete(values, f) // never sent back
		}
	}
	if len(fieldErrs) > 0 {
		posted.Error = "Please correct the fields marked below."
		q.render(http.StatusUnprocessableEntity, posted)
		return
	}
	resp := q.site.cfg.API.Exec(q.r.Context(), form.Mutation(), vars)
	res := engine.Result(resp)
	if errs, _ := res["errors"].([]any); len(errs) > 0 {
		known := map[string]bool{}
		for _, f := range form.Fields() {
			known[f] = true
		}
		for k := range q.r.PostForm {
			known[k] = true
		}
		var top []string
		for _, e := range errs {
			m := e.(map[string]any)
			field, _ := m["field"].(string)
			msg, _ := m["message"].(string)
			if field != "" && known[field] {
				if _, dup := posted.Errors[field]; !dup {
					posted.Errors[field] = msg
				}
				continue
			}
			top = append(top, msg)
		}
		if len(top) == 0 {
			top = append(top, "Please correct the fields marked below.")
		}
		posted.Error = strings.Join(top, " ")
		q.render(http.StatusUnprocessableEntity, posted)
		return
	}
	data, _ := res["data"].(map[string]any)
	http.Redirect(q.w, q.r, q.redirect(form.Redirect(), data), http.StatusSeeOther)
}

// redirect fills {path.to.field} from the mutation's result and {next}
// from the query string (local paths only); "" goes back to the page.
func (q *request) redirect(tmpl string, data map[string]any) string {
	if tmpl == "" {
		return q.r.URL.RequestURI()
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			break
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			b.WriteString(tmpl)
			break
		}
		b.WriteString(tmpl[:i])
		key := tmpl[i+1 : i+j]
		if key == "next" {
			b.WriteString(localNext(q.r.URL.Query().Get("next")))
		} else {
			b.WriteString(url.PathEscape(lookup(data, key)))
		}
		tmpl = tmpl[i+j+1:]
	}
	out := b.String()
	if !local(out) {
		return "/"
	}
	return out
}

func lookup(data map[string]any, p string) string {
	var cur any = data
	for _, k := range strings.Split(p, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[k]
	}
	if cur == nil {
		return ""
	}
	return fmt.Sprint(cur)
}

// local reports whether p is a path on this site: /x, not //host or
// /\host (which browsers treat as another host).
func local(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "/\\") &&
		!strings.ContainsAny(p, "\r\n")
}

func localNext(n string) string {
	if local(n) {
		return n
	}
	return "/"
}
