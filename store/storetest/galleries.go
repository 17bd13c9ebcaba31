package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/livenessd/livenessd/store"
)

func (b Backend) testRoundTrip(t *testing.T) {
	ctx, db := Ctx(t), b.fresh(t)
	before := time.Now().Truncate(time.Millisecond)

	gs, err := db.Galleries(ctx, "acme")
	Must(t, err)
	if len(gs) != 0 {
		t.Fatalf("new database lists %v", gs)
	}

	Must(t, db.CreateGallery(ctx, "acme", "staff"))
	Must(t, db.CreateGallery(ctx, "acme", "guests"))

	photo := []byte("\xff\xd8 not really a jpeg \x00\xff\xd9")
	enrolled := time.Date(2024, 2, 29, 12, 30, 45, 123_456_789, time.FixedZone("CET", 3600))
	faces := []store.Face{
		{ClientID: "acme", GalleryID: "staff", UserID: "u2", UserName: "Bob", Embedding: Embedding(128, 2)},
		{ClientID: "acme", GalleryID: "staff", UserID: "u1", UserName: "Ann", Embedding: Embedding(128, 1), Photo: photo},
		{ClientID: "acme", GalleryID: "staff", UserID: "u3", UserName: "", Embedding: Embedding(512, 3), CreatedAt: enrolled},
		{ClientID: "acme", GalleryID: "staff", UserID: "u0", UserName: "No embedding"},
	}
	for _, f := range faces {
		Must(t, db.EnrollFace(ctx, f))
	}

	gs, err = db.Galleries(ctx, "acme")
	Must(t, err)
	if got, want := galleryIDs(gs), []string{"guests:0", "staff:4"}; !slices.Equal(got, want) {
		t.Fatalf("galleries (id:faces) = %v, want %v", got, want)
	}
	for _, g := range gs {
		if g.ClientID != "acme" || g.CreatedAt.Location() != time.UTC || g.CreatedAt.Before(before) || time.Since(g.CreatedAt) > time.Minute {
			t.Errorf("gallery %+v: want client acme and a recent UTC CreatedAt", g)
		}
	}

	list, err := db.Faces(ctx, "acme", "staff")
	Must(t, err)
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
		Must(t, err)
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
	Must(t, err)
	if want := enrolled.Truncate(time.Millisecond); !u3.CreatedAt.Equal(want) {
		t.Errorf("caller's CreatedAt came back as %v, want %v", u3.CreatedAt, want)
	}

	Must(t, db.DeleteFace(ctx, "acme", "staff", "u1"))
	list, err = db.Faces(ctx, "acme", "staff")
	Must(t, err)
	if got, want := userIDs(list), []string{"u0", "u2", "u3"}; !slices.Equal(got, want) {
		t.Fatalf("after DeleteFace, faces = %v, want %v", got, want)
	}

	// Deleting the gallery takes its faces: re-created, it starts empty.
	Must(t, db.DeleteGallery(ctx, "acme", "staff"))
	gs, err = db.Galleries(ctx, "acme")
	Must(t, err)
	if got, want := galleryIDs(gs), []string{"guests:0"}; !slices.Equal(got, want) {
		t.Fatalf("after DeleteGallery, galleries = %v, want %v", got, want)
	}
	Must(t, db.CreateGallery(ctx, "acme", "staff"))
	list, err = db.Faces(ctx, "acme", "staff")
	Must(t, err)
	if len(list) != 0 {
		t.Fatalf("re-created gallery still holds %v", userIDs(list))
	}
	Must(t, db.EnrollFace(ctx, faces[0]))
}

func (b Backend) testSentinelErrors(t *testing.T) {
	ctx, db := Ctx(t), b.fresh(t)
	Must(t, db.CreateGallery(ctx, "acme", "staff"))
	ann := store.Face{ClientID: "acme", GalleryID: "staff", UserID: "ann", Embedding: Embedding(128, 1)}
	Must(t, db.EnrollFace(ctx, ann))
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
	Must(t, err)
	if !sameBits(f.Embedding, ann.Embedding) {
		t.Error("the duplicate enrolment overwrote the first one")
	}
	gs, err := db.Galleries(ctx, "acme")
	Must(t, err)
	if got, want := galleryIDs(gs), []string{"staff:1"}; !slices.Equal(got, want) {
		t.Errorf("galleries = %v, want %v", got, want)
	}
}

