package hostedsqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"log/slog"

	"github.com/gantry-dev/gantry/core/store/sqlitedb"
)

// ErrSchemaTooNew is returned (wrapped) by Open when the file was written by a newer Gantry.
var ErrSchemaTooNew = errors.New("server database schema is newer than this Gantry")

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the embedded migrations in version order, numbered 1, 2, 3... without gaps.
var migrations = sqlitedb.MustLoadMigrations(migrationFiles, "migrations")

// SchemaVersion is the newest schema version this binary knows.
func SchemaVersion() int { return len(migrations) }

// migrate applies every pending migration to the server database at path through its
// writer w (see sqlitedb.Migrate).
func migrate(ctx context.Context, w *sql.DB, path string, log *slog.Logger) error {
	return sqlitedb.Migrate(ctx, w, migrations, sqlitedb.MigrateOptions{
		TooNew:  ErrSchemaTooNew,
		Logger:  log,
		Message: "applied server migration",
		LogArgs: []any{"db", path},
	})
}
