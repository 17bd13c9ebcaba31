package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/livenessd/livenessd/store"
	"github.com/livenessd/livenessd/store/sqlite"
)

// database/sql's pool goroutines end once every DB is closed, and the driver
// starts none of its own, so no goroutine needs ignoring.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testCtx bounds every store call of a test, so a lock wait that never ends
// fails the test instead of hanging it.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
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

func tempDB(t *testing.T) *sqlite.DB {
	return open(t, filepath.Join(t.TempDir(), "gallery.db"))
}

// embedding returns an n-d vector whose first values are the float32s a
// lossy encoding would mangle: -0, ±Inf, a NaN with a payload, a subnormal.
func embedding(n int, seed float32) []float32 {
	e := make([]float32, n)
	for i := range e {
		e[i] = seed + float32(i)/float32(n)
	}
	special := []float32{
		float32(math.Copysign(0, -1)),
		float32(math.Inf(1)),
		float32(math.Inf(-1)),
		math.Float32frombits(0x7fc0_1234),
		math.Float32frombits(1),
	}
	copy(e, special)
	return e
}

func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool {
		return math.Float32bits(x) == math.Float32bits(y)
	})
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func galleryIDs(gs []store.Gallery) []string {
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = fmt.Sprintf("%s:%d", g.ID, g.Faces)
	}
	return ids
}

func userIDs(fs []store.Face) []string {
	ids := make([]string, len(fs))
	for i, f := range fs {
		ids[i] = f.UserID
	}
	return ids
}

func TestRoundTrip(t *testing.T) {
	ctx, db := testCtx(t), tempDB(t)
	before := time.Now().Truncate(time.Millisecond)

	gs, err := db.Galleries(ctx, "acme")
	mustDo(t, err)
	if len(gs) != 0 {
		t.Fatalf("new database lists %v", gs)
	}

	mustDo(t, db.CreateGallery(ctx, "acme", "staff"))
	mustDo(t, db.CreateGallery(ctx, "acme", "guests"))

	photo := []byte("\xff\xd8 not really a jpeg \x00\xff\xd9")
	enrolled := time.Date(2024, 2, 29, 12, 30, 45, 123_456_789, time.FixedZone("CET", 3600))
	faces := []store.Face{
		{ClientID: "acme", GalleryID: "staff", UserID: "u2", UserName: "Bob", Embedding: embedding(128, 2)},
		{ClientID: "acme", GalleryID: "staff", UserID: "u1", UserName: "Ann", Embedding: embedding(128, 1), Photo: photo},
		{ClientID: "acme", GalleryID: "staff", UserID: "u3", UserName: "", Embedding: embedding(512, 3), CreatedAt: enrolled},
		{ClientID: "acme", GalleryID: "staff", UserID: "u0", UserName: "No embedding"},
	}
	for _, f := range faces {
		mustDo(t, db.EnrollFace(ctx, f))
	}

	gs, err = db.Galleries(ctx, "acme")
	mustDo(t, err)
	if got, want := galleryIDs(gs), []string{"guests:0", "staff:4"}; !slices.Equal(got, want) {
		t.Fatalf("galleries (id:faces) = %v, want %v", got, want)
	}
	for _, g := range gs {
		if g.ClientID != "acme" || g.CreatedAt.Location() != time.UTC || g.CreatedAt.Before(before) || time.Since(g.CreatedAt) > time.Minute {
			t.Errorf("gallery %+v: want client acme and a recent UTC CreatedAt", g)
		}
	}

	list, err := db.Faces(ctx, "acme", "staff")
	mustDo(t, err)
	if got, want := userIDs(list), []string{"u0", "u1", "u2", "u3"}; !slices.Equal(got, want) {
		t.Fatalf("faces = %v, want %v", got, want)
	}
	for _, f := range list {
		if f.Embedding != nil || f.Photo != nil {
			t.Errorf("listed face %s carries its embedding or photo", f.UserID)
		}
		if f.ClientID != "acme" || f.GalleryID != "staff" || f.CreatedAt.Location() != time.UTC {
			t.Errorf("listed face %+v: wrong scope or non-UTC time", f)
		}
	}
	if list[1].UserName != "Ann" {
		t.Errorf("u1 listed as %q, want Ann", list[1].UserName)
	}

	for _, want := range faces {
		got, err := db.Face(ctx, "acme", "staff", want.UserID)
		mustDo(t, err)
		if got.ClientID != want.ClientID || got.GalleryID != want.GalleryID || got.UserID != want.UserID || got.UserName != want.UserName {
			t.Errorf("Face(%s) = %+v, want %+v", want.UserID, got, want)
		}
		if !sameBits(got.Embedding, want.Embedding) {
			t.Errorf("Face(%s) embedding differs from the enrolled one", want.UserID)
		}
		if !slices.Equal(got.Photo, want.Photo) || (want.Photo == nil) != (got.Photo == nil) {
			t.Errorf("Face(%s) photo = %q, want %q", want.UserID, got.Photo, want.Photo)
		}
		if got.CreatedAt.Location() != time.UTC {
			t.Errorf("Face(%s) CreatedAt %v is not UTC", want.UserID, got.CreatedAt)
		}
	}
	u3, err := db.Face(ctx, "acme", "staff", "u3")
	mustDo(t, err)
	if want := enrolled.Truncate(time.Millisecond); !u3.CreatedAt.Equal(want) {
		t.Errorf("caller's CreatedAt came back as %v, want %v", u3.CreatedAt, want)
	}

	mustDo(t, db.DeleteFace(ctx, "acme", "staff", "u1"))
	list, err = db.Faces(ctx, "acme", "staff")
	mustDo(t, err)
	if got, want := userIDs(list), []string{"u0", "u2", "u3"}; !slices.Equal(got, want) {
		t.Fatalf("after DeleteFace, faces = %v, want %v", got, want)
	}

	// Deleting the gallery takes its faces: re-created, it starts empty.
	mustDo(t, db.DeleteGallery(ctx, "acme", "staff"))
	gs, err = db.Galleries(ctx, "acme")
	mustDo(t, err)
	if got, want := galleryIDs(gs), []string{"guests:0"}; !slices.Equal(got, want) {
		t.Fatalf("after DeleteGallery, galleries = %v, want %v", got, want)
	}
	mustDo(t, db.CreateGallery(ctx, "acme", "staff"))
	list, err = db.Faces(ctx, "acme", "staff")
	mustDo(t, err)
	if len(list) != 0 {
		t.Fatalf("re-created gallery still holds %v", userIDs(list))
	}
	mustDo(t, db.EnrollFace(ctx, faces[0]))
}

