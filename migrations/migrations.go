// Package migrations holds Portal's database schema as numbered SQL files,
// embedded in the binary and applied by bun's migrator (see package db).
// Files ending in .tx.up.sql run in one transaction each.
package migrations

import (
	"embed"

	"github.com/uptrace/bun/migrate"
)

//go:embed *.sql
var files embed.FS

// Migrations is every migration, discovered from the embedded files.
var Migrations = migrate.NewMigrations()

func init() {
	if err := Migrations.Discover(files); err != nil {
		panic(err)
	}
}
