package sqlite_test

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/livenessd/livenessd/store"
	"github.com/livenessd/livenessd/store/sqlite"
	"github.com/livenessd/livenessd/store/storetest"
)

// backend runs the store contract on files in the test's temporary
// directory.
var backend = storetest.Backend{
	NewDatabase: func(tb testing.TB) string { return filepath.Join(tb.TempDir(), "livenessd.db") },
	Open:        func(path string) (store.Store, error) { return sqlite.Open(path) },
	Schema:      migrations,
	Intact: func(t *testing.T, path string) {
		raw(t, path, func(db *sql.DB) {
			var result string
			storetest.Must(t, db.QueryRow(`PRAGMA integrity_check`).Scan(&result))
			if result != "ok" {
				t.Fatalf("integrity_check after the kill: %s", result)
			}
		})
	},
}

func TestContract(t *testing.T) { storetest.Run(t, backend) }

// TestHelperProcess is the second process of the contract's multi-process
// tests; it skips unless one of them started it.
func TestHelperProcess(t *testing.T) { storetest.HelperProcess(t, backend) }

// database/sql's pool goroutines end once every DB is closed, and the driver
// starts none of its own, so no goroutine needs ignoring.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func open(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

// migrations returns the rows of schema_migrations as "version@applied_at".
func migrations(t *testing.T, path string) []string {
	t.Helper()
	var rows []string
	raw(t, path, func(db *sql.DB) {
		rs, err := db.Query(`SELECT version, applied_at FROM schema_migrations ORDER BY version`)
		storetest.Must(t, err)
		defer rs.Close()
		for rs.Next() {
			var v, at int64
			storetest.Must(t, rs.Scan(&v, &at))
			rows = append(rows, fmt.Sprintf("%d@%d", v, at))
		}
		storetest.Must(t, rs.Err())
	})
	if len(rows) == 0 {
		t.Fatal("no migration recorded")
	}
	return rows
}

// raw runs fn on the file at path through the driver directly (registered by
// package sqlite's import), bypassing the store, as an operator's shell would.
func raw(t *testing.T, path string, fn func(*sql.DB)) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	storetest.Must(t, err)
	defer db.Close()
	fn(db)
}

func TestSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gallery.db")
	db, err := sqlite.Open(path)
	storetest.Must(t, err)
	storetest.Must(t, db.Close())
	raw(t, path, func(db *sql.DB) {
		_, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`)
		storetest.Must(t, err)
	})

	db, err = sqlite.Open(path)
	if err == nil {
		db.Close()
		t.Fatal("opened a database migrated by a newer binary")
	}
	if !errors.Is(err, sqlite.ErrSchemaTooNew) || !strings.Contains(err.Error(), "9999") {
		t.Errorf("err = %v, want ErrSchemaTooNew naming version 9999", err)
	}
}

func TestOpenCreatesDirectory(t *testing.T) {
	// Characters that mean something in a URI must still name the file.
	dir := filepath.Join(t.TempDir(), "new dir", "50% ?#&")
	path := filepath.Join(dir, "gallery.db")
	open(t, path)
	st, err := os.Stat(dir)
	storetest.Must(t, err)
	if perm := st.Mode().Perm(); perm&^0o750 != 0 {
		t.Errorf("created directory with mode %v, want at most 0750", perm)
	}
	for _, f := range []string{path, path + "-wal"} {
		st, err := os.Stat(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
		} else if perm := st.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %v, want 0600 (embeddings are biometric data)", filepath.Base(f), perm)
		}
	}
}

// BenchmarkEnrollFace: make bench prints it beside PostgreSQL's.
func BenchmarkEnrollFace(b *testing.B) { storetest.BenchmarkEnroll(b, backend) }

// TestMigrateFromVersion1 opens a database that a binary knowing only the
// first migration wrote: the later tables and columns are added and the
// galleries kept.
func TestMigrateFromVersion1(t *testing.T) {
	ctx := storetest.Ctx(t)
	path := filepath.Join(t.TempDir(), "gallery.db")
	v1, err := os.ReadFile(filepath.Join("migrations", "0001_init.sql"))
	storetest.Must(t, err)
	raw(t, path, func(db *sql.DB) {
		for _, stmt := range []string{
			`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`,
			string(v1),
			`INSERT INTO schema_migrations (version, applied_at) VALUES (1, 12345)`,
			`INSERT INTO galleries (client_id, gallery_id, created_at) VALUES ('acme', 'staff', 0)`,
		} {
			_, err := db.Exec(stmt)
			storetest.Must(t, err)
		}
	})

	db := open(t, path)
	gs, err := db.Galleries(ctx, "acme")
	storetest.Must(t, err)
	if len(gs) != 1 || gs[0].ID != "staff" {
		t.Errorf("galleries after migrating = %+v, want staff", gs)
	}
	storetest.Must(t, db.CreateSession(ctx, storetest.NewSession("s1")))
	storetest.Must(t, db.PutAuditImage(ctx, "s1", 1, []byte("jpeg")))
	storetest.Must(t, db.Close())

	rows := migrations(t, path)
	if len(rows) != 3 || rows[0] != "1@12345" || !strings.HasPrefix(rows[1], "2@") || !strings.HasPrefix(rows[2], "3@") {
		t.Errorf("schema_migrations = %v, want version 1 as it was and versions 2 and 3 added", rows)
	}
}

// TestStorageFull: past WithMaxBytes writes fail with store.ErrStorageFull,
// as on a full disk; Ping says so (the node is not ready), reads and deletes
// still work, and deleting frees room for writes again.
func TestStorageFull(t *testing.T) {
	ctx := storetest.Ctx(t)
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "full.db"), sqlite.WithMaxBytes(1<<20))
	storetest.Must(t, err)
	t.Cleanup(func() { db.Close() })
	storetest.Must(t, db.CreateSession(ctx, storetest.NewSession("s1")))
	jpeg := make([]byte, 32<<10)
	n := 0
	for ; n < 100; n++ {
		err = db.PutAuditImage(ctx, "s1", n+1, jpeg)
		if err != nil {
			break
		}
	}
	if !errors.Is(err, store.ErrStorageFull) || n == 0 {
		t.Fatalf("after %d images of 32 kB into 1 MB: %v, want ErrStorageFull", n, err)
	}
	if err := db.Ping(ctx); !errors.Is(err, store.ErrStorageFull) {
		t.Errorf("Ping on a full store: %v", err)
	}
	if imgs, err := db.AuditImages(ctx, "s1"); err != nil || len(imgs) != n {
		t.Errorf("reading a full store: %v %v", imgs, err)
	}
	if _, err := db.DeleteAuditImages(ctx, "s1"); err != nil {
		t.Errorf("deleting in a full store: %v", err)
	}
	storetest.Must(t, db.Ping(ctx))
	storetest.Must(t, db.PutAuditImage(ctx, "s1", 1, jpeg))
}
