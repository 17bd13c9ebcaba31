package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// TestPragmas checks that the DSN really configures the connections of both
// pools: SQLite ignores a misspelt pragma without a word.
func TestPragmas(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "gallery.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()

	for name, pool := range map[string]*sql.DB{"writer": db.w, "reader": db.r} {
		for pragma, want := range map[string]string{
			"journal_mode": "wal",
			"synchronous":  "2", // FULL
			"foreign_keys": "1",
			"busy_timeout": "5000",
		} {
			var got string
			if err := pool.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s: %s: %v", name, pragma, err)
			}
			if got != want {
				t.Errorf("%s: %s = %s, want %s", name, pragma, got, want)
			}
		}
	}
	if _, err := db.r.ExecContext(ctx, `DELETE FROM galleries`); err == nil {
		t.Error("the read pool accepted a write")
	}
}
