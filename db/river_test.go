package db_test

import (
	"context"
	"testing"

	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/migrations"
)

// TestRiverSchemaIsCurrent: Portal's migrations install River's tables at
// the newest version this build of River knows. After an upgrade of River
// that brings a new version, this fails until a migration moves to it.
func TestRiverSchemaIsCurrent(t *testing.T) {
	d := dbtest.New(t)
	m, err := rivermigrate.New(riverdatabasesql.New(d.DB), nil)
	if err != nil {
		t.Fatal(err)
	}
	all := m.AllVersions()
	if latest := all[len(all)-1].Version; latest != migrations.RiverSchemaVersion {
		t.Errorf("River knows schema version %d, Portal's migrations install %d: add a migration that moves River to %d",
			latest, migrations.RiverSchemaVersion, latest)
	}
	existing, err := m.ExistingVersions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(existing) == 0 || existing[len(existing)-1].Version != migrations.RiverSchemaVersion {
		t.Errorf("installed River versions %v, want up to %d", existing, migrations.RiverSchemaVersion)
	}
	for _, table := range []string{"river_job", "river_leader", "river_queue", "outbox_event", "inbox_event"} {
		var ok bool
		if err := d.NewRaw("SELECT to_regclass(?) IS NOT NULL", table).Scan(context.Background(), &ok); err != nil || !ok {
			t.Errorf("table %s missing (%v)", table, err)
		}
	}
}
