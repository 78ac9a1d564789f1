// Package pagetemplates is the default customer site: every page as a pongo2
// web template (templates/<Name>.html becomes the web template <Name>), the
// manifest site.json (page templates, web pages with their paths and access,
// content snippets, site settings) and the one stylesheet (static/site.css).
//
// The engine seeds these into the database on migrate; from then on the
// database copy is what the site renders, and administrators change it
// through GraphQL. An upgrade adds new defaults but never overwrites a
// template an administrator edited.
package pagetemplates

import "embed"

// FS holds templates/*.html, site.json and static/*.
//
//go:embed site.json templates static
var FS embed.FS
