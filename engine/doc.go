// Package engine is Portal's page engine: web templates stored in
// PostgreSQL and rendered with pongo2 (v6) in a sandbox, with tags that read
// and write portal data only through the GraphQL schema, as the page's
// viewer.
//
// # Store
//
// web_template (name, pongo2 source, version; every save keeps the previous
// source in web_template_version), page_template (name → web template),
// web_page (path pattern → page template, title, public, roles, nav),
// content_snippet (name, language, value) and site_setting (name, value).
// Every change bumps site_version and sends NOTIFY portal_site; each
// instance then drops its compiled templates and loads the new snapshot
// (with a periodic version check as the fallback for a lost notification).
//
// # Sandbox
//
// Templates are named like identifiers (Layout, Header, OrderList): a name
// with a slash, a dot or anything else that looks like a path is refused.
// {% include "Header" %} and {% extends "Layout" %} take a name in quotes;
// the loader reads only stored templates, never the filesystem, and an
// include of a computed name is refused. Banned tags: ssi, import, macro,
// lorem. Banned filters: ljust, rjust, center, stringformat, floatformat
// (each allocates whatever size it is given); add is bounded. Autoescape is
// on. A render is bounded in time, output size and loop iterations; past a
// bound it stops with an error (the site then shows its Error500 page).
//
// # Context (plain data: maps, lists, strings, numbers, booleans)
//
//	viewer    {signedIn, id, firstName, lastName, name, email, accountId, accountNumber,
//	           accountName, company, roles: [names], isAdmin}
//	page      {title, path, template, params: {name: value}}
//	nav       [{title, path, active}]
//	settings  name → value          snippets  name → text (in the viewer's language)
//	request   {path, query: name → first value, url}
//	csrf_token, request_id, lang (BCP 47)
//
// # Data: {% graphql %}
//
//	{% graphql "query($id: ID!) { order(id: $id) { number status } }" id=page.params.id as res %}
//	{{ res.data.order.number }}  {% for e in res.errors %}{{ e.message }} {{ e.code }} {{ e.field }}{% endfor %}
//
// pongo2 strings cannot hold a newline, so a longer document takes the
// block form:
//
//	{% graphql id=page.params.id as res %}
//	query($id: ID!) { order(id: $id) { number status } }
//	{% endgraphql %}
//
// The document (a query; mutations only through forms) is parsed and
// validated against the schema when the template is saved, and compiled
// once per version; keyword arguments are its variables (values are
// template expressions; an empty value for a nullable variable is null).
// It runs in-process as the page's viewer, so a template can show only
// what the viewer may read through the API.
//
// # Forms: {% form %} and {% field %}
//
//	{% form "createOrder" mutation="mutation($input: OrderInformationInput!) { createOrder(input: $input) { id } }" redirect="/orders/{createOrder.id}/items" %}
//	  {% field "input.requestedReceiptDate" label="Requested receipt date" type="date" required %}
//	  {% field "input.deliveryAddressId" label="Delivery address" type="select" options=addresses %}
//	  <button type="submit">Next</button>
//	{% endform %}
//
// {% form name mutation="…" [redirect="…"] [class=expr] [key=expr] %} renders <form
// method="post"> with the CSRF token and the form's name (hidden input
// _form). The mutation is validated at save time. On POST the site finds the
// form by (page template, name), builds the variables from posted fields
// named by their variable path (input.x, orderId), coerced to the variable's
// GraphQL type (Int, Float, Boolean, ID/String/Decimal/Date; an empty
// optional field is left out), runs the mutation as the viewer, and on
// success redirects to redirect with {path.in.result} filled from the
// result data ({next} is the next query parameter, local paths only), or
// back to the page. On error it renders the page again with status 422, the
// posted values kept and each error's extensions.field shown next to its
// field; other errors at the top of the form (form.error). A form repeated
// in a loop takes key=… (hidden _key): only the instance posted shows the
// posted values and errors. A hand-written form posts _csrf ({{ csrf_token }})
// and _form (the name of a {% form %} on the page it posts to).
//
// {% field path [label="…"] [type="text|email|password|number|date|textarea|select|hidden|checkbox"]
// [required] [options=list of {value,label}] [value=expr] [placeholder="…"] [autocomplete="…"] %}
// renders label, input and error message. Inside a form, form.values and
// form.errors map field paths to the posted value and the error, read with
// {{ form.values|get:"input.x" }}; form.error is the form-level message.
//
// # Filters
//
// money (amount|money:currency), date and datetime (formatted for lang),
// get (map|get:"key"), static ("site.css"|static → /static/site.css?v=hash),
// plus pongo2's built-ins that are not banned.
package engine
