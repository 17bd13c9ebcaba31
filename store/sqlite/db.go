// Package sqlite implements store.Store on a single SQLite file, using the
// pure-Go modernc.org/sqlite driver, so no C SQLite library is needed at build
// or run time.
//
// The database runs in WAL mode with two connection pools: one writer
// connection, so writes queue in Go (honouring ctx) instead of contending for
// SQLite's lock, and several read-only connections, which WAL lets run
// alongside the writer. Timestamps are kept to the millisecond.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/livenessd/livenessd/store"
)

var _ store.Store = (*DB)(nil)

// DB is a store.Store backed by an SQLite database file. It is safe for
// concurrent use.
type DB struct {
	w    *sql.DB // the only connection that writes
	r    *sql.DB // read-only connections
	path string  // absolute, for the disk's free space
}

// pragmas are applied by the driver to every new connection of both pools.
//
//   - busy_timeout waits up to 5 s for a lock another process (a backup, an
//     sqlite3 shell) holds instead of failing at once; the driver runs it
//     first so the other pragmas wait too.
//   - journal_mode(WAL) lets reads proceed while a write commits, and a
//     commit is a single append to the WAL.
//   - synchronous(FULL) fsyncs the WAL on every commit. NORMAL would already
//     survive a process kill (committed pages are in the OS cache), but could
//     lose the last commits on power loss or a kernel crash; an enrolment the
//     API acknowledged must not vanish, and enrolments are rare enough that
//     one fsync each is cheap.
//   - foreign_keys(ON) is off by default in SQLite and per connection; it
//     makes deleting a gallery cascade to its faces, and a session to its
//     audit images.
var pragmas = []string{
	"busy_timeout(5000)",
	"journal_mode(WAL)",
	"synchronous(FULL)",
	"foreign_keys(ON)",
}

// Option adjusts Open.
type Option func(*options)

type options struct{ maxBytes int64 }

// WithMaxBytes caps the database file at about n bytes (SQLite's
// max_page_count): past it writes fail with store.ErrStorageFull as on a
// full disk, while reads and deletes go on. 0 leaves it to the disk.
func WithMaxBytes(n int64) Option { return func(o *options) { o.maxBytes = n } }

// pageSize is SQLite's default page size, which this package never changes.
const pageSize = 4096

// Open opens the database at path, creating it and its parent directory if
// missing, and applies any schema migrations this binary has that the file
// lacks. It fails with ErrSchemaTooNew if the file was migrated by a newer
// binary.
func Open(path string, opts ...Option) (*DB, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// Face embeddings are biometric data: create the file owner-only. SQLite
	// gives its -wal and -shm files the database file's mode.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	f.Close()

	// _txlock=immediate takes the write lock at BEGIN: a deferred transaction
	// that reads first and then writes can fail with SQLITE_BUSY at once,
	// without busy_timeout, if another process wrote in between.
	writer := []string{"_txlock=immediate"}
	if o.maxBytes > 0 {
		writer = append(writer, fmt.Sprintf("_pragma=max_page_count(%d)", max(o.maxBytes/pageSize, 16)))
	}
	w, err := sql.Open("sqlite", dsn(abs, writer...))
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	// query_only guards against a write slipping into the read pool, where it
	// would contend with the writer for the lock.
	r, err := sql.Open("sqlite", dsn(abs, "_pragma=query_only(1)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	r.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))

	db := &DB{w: w, r: r, path: abs}
	if err := migrate(context.Background(), w); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	return db, nil
}

// dsn builds the driver's URI for the file at the absolute path abs. The path
// is escaped because SQLite decodes %XX in URIs and '?' or '#' in a file name
// would otherwise end it.
func dsn(abs string, extra ...string) string {
	q := make([]string, 0, len(pragmas)+len(extra))
	for _, p := range pragmas {
		q = append(q, "_pragma="+p)
	}
	q = append(q, extra...)
	return "file:" + (&url.URL{Path: abs}).EscapedPath() + "?" + strings.Join(q, "&")
}

// Ping checks that both pools can reach the database and that there is room
// to write: a store that can only be read is not ready for traffic.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	if err := db.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return db.room(ctx)
}

// minRoom is the space below which the store counts as full for Ping: room
// for a few audit images (30-100 kB each). Writes still go on until they
// actually fail; readiness just stops sending new traffic first.
const minRoom = 64 * pageSize

// room checks the space left under the page limit (free pages inside the
// file count) and on the file system.
func (db *DB) room(ctx context.Context) error {
	var pages, free, limit int64
	for q, dst := range map[string]*int64{"PRAGMA page_count": &pages, "PRAGMA freelist_count": &free, "PRAGMA max_page_count": &limit} {
		if err := db.w.QueryRowContext(ctx, q).Scan(dst); err != nil {
			return fmt.Errorf("sqlite: ping: %w", err)
		}
	}
	if (limit-pages+free)*pageSize < minRoom {
		return fmt.Errorf("sqlite: ping: %w: %d pages of %d used", store.ErrStorageFull, pages-free, limit)
	}
	var fs syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(db.path), &fs); err == nil && int64(fs.Bavail)*int64(fs.Bsize)+free*pageSize < minRoom {
		return fmt.Errorf("sqlite: ping: %w: %d bytes free on the disk", store.ErrStorageFull, int64(fs.Bavail)*int64(fs.Bsize))
	}
	return nil
}

// Close closes both pools; in-flight calls finish first.
func (db *DB) Close() error {
	return errors.Join(db.r.Close(), db.w.Close())
}
