package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"log/slog"

	"github.com/gantry-dev/gantry/core/store/sqlitedb"
)

// ErrSchemaTooNew is returned (wrapped) by Open when the database was written by a newer
// Gantry whose schema version this binary does not know.
var ErrSchemaTooNew = errors.New("workspace database schema is newer than this Gantry")

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations lists the embedded migrations in version order. Versions must run 1, 2, 3, ...
// without gaps; a broken set is a programming error caught by the tests.
var migrations = sqlitedb.MustLoadMigrations(migrationFiles, "migrations")

// SchemaVersion is the newest schema version this binary knows.
func SchemaVersion() int { return len(migrations) }

// migrate applies every pending migration to the workspace database at path through its
// writer w (see sqlitedb.Migrate), with the Go code of migrationCode.
func migrate(ctx context.Context, w *sql.DB, path string, log *slog.Logger) error {
	return sqlitedb.Migrate(ctx, w, migrations, sqlitedb.MigrateOptions{
		TooNew:  ErrSchemaTooNew,
		Code:    migrationCode,
		Logger:  log,
		Message: "applied workspace migration",
		LogArgs: []any{"db", path},
	})
}