func TestSentinelErrors(t *testing.T) {
	ctx, db := testCtx(t), tempDB(t)
	mustDo(t, db.CreateGallery(ctx, "acme", "staff"))
	ann := store.Face{ClientID: "acme", GalleryID: "staff", UserID: "ann", Embedding: embedding(128, 1)}
	mustDo(t, db.EnrollFace(ctx, ann))
	ghost := ann
	ghost.GalleryID = "ghost"

	getFace := func(gallery, user string) error {
		_, err := db.Face(ctx, "acme", gallery, user)
		return err
	}
	listFaces := func(gallery string) error {
		_, err := db.Faces(ctx, "acme", gallery)
		return err
	}
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"create existing gallery", db.CreateGallery(ctx, "acme", "staff"), store.ErrGalleryExists},
		{"delete missing gallery", db.DeleteGallery(ctx, "acme", "ghost"), store.ErrGalleryNotFound},
		{"enrol into missing gallery", db.EnrollFace(ctx, ghost), store.ErrGalleryNotFound},
		{"enrol enrolled user", db.EnrollFace(ctx, ann), store.ErrFaceExists},
		{"list missing gallery", listFaces("ghost"), store.ErrGalleryNotFound},
		{"get from missing gallery", getFace("ghost", "ann"), store.ErrGalleryNotFound},
		{"get missing user", getFace("staff", "bob"), store.ErrFaceNotFound},
		{"delete from missing gallery", db.DeleteFace(ctx, "acme", "ghost", "ann"), store.ErrGalleryNotFound},
		{"delete missing user", db.DeleteFace(ctx, "acme", "staff", "bob"), store.ErrFaceNotFound},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, c.err, c.want)
		}
	}

	// The failed calls changed nothing.
	f, err := db.Face(ctx, "acme", "staff", "ann")
	mustDo(t, err)
	if !sameBits(f.Embedding, ann.Embedding) {
		t.Error("the duplicate enrolment overwrote the first one")
	}
	gs, err := db.Galleries(ctx, "acme")
	mustDo(t, err)
	if got, want := galleryIDs(gs), []string{"staff:1"}; !slices.Equal(got, want) {
		t.Errorf("galleries = %v, want %v", got, want)
	}
}

