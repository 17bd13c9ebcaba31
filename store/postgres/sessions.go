package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/livenessd/livenessd/store"
)

// unfinished are the states a session can still leave, as the statements'
// first parameters.
var unfinished = []any{store.SessionCreated, store.SessionInProgress}

// CreateSession implements store.Sessions.
func (db *DB) CreateSession(ctx context.Context, s store.Session) error {
	if s.State != store.SessionCreated {
		return wrap(fmt.Errorf("session %q: state %q, want %q", s.ID, s.State, store.SessionCreated), "create session")
	}
	created := s.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	tag, err := db.pool.Exec(ctx, `
		INSERT INTO sessions (id, client_id, trx_id, token_hash, state, reason, request, created_at, expires_at,
			node, node_url, lease_until)
		VALUES ($1, $2, $3, $4, $5, '', $6, $7, $8, $9, $10, $11)
		ON CONFLICT DO NOTHING`,
		s.ID, s.ClientID, s.TrxID, blob(s.TokenHash), s.State, blob(s.Request), ms(created), ms(s.ExpiresAt),
		s.Node, s.NodeURL, ms(s.LeaseUntil))
	if err == nil {
		err = wantOneRow(tag, sessionErr(s.ID, store.ErrSessionExists))
	}
	return wrap(err, "create session")
}

// Session implements store.Sessions.
func (db *DB) Session(ctx context.Context, id string) (store.Session, error) {
	s := store.Session{ID: id}
	var finished *time.Time
	err := db.pool.QueryRow(ctx, `
		SELECT client_id, trx_id, token_hash, state, reason, request, result, created_at, expires_at, finished_at,
			node, node_url, lease_until
		FROM sessions WHERE id = $1`,
		id).Scan(&s.ClientID, &s.TrxID, &s.TokenHash, &s.State, &s.Reason, &s.Request, &s.Result,
		&s.CreatedAt, &s.ExpiresAt, &finished, &s.Node, &s.NodeURL, &s.LeaseUntil)
	if errors.Is(err, pgx.ErrNoRows) {
		err = sessionErr(id, store.ErrSessionNotFound)
	}
	if err != nil {
		return store.Session{}, wrap(err, "get session")
	}
	s.CreatedAt, s.ExpiresAt, s.LeaseUntil = s.CreatedAt.UTC(), s.ExpiresAt.UTC(), s.LeaseUntil.UTC()
	if finished != nil {
		s.FinishedAt = finished.UTC()
	}
	return s, nil
}

// StartSession implements store.Sessions in one conditional update; only
// when it changes nothing is the state read, to say why.
func (db *DB) StartSession(ctx context.Context, id string) error {
	tag, err := db.pool.Exec(ctx, `UPDATE sessions SET state = $1 WHERE id = $2 AND state = $3`,
		store.SessionInProgress, id, store.SessionCreated)
	if err != nil || tag.RowsAffected() == 1 {
		return wrap(err, "start session")
	}
	state, err := db.state(ctx, id)
	switch {
	case err != nil:
	case store.Final(state):
		err = sessionErr(id, store.ErrSessionFinished)
	}
	return wrap(err, "start session")
}

// FinishSession implements store.Sessions. The update only matches an
// unfinished session, so of concurrent finishes, from any node, exactly one
// changes the row.
func (db *DB) FinishSession(ctx context.Context, id, state, reason string, result []byte, at time.Time) error {
	if !store.Final(state) {
		return wrap(fmt.Errorf("session %q: state %q is not final", id, state), "finish session")
	}
	if at.IsZero() {
		at = time.Now()
	}
	tag, err := db.pool.Exec(ctx, `
		UPDATE sessions SET state = $3, reason = $4, result = $5, finished_at = $6
		WHERE id = $7 AND state IN ($1, $2)`,
		append(unfinished, state, reason, result, ms(at), id)...)
	if err != nil || tag.RowsAffected() == 1 {
		return wrap(err, "finish session")
	}
	if _, err = db.state(ctx, id); err == nil {
		err = sessionErr(id, store.ErrSessionFinished)
	}
	return wrap(err, "finish session")
}

