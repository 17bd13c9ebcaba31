package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// SigningKey implements store.Store. The insert and the read are one write
// transaction, so of two nodes starting at once on one file, one key wins
// and both get it.
func (db *DB) SigningKey(ctx context.Context, fresh []byte) ([]byte, error) {
	var key []byte
	err := inTx(ctx, db.w, nil, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO signing_keys (name, key, created_at) VALUES ('oauth', ?, ?)
			ON CONFLICT DO NOTHING`,
			blob(fresh), time.Now().UnixMilli()); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT key FROM signing_keys WHERE name = 'oauth'`).Scan(&key)
	})
	if err != nil {
		return nil, wrap(err, "signing key")
	}
	return key, nil
}