func TestClientIsolation(t *testing.T) {
	ctx, db := testCtx(t), tempDB(t)
	mustDo(t, db.CreateGallery(ctx, "alice", "staff"))
	mustDo(t, db.EnrollFace(ctx, store.Face{ClientID: "alice", GalleryID: "staff", UserID: "u1", Embedding: embedding(128, 1)}))

	// Bob sees none of Alice's gallery, under any method.
	gs, err := db.Galleries(ctx, "bob")
	mustDo(t, err)
	if len(gs) != 0 {
		t.Errorf("bob lists alice's galleries: %v", gs)
	}
	if _, err := db.Faces(ctx, "bob", "staff"); !errors.Is(err, store.ErrGalleryNotFound) {
		t.Errorf("bob listing alice's gallery: err = %v", err)
	}
	if _, err := db.Face(ctx, "bob", "staff", "u1"); !errors.Is(err, store.ErrGalleryNotFound) {
		t.Errorf("bob reading alice's face: err = %v", err)
	}
	if err := db.EnrollFace(ctx, store.Face{ClientID: "bob", GalleryID: "staff", UserID: "u2"}); !errors.Is(err, store.ErrGalleryNotFound) {
		t.Errorf("bob enrolling into alice's gallery: err = %v", err)
	}
	if err := db.DeleteFace(ctx, "bob", "staff", "u1"); !errors.Is(err, store.ErrGalleryNotFound) {
		t.Errorf("bob deleting alice's face: err = %v", err)
	}
	if err := db.DeleteGallery(ctx, "bob", "staff"); !errors.Is(err, store.ErrGalleryNotFound) {
		t.Errorf("bob deleting alice's gallery: err = %v", err)
	}

	// Bob's own "staff" is a separate gallery: same IDs, independent fates.
	mustDo(t, db.CreateGallery(ctx, "bob", "staff"))
	mustDo(t, db.EnrollFace(ctx, store.Face{ClientID: "bob", GalleryID: "staff", UserID: "u1", UserName: "Bob's u1", Embedding: embedding(128, 9)}))
	mustDo(t, db.EnrollFace(ctx, store.Face{ClientID: "bob", GalleryID: "staff", UserID: "u2", Embedding: embedding(128, 8)}))
	mustDo(t, db.DeleteFace(ctx, "bob", "staff", "u1"))

	a, err := db.Face(ctx, "alice", "staff", "u1")
	mustDo(t, err)
	if !sameBits(a.Embedding, embedding(128, 1)) || a.UserName != "" {
		t.Errorf("alice's u1 changed with bob's: %+v", a)
	}
	mustDo(t, db.DeleteGallery(ctx, "bob", "staff"))
	for client, want := range map[string][]string{"alice": {"staff:1"}, "bob": {}} {
		gs, err := db.Galleries(ctx, client)
		mustDo(t, err)
		if got := galleryIDs(gs); !slices.Equal(got, want) {
			t.Errorf("%s's galleries = %v, want %v", client, got, want)
		}
	}
}

func TestReopen(t *testing.T) {
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "gallery.db")
	db, err := sqlite.Open(path)
	mustDo(t, err)
	mustDo(t, db.CreateGallery(ctx, "acme", "staff"))
	mustDo(t, db.EnrollFace(ctx, store.Face{ClientID: "acme", GalleryID: "staff", UserID: "u1", Embedding: embedding(128, 1), Photo: []byte{1, 2, 3}}))
	mustDo(t, db.Close())
	migrated := migrations(t, path)

	db = open(t, path)
	f, err := db.Face(ctx, "acme", "staff", "u1")
	mustDo(t, err)
	if !sameBits(f.Embedding, embedding(128, 1)) || !slices.Equal(f.Photo, []byte{1, 2, 3}) {
		t.Errorf("face after reopening = %+v", f)
	}
	mustDo(t, db.Close())
	if again := migrations(t, path); !slices.Equal(again, migrated) {
		t.Errorf("reopening changed schema_migrations from %v to %v", migrated, again)
	}
}

