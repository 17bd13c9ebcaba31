package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/livenessd/livenessd/store"
)

// CreateSession implements store.Sessions. Times are kept to the
// millisecond.
func (db *DB) CreateSession(ctx context.Context, s store.Session) error {
	if s.State != store.SessionCreated {
		return wrap(fmt.Errorf("session %q: state %q, want %q", s.ID, s.State, store.SessionCreated), "create session")
	}
	created := s.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	// DO NOTHING turns a duplicate into "no row inserted", so the sentinel
	// comes from RowsAffected rather than from parsing a constraint error.
	res, err := db.w.ExecContext(ctx, `
		INSERT INTO sessions (id, client_id, trx_id, token_hash, state, reason, request, created_at, expires_at,
			node, node_url, lease_until)
		VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		s.ID, s.ClientID, s.TrxID, blob(s.TokenHash), s.State, blob(s.Request),
		created.UnixMilli(), s.ExpiresAt.UnixMilli(), s.Node, s.NodeURL, s.LeaseUntil.UnixMilli())
	if err == nil {
		err = wantOneRow(res, sessionErr(s.ID, store.ErrSessionExists))
	}
	return wrap(err, "create session")
}

// Session implements store.Sessions.
func (db *DB) Session(ctx context.Context, id string) (store.Session, error) {
	s := store.Session{ID: id}
	var (
		created, expires, lease int64
		finished                sql.NullInt64
	)
	err := db.r.QueryRowContext(ctx, `
		SELECT client_id, trx_id, token_hash, state, reason, request, result, created_at, expires_at, finished_at,
			node, node_url, lease_until
		FROM sessions WHERE id = ?`,
		id).Scan(&s.ClientID, &s.TrxID, &s.TokenHash, &s.State, &s.Reason, &s.Request, &s.Result,
		&created, &expires, &finished, &s.Node, &s.NodeURL, &lease)
	if errors.Is(err, sql.ErrNoRows) {
		err = sessionErr(id, store.ErrSessionNotFound)
	}
	if err != nil {
		return store.Session{}, wrap(err, "get session")
	}
	s.CreatedAt, s.ExpiresAt, s.LeaseUntil = fromMillis(created), fromMillis(expires), fromMillis(lease)
	if finished.Valid {
		s.FinishedAt = fromMillis(finished.Int64)
	}
	return s, nil
}

// StartSession implements store.Sessions.
func (db *DB) StartSession(ctx context.Context, id string) error {
	err := inTx(ctx, db.w, nil, func(tx *sql.Tx) error {
		state, err := sessionState(ctx, tx, id)
		switch {
		case err != nil:
			return err
		case store.Final(state):
			return sessionErr(id, store.ErrSessionFinished)
		case state == store.SessionInProgress:
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE sessions SET state = ? WHERE id = ?`,
			store.SessionInProgress, id)
		return err
	})
	return wrap(err, "start session")
}

