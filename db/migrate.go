package db

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/openportal/portal/migrations"
)

// migrationLockKey is the advisory lock that serialises migrations when
// several Portal instances start at once. An advisory lock, unlike bun's
// lock table, is released by PostgreSQL if the process dies mid-migration.
const migrationLockKey = 7_204_511_903

func newMigrator(db *bun.DB) *migrate.Migrator {
	return migrate.NewMigrator(db, migrations.Migrations,
		migrate.WithTableName("schema_migration"),
		migrate.WithLocksTableName("schema_migration_lock"),
		migrate.WithMarkAppliedOnSuccess(true))
}

// Migrate applies every pending migration and returns the names applied.
func Migrate(ctx context.Context, db *bun.DB) ([]string, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", migrationLockKey); err != nil {
		return nil, fmt.Errorf("take migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrationLockKey)

	m := newMigrator(db)
	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("prepare migration tables: %w", err)
	}
	group, err := m.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var names []string
	for _, mg := range group.Migrations {
		names = append(names, mg.Name+"_"+mg.Comment)
	}
	return names, nil
}

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Name    string
	Applied bool
}

// Status lists every known migration, oldest first, with whether it has been
// applied to db.
func Status(ctx context.Context, db *bun.DB) ([]MigrationStatus, error) {
	m := newMigrator(db)
	if err := m.Init(ctx); err != nil {
		return nil, err
	}
	ms, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]MigrationStatus, 0, len(ms))
	for _, mg := range ms {
		out = append(out, MigrationStatus{Name: mg.Name + "_" + mg.Comment, Applied: mg.IsApplied()})
	}
	return out, nil
}

// Pending counts the migrations not yet applied; /readyz reports not ready
// while it is above zero. It does not create the migration tables.
func Pending(ctx context.Context, db *bun.DB) (int, error) {
	var applied int
	err := db.NewRaw(`SELECT count(*) FROM schema_migration WHERE group_id > 0`).Scan(ctx, &applied)
	if err != nil {
		if pe := PgError(err); pe != nil && pe.Code == "42P01" {
			return len(migrations.Migrations.Sorted()), nil
		}
		return 0, err
	}
	return len(migrations.Migrations.Sorted()) - applied, nil
}

// RollbackAll undoes every applied migration, newest first. It exists for
// tests of the down migrations; there is no command for it.
func RollbackAll(ctx context.Context, db *bun.DB) error {
	m := newMigrator(db)
	for {
		group, err := m.Rollback(ctx)
		if err != nil {
			return err
		}
		if group.IsZero() {
			return nil
		}
	}
}