// migrations returns the rows of schema_migrations as "version@applied_at".
func migrations(t *testing.T, path string) []string {
	t.Helper()
	var rows []string
	raw(t, path, func(db *sql.DB) {
		rs, err := db.Query(`SELECT version, applied_at FROM schema_migrations ORDER BY version`)
		mustDo(t, err)
		defer rs.Close()
		for rs.Next() {
			var v, at int64
			mustDo(t, rs.Scan(&v, &at))
			rows = append(rows, fmt.Sprintf("%d@%d", v, at))
		}
		mustDo(t, rs.Err())
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
	mustDo(t, err)
	defer db.Close()
	fn(db)
}

func TestSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gallery.db")
	db, err := sqlite.Open(path)
	mustDo(t, err)
	mustDo(t, db.Close())
	raw(t, path, func(db *sql.DB) {
		_, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`)
		mustDo(t, err)
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
	mustDo(t, err)
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

func TestCancelledContext(t *testing.T) {
	db := tempDB(t)
	ctx, cancel := context.WithCancel(testCtx(t))
	cancel()
	if err := db.CreateGallery(ctx, "acme", "staff"); !errors.Is(err, context.Canceled) {
		t.Errorf("write with a cancelled ctx: err = %v", err)
	}
	if _, err := db.Galleries(ctx, "acme"); !errors.Is(err, context.Canceled) {
		t.Errorf("read with a cancelled ctx: err = %v", err)
	}
	if err := db.Ping(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("ping with a cancelled ctx: err = %v", err)
	}
	mustDo(t, db.Ping(testCtx(t)))
}

func TestConcurrentUse(t *testing.T) {
	const workers, ops = 8, 50
	ctx, db := testCtx(t), tempDB(t)
	mustDo(t, db.CreateGallery(ctx, "acme", "shared"))

	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			errs <- worker(ctx, db, w, ops)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}

	// Each worker deleted every third of its faces from the shared gallery.
	list, err := db.Faces(ctx, "acme", "shared")
	mustDo(t, err)
	if want := workers * (ops - (ops+2)/3); len(list) != want {
		t.Errorf("shared gallery holds %d faces, want %d", len(list), want)
	}
	gs, err := db.Galleries(ctx, "acme")
	mustDo(t, err)
	if len(gs) != workers+1 {
		t.Errorf("%d galleries, want %d", len(gs), workers+1)
	}
}

// worker mixes writes and reads on a gallery of its own and on a shared one.
func worker(ctx context.Context, db store.Store, w, ops int) error {
	own := fmt.Sprintf("worker-%d", w)
	if err := db.CreateGallery(ctx, "acme", own); err != nil {
		return err
	}
	for i := range ops {
		user := fmt.Sprintf("w%d-u%03d", w, i)
		emb := embedding(128, float32(w*ops+i))
		for _, g := range []string{"shared", own} {
			if err := db.EnrollFace(ctx, store.Face{ClientID: "acme", GalleryID: g, UserID: user, Embedding: emb}); err != nil {
				return err
			}
		}
		f, err := db.Face(ctx, "acme", "shared", user)
		if err != nil {
			return err
		}
		if !sameBits(f.Embedding, emb) {
			return fmt.Errorf("%s read back another embedding", user)
		}
		if _, err := db.Faces(ctx, "acme", own); err != nil {
			return err
		}
		if _, err := db.Galleries(ctx, "acme"); err != nil {
			return err
		}
		if i%3 == 0 {
			if err := db.DeleteFace(ctx, "acme", "shared", user); err != nil {
				return err
			}
		}
	}
	list, err := db.Faces(ctx, "acme", own)
	if err != nil {
		return err
	}
	if len(list) != ops {
		return fmt.Errorf("%s holds %d faces, want %d", own, len(list), ops)
	}
	return nil
}

// BenchmarkEnrollFace measures one durable enrolment: a transaction with a
// 128-d embedding and a 20 kB photo, fsynced at commit.
func BenchmarkEnrollFace(b *testing.B) {
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "gallery.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := b.Context()
	if err := db.CreateGallery(ctx, "acme", "staff"); err != nil {
		b.Fatal(err)
	}
	f := store.Face{ClientID: "acme", GalleryID: "staff", Embedding: embedding(128, 1), Photo: make([]byte, 20<<10)}
	for i := 0; b.Loop(); i++ {
		f.UserID = fmt.Sprintf("user-%d", i)
		if err := db.EnrollFace(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
}