// noLease is later than any lease: with it, AbandonSessions ignores leases.
var noLease = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// AbandonSessions implements store.Sessions. FOR UPDATE locks the selected
// rows; a row another node finishes meanwhile is read again after its
// commit and, final by then, drops out of the selection.
func (db *DB) AbandonSessions(ctx context.Context, orphans store.Orphans, reason string, at time.Time, result func(request []byte) []byte) (int, error) {
	if at.IsZero() {
		at = time.Now()
	}
	before := noLease
	if !orphans.LeaseEndedBy.IsZero() {
		before = orphans.LeaseEndedBy
	}
	n := 0
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT id, request FROM sessions
			WHERE state IN ($1, $2) AND ($3 = '' OR node = $3) AND lease_until < $4
			FOR UPDATE`,
			append(unfinished, orphans.Node, before)...)
		if err != nil {
			return err
		}
		type cut struct {
			id      string
			request []byte
		}
		cuts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (cut, error) {
			var c cut
			return c, row.Scan(&c.id, &c.request)
		})
		if err != nil {
			return err
		}
		for _, c := range cuts {
			if _, err := tx.Exec(ctx, `UPDATE sessions SET state = $1, reason = $2, result = $3, finished_at = $4 WHERE id = $5`,
				store.SessionCancelled, reason, result(c.request), ms(at), c.id); err != nil {
				return err
			}
		}
		n = len(cuts)
		return nil
	})
	if err != nil {
		return 0, wrap(err, "abandon sessions")
	}
	return n, nil
}

// RenewLeases implements store.Sessions, in one statement.
func (db *DB) RenewLeases(ctx context.Context, node string, until time.Time) (int, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE sessions SET lease_until = $3 WHERE state IN ($1, $2) AND node = $4`,
		append(unfinished, ms(until), node)...)
	if err != nil {
		return 0, wrap(err, "renew leases")
	}
	return int(tag.RowsAffected()), nil
}

// PutAuditImage implements store.Sessions.
func (db *DB) PutAuditImage(ctx context.Context, sessionID string, image int, jpeg []byte) error {
	if image < 1 {
		return wrap(fmt.Errorf("session %q: audit image number %d, want 1 or more", sessionID, image), "put audit image")
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		// FOR SHARE holds off a delete of the session until the image is in.
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM sessions WHERE id = $1 FOR SHARE`, sessionID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return sessionErr(sessionID, store.ErrSessionNotFound)
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO audit_images (session_id, image, jpeg) VALUES ($1, $2, $3)
			ON CONFLICT (session_id, image) DO UPDATE SET jpeg = excluded.jpeg`,
			sessionID, image, blob(jpeg))
		return err
	})
	return wrap(err, "put audit image")
}

// AuditImage implements store.Sessions.
func (db *DB) AuditImage(ctx context.Context, sessionID string, image int) ([]byte, error) {
	var jpeg []byte
	err := db.pool.QueryRow(ctx, `SELECT jpeg FROM audit_images WHERE session_id = $1 AND image = $2`,
		sessionID, image).Scan(&jpeg)
	if errors.Is(err, pgx.ErrNoRows) {
		// The image is missing: say whether its session is too.
		if _, err = db.state(ctx, sessionID); err == nil {
			err = auditImageErr(sessionID, image, store.ErrAuditImageNotFound)
		}
	}
	if err != nil {
		return nil, wrap(err, "get audit image")
	}
	return jpeg, nil
}

// AuditImages implements store.Sessions.
func (db *DB) AuditImages(ctx context.Context, sessionID string) ([]int, error) {
	var images []int
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM sessions WHERE id = $1`, sessionID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return sessionErr(sessionID, store.ErrSessionNotFound)
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT image FROM audit_images WHERE session_id = $1 ORDER BY image`, sessionID)
		if err != nil {
			return err
		}
		images, err = pgx.CollectRows(rows, pgx.RowTo[int])
		return err
	})
	if err != nil {
		return nil, wrap(err, "list audit images")
	}
	if len(images) == 0 {
		return nil, nil
	}
	return images, nil
}

// DeleteAuditImages implements store.Sessions.
func (db *DB) DeleteAuditImages(ctx context.Context, sessionID string) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM audit_images WHERE session_id = $1`, sessionID)
	if err == nil && tag.RowsAffected() == 0 {
		_, err = db.state(ctx, sessionID)
	}
	if err != nil {
		return 0, wrap(err, "delete audit images")
	}
	return int(tag.RowsAffected()), nil
}

// state returns the state of session id, or a wrapped
// store.ErrSessionNotFound.
func (db *DB) state(ctx context.Context, id string) (string, error) {
	var state string
	err := db.pool.QueryRow(ctx, `SELECT state FROM sessions WHERE id = $1`, id).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", sessionErr(id, store.ErrSessionNotFound)
	}
	return state, err
}

// blob makes b non-nil, so that an empty or missing value is stored as an
// empty BYTEA rather than NULL, which the NOT NULL columns refuse.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func sessionErr(id string, sentinel error) error {
	return fmt.Errorf("session %q: %w", id, sentinel)
}

func auditImageErr(sessionID string, image int, sentinel error) error {
	return fmt.Errorf("session %q, audit image %d: %w", sessionID, image, sentinel)
}
