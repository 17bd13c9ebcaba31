package sqlite

import (
	"context"
	"time"

	"github.com/livenessd/livenessd/store"
)

// CreateGallery implements store.Store.
func (db *DB) CreateGallery(ctx context.Context, clientID, galleryID string) error {
	// DO NOTHING turns a duplicate into "no row inserted", so the sentinel
	// comes from RowsAffected rather than from parsing a constraint error.
	res, err := db.w.ExecContext(ctx, `
		INSERT INTO galleries (client_id, gallery_id, created_at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`,
		clientID, galleryID, time.Now().UnixMilli())
	if err == nil {
		err = wantOneRow(res, galleryErr(galleryID, store.ErrGalleryExists))
	}
	return wrap(err, "create gallery")
}

// Galleries implements store.Store.
func (db *DB) Galleries(ctx context.Context, clientID string) ([]store.Gallery, error) {
	rows, err := db.r.QueryContext(ctx, `
		SELECT g.gallery_id, g.created_at, COUNT(f.user_id)
		FROM galleries g
		LEFT JOIN faces f ON f.client_id = g.client_id AND f.gallery_id = g.gallery_id
		WHERE g.client_id = ?
		GROUP BY g.gallery_id
		ORDER BY g.gallery_id`,
		clientID)
	if err != nil {
		return nil, wrap(err, "list galleries")
	}
	defer rows.Close()
	var gs []store.Gallery
	for rows.Next() {
		g := store.Gallery{ClientID: clientID}
		var created int64
		if err := rows.Scan(&g.ID, &created, &g.Faces); err != nil {
			return nil, wrap(err, "list galleries")
		}
		g.CreatedAt = fromMillis(created)
		gs = append(gs, g)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "list galleries")
	}
	return gs, nil
}

// DeleteGallery implements store.Store. Its faces go with it, in the same
// statement, through the foreign key's ON DELETE CASCADE.
func (db *DB) DeleteGallery(ctx context.Context, clientID, galleryID string) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM galleries WHERE client_id = ? AND gallery_id = ?`,
		clientID, galleryID)
	if err == nil {
		err = wantOneRow(res, galleryErr(galleryID, store.ErrGalleryNotFound))
	}
	return wrap(err, "delete gallery")
}