func (b Backend) testClientIsolation(t *testing.T) {
	ctx, db := Ctx(t), b.fresh(t)
	Must(t, db.CreateGallery(ctx, "alice", "staff"))
	Must(t, db.EnrollFace(ctx, store.Face{ClientID: "alice", GalleryID: "staff", UserID: "u1", Embedding: Embedding(128, 1)}))

	// Bob sees none of Alice's gallery, under any method.
	gs, err := db.Galleries(ctx, "bob")
	Must(t, err)
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
	Must(t, db.CreateGallery(ctx, "bob", "staff"))
	Must(t, db.EnrollFace(ctx, store.Face{ClientID: "bob", GalleryID: "staff", UserID: "u1", UserName: "Bob's u1", Embedding: Embedding(128, 9)}))
	Must(t, db.EnrollFace(ctx, store.Face{ClientID: "bob", GalleryID: "staff", UserID: "u2", Embedding: Embedding(128, 8)}))
	Must(t, db.DeleteFace(ctx, "bob", "staff", "u1"))

	a, err := db.Face(ctx, "alice", "staff", "u1")
	Must(t, err)
	if !sameBits(a.Embedding, Embedding(128, 1)) || a.UserName != "" {
		t.Errorf("alice's u1 changed with bob's: %+v", a)
	}
	Must(t, db.DeleteGallery(ctx, "bob", "staff"))
	for client, want := range map[string][]string{"alice": {"staff:1"}, "bob": {}} {
		gs, err := db.Galleries(ctx, client)
		Must(t, err)
		if got := galleryIDs(gs); !slices.Equal(got, want) {
			t.Errorf("%s's galleries = %v, want %v", client, got, want)
		}
	}
}

func (b Backend) testReopen(t *testing.T) {
	ctx := Ctx(t)
	addr := b.NewDatabase(t)
	db, err := b.Open(addr)
	Must(t, err)
	Must(t, db.CreateGallery(ctx, "acme", "staff"))
	Must(t, db.EnrollFace(ctx, store.Face{ClientID: "acme", GalleryID: "staff", UserID: "u1", Embedding: Embedding(128, 1), Photo: []byte{1, 2, 3}}))
	Must(t, db.Close())
	migrated := b.Schema(t, addr)

	db = b.open(t, addr)
	f, err := db.Face(ctx, "acme", "staff", "u1")
	Must(t, err)
	if !sameBits(f.Embedding, Embedding(128, 1)) || !slices.Equal(f.Photo, []byte{1, 2, 3}) {
		t.Errorf("face after reopening = %+v", f)
	}
	Must(t, db.Close())
	if again := b.Schema(t, addr); !slices.Equal(again, migrated) {
		t.Errorf("reopening changed schema_migrations from %v to %v", migrated, again)
	}
}

func (b Backend) testCancelledContext(t *testing.T) {
	db := b.fresh(t)
	ctx, cancel := context.WithCancel(Ctx(t))
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
	Must(t, db.Ping(Ctx(t)))
}

func (b Backend) testConcurrentUse(t *testing.T) {
	const workers, ops = 8, 50
	ctx, db := Ctx(t), b.fresh(t)
	Must(t, db.CreateGallery(ctx, "acme", "shared"))

	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			errs <- worker(ctx, db, fmt.Sprintf("worker-%d", w), w, ops)
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
	Must(t, err)
	if want := workers * (ops - (ops+2)/3); len(list) != want {
		t.Errorf("shared gallery holds %d faces, want %d", len(list), want)
	}
	gs, err := db.Galleries(ctx, "acme")
	Must(t, err)
	if len(gs) != workers+1 {
		t.Errorf("%d galleries, want %d", len(gs), workers+1)
	}
}

// worker mixes writes and reads on a gallery of its own and on a shared one.
// The helper processes of testTwoProcesses run it too.
func worker(ctx context.Context, db store.Store, own string, w, ops int) error {
	if err := db.CreateGallery(ctx, "acme", own); err != nil {
		return err
	}
	for i := range ops {
		user := fmt.Sprintf("w%d-u%03d", w, i)
		emb := Embedding(128, float32(w*ops+i))
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
