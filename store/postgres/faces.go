package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/livenessd/livenessd/store"
)

// EnrollFace implements store.Store.
func (db *DB) EnrollFace(ctx context.Context, f store.Face) error {
	created := f.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	var photo []byte // nil is NULL: "no photo"
	if len(f.Photo) > 0 {
		photo = f.Photo
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if err := checkGallery(ctx, tx, f.ClientID, f.GalleryID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO faces (client_id, gallery_id, user_id, user_name, embedding, photo, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT DO NOTHING`,
			f.ClientID, f.GalleryID, f.UserID, f.UserName, store.EncodeEmbedding(f.Embedding), photo, ms(created))
		if err != nil {
			return err
		}
		return wantOneRow(tag, faceErr(f.GalleryID, f.UserID, store.ErrFaceExists))
	})
	return wrap(err, "enroll face")
}

// Faces implements store.Store.
func (db *DB) Faces(ctx context.Context, clientID, galleryID string) ([]store.Face, error) {
	var fs []store.Face
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if err := checkGallery(ctx, tx, clientID, galleryID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			SELECT user_id, user_name, created_at FROM faces
			WHERE client_id = $1 AND gallery_id = $2
			ORDER BY user_id COLLATE "C"`,
			clientID, galleryID)
		if err != nil {
			return err
		}
		fs, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Face, error) {
			f := store.Face{ClientID: clientID, GalleryID: galleryID}
			err := row.Scan(&f.UserID, &f.UserName, &f.CreatedAt)
			f.CreatedAt = f.CreatedAt.UTC()
			return f, err
		})
		return err
	})
	if err != nil {
		return nil, wrap(err, "list faces")
	}
	if len(fs) == 0 {
		return nil, nil
	}
	return fs, nil
}

// Face implements store.Store.
func (db *DB) Face(ctx context.Context, clientID, galleryID, userID string) (store.Face, error) {
	f := store.Face{ClientID: clientID, GalleryID: galleryID, UserID: userID}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var embedding []byte
		err := tx.QueryRow(ctx, `
			SELECT user_name, embedding, photo, created_at FROM faces
			WHERE client_id = $1 AND gallery_id = $2 AND user_id = $3`,
			clientID, galleryID, userID).Scan(&f.UserName, &embedding, &f.Photo, &f.CreatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return missingFace(ctx, tx, clientID, galleryID, userID)
		}
		if err != nil {
			return err
		}
		f.CreatedAt = f.CreatedAt.UTC()
		f.Embedding, err = store.DecodeEmbedding(embedding)
		return err
	})
	if err != nil {
		return store.Face{}, wrap(err, "get face")
	}
	return f, nil
}

// DeleteFace implements store.Store.
func (db *DB) DeleteFace(ctx context.Context, clientID, galleryID, userID string) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM faces WHERE client_id = $1 AND gallery_id = $2 AND user_id = $3`,
			clientID, galleryID, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return missingFace(ctx, tx, clientID, galleryID, userID)
		}
		return nil
	})
	return wrap(err, "delete face")
}

// missingFace tells, for a face that tx did not find, whether its gallery is
// missing too.
func missingFace(ctx context.Context, tx pgx.Tx, clientID, galleryID, userID string) error {
	if err := checkGallery(ctx, tx, clientID, galleryID); err != nil {
		return err
	}
	return faceErr(galleryID, userID, store.ErrFaceNotFound)
}
