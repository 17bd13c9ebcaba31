// Package store owns the persistence of face galleries, enrolled faces, and
// liveness sessions with their audit images.
//
// It is an interface, Store, with two backends: store/sqlite, one file for one
// machine, and store/postgres, one database shared by several nodes. Both
// keep the contract that store/storetest checks. It knows nothing of
// HTTP: request validation, authentication and status codes belong to the
// server; this package only scopes gallery operations by client ID and
// session operations by session ID, and reports the outcomes callers must
// tell apart as sentinel errors (ErrGalleryNotFound and its siblings).
package store

import (
	"context"
	"time"
)

// Gallery is a named set of enrolled faces owned by one client.
type Gallery struct {
	ClientID  string
	ID        string
	Faces     int // number of faces enrolled in the gallery
	CreatedAt time.Time
}

// Face is one user enrolled in a gallery.
type Face struct {
	ClientID  string
	GalleryID string
	UserID    string
	UserName  string
	// Embedding is the L2-normalised face embedding. It is 128-d today, but
	// stores keep any length so that a model change needs no migration.
	Embedding []float32
	// Photo is the enrolment photo. It is optional: stores keep it only when
	// the caller passes one (the "keep photos" configuration).
	Photo     []byte
	CreatedAt time.Time
}

// Store persists galleries, faces and liveness sessions.
//
// Gallery and face methods are scoped by client ID: one client can never
// see, use or delete another client's galleries, and the same gallery ID
// under two clients names two unrelated galleries. Session methods, those of
// the embedded Sessions, are scoped by the session's ID alone, which is
// random and unguessable; the caller checks that the session is the client's
// (Session.ClientID) or that it holds the session's token. Errors wrap the
// sentinels, so callers test them with errors.Is. Implementations are safe
// for concurrent use and honour ctx.
type Store interface {
	Sessions

	// CreateGallery creates an empty gallery, or returns ErrGalleryExists.
	CreateGallery(ctx context.Context, clientID, galleryID string) error
	// Galleries lists the client's galleries sorted by ID, with face counts.
	Galleries(ctx context.Context, clientID string) ([]Gallery, error)
	// DeleteGallery deletes a gallery with all its faces, or returns
	// ErrGalleryNotFound.
	DeleteGallery(ctx context.Context, clientID, galleryID string) error

	// EnrollFace adds f to the gallery f.ClientID/f.GalleryID. It returns
	// ErrGalleryNotFound or ErrFaceExists. A zero f.CreatedAt is set by the
	// store.
	EnrollFace(ctx context.Context, f Face) error
	// Faces lists a gallery's faces sorted by user ID, or returns
	// ErrGalleryNotFound. It is a listing: Embedding and Photo are left nil.
	Faces(ctx context.Context, clientID, galleryID string) ([]Face, error)
	// Face returns one face with its Embedding, and its Photo if one was
	// stored, or ErrGalleryNotFound or ErrFaceNotFound.
	Face(ctx context.Context, clientID, galleryID, userID string) (Face, error)
	// DeleteFace removes one face, or returns ErrGalleryNotFound or
	// ErrFaceNotFound.
	DeleteFace(ctx context.Context, clientID, galleryID, userID string) error

	// SigningKey returns the key that signs OAuth tokens, shared by every
	// node on the store: the first call on a new store keeps fresh and
	// returns it; every later call, from any node, returns that same key.
	SigningKey(ctx context.Context, fresh []byte) ([]byte, error)

	// Ping reports whether the store is usable, for readiness checks.
	Ping(ctx context.Context) error
	// Close releases the store's resources; the store is unusable afterwards.
	Close() error
}
