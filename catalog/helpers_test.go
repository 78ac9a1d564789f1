package catalog_test

import (
	"context"
	"testing"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/app"
)

// asAdmin is an administrator's context: every catalog change is allowed.
var asAdmin = portal.WithViewer(context.Background(), &portal.Viewer{RoleKeys: []string{portal.RoleAdministrators}})

// newApp starts a server's App (its product cache included) on d, closed
// when the test ends.
func newApp(t *testing.T, d *bun.DB) *app.App {
	t.Helper()
	a, err := app.New(context.Background(), d, app.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}
