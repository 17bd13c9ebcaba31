// Package postgres implements store.Store on a PostgreSQL database that
// several livenessd nodes share, through pgx and its connection pool.
//
// Every statement that reads a state and then changes it does so in one
// statement (UPDATE ... WHERE state IN ...) or under a row lock, so two
// nodes finishing, ending or renewing one session at once cannot both win.
// Timestamps are kept to the millisecond, as in store/sqlite, so that both
// backends read back the same values.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/livenessd/livenessd/store"
)

var _ store.Store = (*DB)(nil)

// DB is a store.Store on a PostgreSQL database. It is safe for concurrent
// use, by many goroutines and many processes.
type DB struct {
	pool *pgxpool.Pool
}

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string, as libpq takes) and applies the migrations it lacks. It
// fails with ErrSchemaTooNew if a newer binary migrated the database.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN, password included.
		return nil, errors.New("postgres: store.dsn cannot be parsed")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := &DB{pool: pool}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return db, nil
}

// Ping implements store.Store.
func (db *DB) Ping(ctx context.Context) error {
	return wrap(db.pool.Ping(ctx), "ping")
}

// Close implements store.Store; in-flight calls finish first.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// inTx runs fn in a transaction and commits if fn succeeds.
func (db *DB) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, fn)
}

// ms truncates t to the millisecond, the precision both backends keep.
func ms(t time.Time) time.Time { return t.Truncate(time.Millisecond) }

// wrap prefixes err, if any, with the package and the operation that failed.
func wrap(err error, op string) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	// Class 53 is "insufficient resources": 53100 disk_full among them.
	if errors.As(err, &pe) && pe.Code == "53100" {
		return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrStorageFull, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// wantOneRow returns notOne unless tag says a row was affected.
func wantOneRow(tag pgconn.CommandTag, notOne error) error {
	if tag.RowsAffected() == 0 {
		return notOne
	}
	return nil
}
