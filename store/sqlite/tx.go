package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"syscall"

	"modernc.org/sqlite"

	"github.com/livenessd/livenessd/store"
)

// readOnly transactions begin DEFERRED whatever the pool's _txlock, so they
// take no write lock and see one WAL snapshot throughout.
var readOnly = &sql.TxOptions{ReadOnly: true}

// inTx runs fn in a transaction on pool and commits if fn succeeds.
func inTx(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, fn func(*sql.Tx) error) error {
	tx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback() // after Commit, or once ctx ended, a no-op returning ErrTxDone
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// checkGallery returns a wrapped store.ErrGalleryNotFound unless the gallery
// exists.
func checkGallery(ctx context.Context, tx *sql.Tx, clientID, galleryID string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM galleries WHERE client_id = ? AND gallery_id = ?`,
		clientID, galleryID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return galleryErr(galleryID, store.ErrGalleryNotFound)
	}
	return err
}

// wantOneRow returns notOne unless res affected a row. The statements it
// checks touch a row by its full primary key, so one is the only success.
func wantOneRow(res sql.Result, notOne error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notOne
	}
	return nil
}

func galleryErr(galleryID string, sentinel error) error {
	return fmt.Errorf("gallery %q: %w", galleryID, sentinel)
}

func faceErr(galleryID, userID string, sentinel error) error {
	return fmt.Errorf("gallery %q, user %q: %w", galleryID, userID, sentinel)
}

// wrap prefixes err, if any, with the package and the operation that failed.
func wrap(err error, op string) error {
	if err == nil {
		return nil
	}
	if full(err) {
		return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrStorageFull, err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// sqliteFull is SQLite's primary result code SQLITE_FULL (stable across
// versions; extended codes keep it in the low byte).
const sqliteFull = 13

// full reports SQLite's "database or disk is full" (SQLITE_FULL) and a write
// the operating system refused for want of space.
func full(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqliteFull {
		return true
	}
	return errors.Is(err, syscall.ENOSPC)
}
