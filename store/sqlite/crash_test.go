package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/livenessd/livenessd/store"
	"github.com/livenessd/livenessd/store/sqlite"
)

// crashDBEnv names the database TestHelperWriter writes to; the variable's
// presence is what makes it run.
const crashDBEnv = "LIVENESSD_STORE_CRASH_DB"

// TestCrashDurability kills a writing process with SIGKILL mid-stream and
// checks that the database is intact and holds every enrolment the writer
// saw committed.
func TestCrashDurability(t *testing.T) {
	// About five pages a commit: enough that the WAL passes SQLite's
	// 1000-page auto-checkpoint, so the kill may land in one.
	const commits = 500
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "gallery.db")
	db, err := sqlite.Open(path)
	mustDo(t, err)
	mustDo(t, db.CreateGallery(ctx, "acme", "staff"))
	mustDo(t, db.Close())

	// CommandContext kills the writer should it stall before being killed.
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDBEnv+"="+path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	mustDo(t, err)
	mustDo(t, cmd.Start())

	var committed []string
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		user, ok := strings.CutPrefix(lines.Text(), "committed ")
		if !ok {
			continue
		}
		committed = append(committed, user)
		if len(committed) == commits {
			mustDo(t, cmd.Process.Kill())
		}
	}
	// Reading on to EOF collects what the writer reported before it died.
	err = cmd.Wait()
	if len(committed) < commits {
		t.Fatalf("writer reported %d commits, then exited (%v):\n%s", len(committed), err, stderr.String())
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != -1 {
		t.Fatalf("writer did not die of the kill: %v", err)
	}

	raw(t, path, func(db *sql.DB) {
		var result string
		mustDo(t, db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&result))
		if result != "ok" {
			t.Fatalf("integrity_check after the kill: %s", result)
		}
	})
	db = open(t, path)
	for _, user := range committed {
		f, err := db.Face(ctx, "acme", "staff", user)
		if err != nil {
			t.Fatalf("%s, reported committed, is lost: %v", user, err)
		}
		if !sameBits(f.Embedding, userEmbedding(user)) {
			t.Fatalf("%s came back with another embedding", user)
		}
	}
	list, err := db.Faces(ctx, "acme", "staff")
	mustDo(t, err)
	// The writer may have committed one more that it had no time to report.
	if n := len(list); n != len(committed) && n != len(committed)+1 {
		t.Errorf("%d faces stored, writer reported %d commits", n, len(committed))
	}
	t.Logf("%d commits reported, %d stored", len(committed), len(list))
}

// TestHelperWriter is the process TestCrashDurability kills: it enrols faces
// until killed, printing each user ID once its transaction has committed.
func TestHelperWriter(t *testing.T) {
	path := os.Getenv(crashDBEnv)
	if path == "" {
		t.Skip("run by TestCrashDurability")
	}
	// Bounded, in case the parent died without killing it.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	db, err := sqlite.Open(path)
	mustDo(t, err)
	defer db.Close()
	photo := make([]byte, 16<<10)
	for i := 0; ctx.Err() == nil; i++ {
		user := fmt.Sprintf("user-%06d", i)
		f := store.Face{ClientID: "acme", GalleryID: "staff", UserID: user,
			Embedding: userEmbedding(user), Photo: photo}
		mustDo(t, db.EnrollFace(ctx, f))
		// os.Stdout is unbuffered: the line is in the pipe when Printf returns.
		fmt.Printf("committed %s\n", user)
	}
}

// userEmbedding gives each user of the writer a distinct embedding that the
// parent can recompute.
func userEmbedding(user string) []float32 {
	h := fnv.New32a()
	h.Write([]byte(user))
	return embedding(128, float32(h.Sum32()%1000))
}
