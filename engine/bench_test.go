package engine_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/engine"
)

// benchPage is a page like the default Orders page: a layout with header,
// navigation and footer, and a table of 20 orders with money and dates.
var benchTemplates = map[string]string{
	"Layout": `<!doctype html><html lang="{{ lang }}"><head><title>{{ page.title }} · {{ settings.site_name }}</title>
<link rel="stylesheet" href="{{ "site.css"|static }}"></head><body>{% include "Header" %}
<main>{% block content %}{% endblock %}</main><footer>{{ snippets.footer }}</footer></body></html>`,
	"Header": `<header><a href="/">{{ settings.company_name }}</a><nav>{% for n in nav %}<a href="{{ n.path }}"{% if n.active %} aria-current="page"{% endif %}>{{ n.title }}</a>{% endfor %}</nav>
{% if viewer.signedIn %}<span>{{ viewer.name }}</span>{% else %}<a href="/signin">Sign in</a>{% endif %}</header>`,
	"Orders": `{% extends "Layout" %}{% block content %}<h1>{{ page.title }}</h1><table>
{% for o in orders %}<tr><td><a href="/orders/{{ o.id }}">{{ o.number }}</a></td><td>{{ o.createdAt|date }}</td><td>{{ o.status|lower|capfirst }}</td><td>{{ o.totalAmount|money:o.currency }}</td><td>{{ o.contactPerson.firstName }} {{ o.contactPerson.lastName }}</td></tr>
{% empty %}<tr><td colspan="5">No orders yet.</td></tr>{% endfor %}</table>{% endblock %}`,
}

func benchData() map[string]any {
	var orders []any
	for i := 0; i < 20; i++ {
		orders = append(orders, map[string]any{"id": fmt.Sprintf("id-%d", i), "number": fmt.Sprintf("SO-%06d", i),
			"createdAt": "2026-11-29T10:00:00Z", "status": "SUBMITTED", "totalAmount": "1234.50", "currency": "USD",
			"contactPerson": map[string]any{"firstName": "Alice", "lastName": "Test <&>"}})
	}
	return map[string]any{
		"orders":   orders,
		"lang":     "en-US",
		"page":     map[string]any{"title": "Orders", "path": "/orders"},
		"settings": map[string]string{"site_name": "Portal", "company_name": "Contoso"},
		"snippets": map[string]string{"footer": "Questions? Write to sales@example.com."},
		"nav": []any{map[string]any{"title": "Home", "path": "/", "active": false}, map[string]any{"title": "Orders", "path": "/orders", "active": true},
			map[string]any{"title": "Create order", "path": "/orders/new", "active": false}},
		"viewer": map[string]any{"signedIn": true, "name": "Alice Test"},
	}
}

// BenchmarkRender renders one Orders page (20 rows) from compiled
// templates: what the engine adds to a request besides its GraphQL.
func BenchmarkRender(b *testing.B) {
	e := newEnvOn(b, dbtest.New(b))
	w := e.world()
	admin := w.Ctx(b, "admin")
	for _, n := range []string{"Header", "Layout", "Orders"} {
		e.save(admin, n, benchTemplates[n])
	}
	ctx := portal.WithViewer(context.Background(), &portal.Viewer{})
	data := benchData()
	r := engine.Render{Template: "Orders", Lang: "en-US", Data: data}
	if _, err := e.eng.Render(ctx, nil, r); err != nil {
		b.Fatal(err)
	}
	times := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := e.eng.Render(ctx, nil, r); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Microseconds()), "median-µs")
}