// FinishSession implements store.Sessions. The state is read and written in
// one write transaction, so of concurrent finishes exactly one wins.
func (db *DB) FinishSession(ctx context.Context, id, state, reason string, result []byte, at time.Time) error {
	if !store.Final(state) {
		return wrap(fmt.Errorf("session %q: state %q is not final", id, state), "finish session")
	}
	if at.IsZero() {
		at = time.Now()
	}
	// A nil interface, not a nil []byte, so that "no result" is stored as
	// NULL whatever the driver makes of empty slices.
	var res any
	if result != nil {
		res = result
	}
	err := inTx(ctx, db.w, nil, func(tx *sql.Tx) error {
		current, err := sessionState(ctx, tx, id)
		if err != nil {
			return err
		}
		if store.Final(current) {
			return sessionErr(id, store.ErrSessionFinished)
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE sessions SET state = ?, reason = ?, result = ?, finished_at = ? WHERE id = ?`,
			state, reason, res, at.UnixMilli(), id)
		return err
	})
	return wrap(err, "finish session")
}

// AbandonSessions implements store.Sessions. The selection and the updates
// are one write transaction, which SQLite runs alone, so a concurrent
// finish either comes first (and the session is not selected) or finds the
// session final.
func (db *DB) AbandonSessions(ctx context.Context, orphans store.Orphans, reason string, at time.Time, result func(request []byte) []byte) (int, error) {
	if at.IsZero() {
		at = time.Now()
	}
	// -1 and the largest lease select every node and every lease.
	leaseBefore := int64(math.MaxInt64)
	if !orphans.LeaseEndedBy.IsZero() {
		leaseBefore = orphans.LeaseEndedBy.UnixMilli()
	}
	n := 0
	err := inTx(ctx, db.w, nil, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `
			SELECT id, request FROM sessions
			WHERE state IN (?, ?) AND (? = '' OR node = ?) AND lease_until < ?`,
			store.SessionCreated, store.SessionInProgress, orphans.Node, orphans.Node, leaseBefore)
		if err != nil {
			return err
		}
		type cut struct {
			id      string
			request []byte
		}
		var cuts []cut
		for rows.Next() {
			var c cut
			if err := rows.Scan(&c.id, &c.request); err != nil {
				rows.Close()
				return err
			}
			cuts = append(cuts, c)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		for _, c := range cuts {
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET state = ?, reason = ?, result = ?, finished_at = ? WHERE id = ?`,
				store.SessionCancelled, reason, result(c.request), at.UnixMilli(), c.id); err != nil {
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

// RenewLeases implements store.Sessions, in a single statement.
func (db *DB) RenewLeases(ctx context.Context, node string, until time.Time) (int, error) {
	res, err := db.w.ExecContext(ctx, `UPDATE sessions SET lease_until = ? WHERE node = ? AND state IN (?, ?)`,
		until.UnixMilli(), node, store.SessionCreated, store.SessionInProgress)
	if err != nil {
		return 0, wrap(err, "renew leases")
	}
	n, err := res.RowsAffected()
	return int(n), wrap(err, "renew leases")
}

// PutAuditImage implements store.Sessions. Images may be stored in any
// state, a finished session's included.
func (db *DB) PutAuditImage(ctx context.Context, sessionID string, image int, jpeg []byte) error {
	if image < 1 {
		return wrap(fmt.Errorf("session %q: audit image number %d, want 1 or more", sessionID, image), "put audit image")
	}
	err := inTx(ctx, db.w, nil, func(tx *sql.Tx) error {
		// Checked here, in the transaction, rather than left to the foreign
		// key, whose failure SQLite reports without saying which key it was.
		if err := checkSession(ctx, tx, sessionID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO audit_images (session_id, image, jpeg) VALUES (?, ?, ?)
			ON CONFLICT (session_id, image) DO UPDATE SET jpeg = excluded.jpeg`,
			sessionID, image, blob(jpeg))
		return err
	})
	return wrap(err, "put audit image")
}

// AuditImage implements store.Sessions.
func (db *DB) AuditImage(ctx context.Context, sessionID string, image int) ([]byte, error) {
	var jpeg []byte
	err := inTx(ctx, db.r, readOnly, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT jpeg FROM audit_images WHERE session_id = ? AND image = ?`,
			sessionID, image).Scan(&jpeg)
		if errors.Is(err, sql.ErrNoRows) {
			// The image is missing: say whether its session is too.
			if err := checkSession(ctx, tx, sessionID); err != nil {
				return err
			}
			return auditImageErr(sessionID, image, store.ErrAuditImageNotFound)
		}
		return err
	})
	if err != nil {
		return nil, wrap(err, "get audit image")
	}
	return jpeg, nil
}

// AuditImages implements store.Sessions.
func (db *DB) AuditImages(ctx context.Context, sessionID string) ([]int, error) {
	var images []int
	err := inTx(ctx, db.r, readOnly, func(tx *sql.Tx) error {
		if err := checkSession(ctx, tx, sessionID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT image FROM audit_images WHERE session_id = ? ORDER BY image`,
			sessionID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var image int
			if err := rows.Scan(&image); err != nil {
				return err
			}
			images = append(images, image)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap(err, "list audit images")
	}
	return images, nil
}

// DeleteAuditImages implements store.Sessions.
func (db *DB) DeleteAuditImages(ctx context.Context, sessionID string) (int, error) {
	var n int64
	err := inTx(ctx, db.w, nil, func(tx *sql.Tx) error {
		if err := checkSession(ctx, tx, sessionID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM audit_images WHERE session_id = ?`, sessionID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, wrap(err, "delete audit images")
	}
	return int(n), nil
}

// sessionState returns the state of session id, or a wrapped
// store.ErrSessionNotFound.
func sessionState(ctx context.Context, tx *sql.Tx, id string) (string, error) {
	var state string
	err := tx.QueryRowContext(ctx, `SELECT state FROM sessions WHERE id = ?`, id).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", sessionErr(id, store.ErrSessionNotFound)
	}
	return state, err
}

// checkSession returns a wrapped store.ErrSessionNotFound unless the session
// exists.
func checkSession(ctx context.Context, tx *sql.Tx, id string) error {
	_, err := sessionState(ctx, tx, id)
	return err
}

// blob makes b non-nil, so that the driver binds an empty or missing value
// as a zero-length BLOB rather than NULL, which the NOT NULL columns refuse.
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
