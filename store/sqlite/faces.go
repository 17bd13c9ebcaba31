package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/livenessd/livenessd/store"
)

// EnrollFace implements store.Store. A CreatedAt the caller sets is kept to
// the millisecond.
func (db *DB) EnrollFace(ctx context.Context, f store.Face) error {
	created := f.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	// A nil interface, not a nil []byte, so that "no photo" is stored as
	// NULL whatever the driver makes of empty slices.
	var photo any
	if len(f.Photo) > 0 {
		photo = f.Photo
	}
	err := inTx(ctx, db.w, nil, func(tx *sql.Tx) error {
		// Checked here, in the transaction, rather than left to the foreign
		// key, whose failure SQLite reports without saying which key it was.
		if err := checkGallery(ctx, tx, f.ClientID, f.GalleryID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO faces (client_id, gallery_id, user_id, user_name, embedding, photo, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`,
			f.ClientID, f.GalleryID, f.UserID, f.UserName, store.EncodeEmbedding(f.Embedding), photo, created.UnixMilli())
		if err != nil {
			return err
		}
		return wantOneRow(res, faceErr(f.GalleryID, f.UserID, store.ErrFaceExists))
	})
	return wrap(err, "enroll face")
}

// Faces implements store.Store.
func (db *DB) Faces(ctx context.Context, clientID, galleryID string) ([]store.Face, error) {
	var fs []store.Face
	err := inTx(ctx, db.r, readOnly, func(tx *sql.Tx) error {
		if err := checkGallery(ctx, tx, clientID, galleryID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `
			SELECT user_id, user_name, created_at FROM faces
			WHERE client_id = ? AND gallery_id = ?
			ORDER BY user_id`,
			clientID, galleryID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			f := store.Face{ClientID: clientID, GalleryID: galleryID}
			var created int64
			if err := rows.Scan(&f.UserID, &f.UserName, &created); err != nil {
				return err
			}
			f.CreatedAt = fromMillis(created)
			fs = append(fs, f)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap(err, "list faces")
	}
	return fs, nil
}

// Face implements store.Store.
func (db *DB) Face(ctx context.Context, clientID, galleryID, userID string) (store.Face, error) {
	f := store.Face{ClientID: clientID, GalleryID: galleryID, UserID: userID}
	err := inTx(ctx, db.r, readOnly, func(tx *sql.Tx) error {
		var (
			embedding []byte
			created   int64
		)
		err := tx.QueryRowContext(ctx, `
			SELECT user_name, embedding, photo, created_at FROM faces
			WHERE client_id = ? AND gallery_id = ? AND user_id = ?`,
			clientID, galleryID, userID).Scan(&f.UserName, &embedding, &f.Photo, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return missingFace(ctx, tx, clientID, galleryID, userID)
		}
		if err != nil {
			return err
		}
		f.CreatedAt = fromMillis(created)
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
	err := inTx(ctx, db.w, nil, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			DELETE FROM faces WHERE client_id = ? AND gallery_id = ? AND user_id = ?`,
			clientID, galleryID, userID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return missingFace(ctx, tx, clientID, galleryID, userID)
		}
		return nil
	})
	return wrap(err, "delete face")
}

// missingFace tells, for a face that tx did not find, whether its gallery is
// missing too. Looking the face up first and the gallery only on a miss
// keeps the common case to one statement.
func missingFace(ctx context.Context, tx *sql.Tx, clientID, galleryID, userID string) error {
	if err := checkGallery(ctx, tx, clientID, galleryID); err != nil {
		return err
	}
	return faceErr(galleryID, userID, store.ErrFaceNotFound)
}
