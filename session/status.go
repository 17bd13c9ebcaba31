package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/livenessd/livenessd/liveness"
	"github.com/livenessd/livenessd/store"
)

// Status is GET /liveness-api/sessions/{id}: the session and, once it has
// finished, the documented response's fields exactly as the batch endpoint
// returns them. Status, StatusMessage and TrxID shadow the response's own.
type Status struct {
	Status        string `json:"status"`
	StatusMessage string `json:"status_message"`
	TrxID         string `json:"trx_id"`
	*liveness.Response

	SessionID      string               `json:"session_id"`
	State          string               `json:"state"`
	Reason         string               `json:"reason,omitempty"`
	FaceParameters []liveness.Parameter `json:"face_parameters"` // in the order asked
	CreatedAt      time.Time            `json:"created_at"`
	ExpiresAt      time.Time            `json:"expires_at"`
	FinishedAt     *time.Time           `json:"finished_at,omitempty"`
	AuditImages    []int                `json:"audit_images"` // image numbers downloadable
}

// Status describes a session to the client that created it; to anyone else
// it does not exist.
func (m *Manager) Status(ctx context.Context, clientID, id string) (Status, error) {
	s, err := m.owned(ctx, clientID, id)
	if err != nil {
		return Status{}, err
	}
	var rec record
	if err := json.Unmarshal(s.Request, &rec); err != nil {
		return Status{}, fmt.Errorf("session %s: stored request: %w", id, err)
	}
	st := Status{Status: "200", StatusMessage: "Success", TrxID: s.TrxID, SessionID: s.ID, State: s.State,
		Reason: s.Reason, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt, AuditImages: []int{}}
	for _, k := range rec.Order {
		st.FaceParameters = append(st.FaceParameters, rec.Plan.Parameters[k])
	}
	if store.Final(s.State) {
		st.FinishedAt = &s.FinishedAt
		st.Response = &liveness.Response{}
		if err := json.Unmarshal(s.Result, st.Response); err != nil {
			return Status{}, fmt.Errorf("session %s: stored result: %w", id, err)
		}
	}
	if imgs, err := m.store.AuditImages(ctx, id); err != nil {
		return Status{}, err
	} else if imgs != nil {
		st.AuditImages = imgs
	}
	return st, nil
}

// AuditImage is the accepted frame of result image n (1-based), as JPEG.
func (m *Manager) AuditImage(ctx context.Context, clientID, id string, n int) ([]byte, error) {
	if _, err := m.owned(ctx, clientID, id); err != nil {
		return nil, err
	}
	return m.store.AuditImage(ctx, id, n)
}

// DeleteAuditImages removes a session's audit images and says how many.
func (m *Manager) DeleteAuditImages(ctx context.Context, clientID, id string) (int, error) {
	if _, err := m.owned(ctx, clientID, id); err != nil {
		return 0, err
	}
	return m.store.DeleteAuditImages(ctx, id)
}

// owned loads a session if clientID created it.
func (m *Manager) owned(ctx context.Context, clientID, id string) (store.Session, error) {
	s, err := m.store.Session(ctx, id)
	if errors.Is(err, store.ErrSessionNotFound) || (err == nil && s.ClientID != clientID) {
		return store.Session{}, ErrNotFound
	}
	return s, err
}
