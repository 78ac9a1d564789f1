package migrations

import (
	"context"

	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/uptrace/bun"
)

// RiverSchemaVersion is the version of River's own tables (river_job,
// river_leader, river_queue, ...) that this migration installs. River's
// tables are part of Portal's numbered history, so `portal migrate` and
// `migrate status` cover them: when an upgrade of River brings a new
// version, add a migration that moves to it (TestRiverSchemaIsCurrent in
// package db fails until then).
const RiverSchemaVersion = 8

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return migrateRiver(ctx, db, rivermigrate.DirectionUp, RiverSchemaVersion)
	}, func(ctx context.Context, db *bun.DB) error {
		return migrateRiver(ctx, db, rivermigrate.DirectionDown, -1)
	})
}

func migrateRiver(ctx context.Context, db *bun.DB, dir rivermigrate.Direction, target int) error {
	m, err := rivermigrate.New(riverdatabasesql.New(db.DB), nil)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, dir, &rivermigrate.MigrateOpts{TargetVersion: target})
	return err
}
