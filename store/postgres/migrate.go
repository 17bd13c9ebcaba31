package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrSchemaTooNew means the database was migrated by a newer binary than this
// one; using it anyway could misread or corrupt data.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary supports")

// migrationFiles are the schema changes, named NNNN_description.sql and
// numbered from 1 without gaps. Never edit one that has shipped: add the next.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the advisory lock key that serialises migrations: nodes
// starting at once on a new database would otherwise race to create it.
const migrationLock = 0x6c69766e // "livn"

// migrate applies the migrations the database lacks, all in one
// transaction that holds the advisory lock, so a crash leaves the schema
// as it was and two nodes never apply one migration twice.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER     PRIMARY KEY,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if current > len(names) {
			return fmt.Errorf("%w: database at version %d, this binary knows up to %d", ErrSchemaTooNew, current, len(names))
		}
		// Glob returns names sorted, and the zero-padded numbers sort as numbers.
		for i, name := range names[current:] {
			v := current + i + 1
			base := strings.TrimPrefix(name, "migrations/")
			if num, _, _ := strings.Cut(base, "_"); num != fmt.Sprintf("%04d", v) {
				return fmt.Errorf("migration %s: want number %04d", base, v)
			}
			sql, err := migrationFiles.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return fmt.Errorf("migration %d: %w", v, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v); err != nil {
				return fmt.Errorf("record migration %d: %w", v, err)
			}
		}
		return nil
	})
}
