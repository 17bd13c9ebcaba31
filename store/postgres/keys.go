package postgres

import (
	"context"
	"time"
)

// SigningKey implements store.Store. The insert that loses a race to
// another node's inserts nothing, and the read after it returns the
// winner's key.
func (db *DB) SigningKey(ctx context.Context, fresh []byte) ([]byte, error) {
	if _, err := db.pool.Exec(ctx, `
		INSERT INTO signing_keys (name, key, created_at) VALUES ('oauth', $1, $2)
		ON CONFLICT DO NOTHING`, blob(fresh), ms(time.Now())); err != nil {
		return nil, wrap(err, "signing key")
	}
	var key []byte
	err := db.pool.QueryRow(ctx, `SELECT key FROM signing_keys WHERE name = 'oauth'`).Scan(&key)
	return key, wrap(err, "signing key")
}
