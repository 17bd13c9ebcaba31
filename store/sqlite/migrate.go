package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// ErrSchemaTooNew means the database was migrated by a newer binary than this
// one; opening it anyway could misread or corrupt data.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary supports")

// migrationFiles are the schema changes, named NNNN_description.sql and
// numbered from 1 without gaps. Never edit one that has shipped: add the next.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema change.
type migration struct {
	version int
	sql     string
}

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	// Glob returns names sorted, and the zero-padded numbers sort as numbers.
	ms := make([]migration, 0, len(names))
	for i, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %s: want number %04d", base, i+1)
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, sql: string(b)})
	}
	return ms, nil
}

// migrate brings the schema of the database behind w up to the newest
// embedded migration. Each migration runs in its own transaction together
// with the record of its version, so a crash leaves the schema at a version
// boundary, and the version is read inside that transaction, which holds the
// write lock from BEGIN (w is _txlock=immediate), so two processes opening
// the file at once cannot both apply one.
func migrate(ctx context.Context, w *sql.DB) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if _, err := w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for done := false; !done; {
		err := inTx(ctx, w, nil, func(tx *sql.Tx) error {
			var current int
			err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current)
			switch {
			case err != nil:
				return fmt.Errorf("read schema version: %w", err)
			case current > len(ms):
				return fmt.Errorf("%w: database at version %d, this binary knows up to %d",
					ErrSchemaTooNew, current, len(ms))
			case current == len(ms):
				done = true
				return nil
			}
			return apply(ctx, tx, ms[current])
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// apply runs m and records its version, both in tx.
func apply(ctx context.Context, tx *sql.Tx, m migration) error {
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %d: %w", m.version, err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		m.version, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("record migration %d: %w", m.version, err)
	}
	return nil
}
