package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/livenessd/livenessd/store"
)

// CreateGallery implements store.Store.
func (db *DB) CreateGallery(ctx context.Context, clientID, galleryID string) error {
	tag, err := db.pool.Exec(ctx, `
		INSERT INTO galleries (client_id, gallery_id, created_at) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`,
		clientID, galleryID, ms(time.Now()))
	if err == nil {
		err = wantOneRow(tag, galleryErr(galleryID, store.ErrGalleryExists))
	}
	return wrap(err, "create gallery")
}

// Galleries implements store.Store.
func (db *DB) Galleries(ctx context.Context, clientID string) ([]store.Gallery, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT g.gallery_id, g.created_at, COUNT(f.user_id)
		FROM galleries g
		LEFT JOIN faces f ON f.client_id = g.client_id AND f.gallery_id = g.gallery_id
		WHERE g.client_id = $1
		GROUP BY g.gallery_id, g.created_at
		ORDER BY g.gallery_id COLLATE "C"`,
		clientID)
	if err != nil {
		return nil, wrap(err, "list galleries")
	}
	gs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Gallery, error) {
		g := store.Gallery{ClientID: clientID}
		err := row.Scan(&g.ID, &g.CreatedAt, &g.Faces)
		g.CreatedAt = g.CreatedAt.UTC()
		return g, err
	})
	if err != nil {
		return nil, wrap(err, "list galleries")
	}
	if len(gs) == 0 {
		return nil, nil
	}
	return gs, nil
}

// DeleteGallery implements store.Store; its faces go with it through the
// foreign key's ON DELETE CASCADE.
func (db *DB) DeleteGallery(ctx context.Context, clientID, galleryID string) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM galleries WHERE client_id = $1 AND gallery_id = $2`, clientID, galleryID)
	if err == nil {
		err = wantOneRow(tag, galleryErr(galleryID, store.ErrGalleryNotFound))
	}
	return wrap(err, "delete gallery")
}

// checkGallery returns a wrapped store.ErrGalleryNotFound unless the gallery
// exists. FOR SHARE holds off a concurrent delete until tx ends, so a face
// enrolled after the check cannot outlive its gallery.
func checkGallery(ctx context.Context, tx pgx.Tx, clientID, galleryID string) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM galleries WHERE client_id = $1 AND gallery_id = $2 FOR SHARE`,
		clientID, galleryID).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return galleryErr(galleryID, store.ErrGalleryNotFound)
	}
	return err
}

func galleryErr(galleryID string, sentinel error) error {
	return fmt.Errorf("gallery %q: %w", galleryID, sentinel)
}

func faceErr(galleryID, userID string, sentinel error) error {
	return fmt.Errorf("gallery %q, user %q: %w", galleryID, userID, sentinel)
}
