package store

import (
	"context"
	"time"
)

// Session states. created -> in_progress -> one of the four final states.
const (
	SessionCreated    = "created"
	SessionInProgress = "in_progress"
	SessionPassed     = "passed"
	SessionFailed     = "failed"
	SessionExpired    = "expired"
	SessionCancelled  = "cancelled"
)

// Final reports whether state is one a session never leaves.
func Final(state string) bool {
	switch state {
	case SessionPassed, SessionFailed, SessionExpired, SessionCancelled:
		return true
	}
	return false
}

// Session is one interactive liveness check, from its creation to its
// outcome.
type Session struct {
	ID         string
	ClientID   string
	TrxID      string
	TokenHash  []byte // sha256 of the session token; the token itself is never stored
	State      string
	Reason     string // why it ended (failed, expired, cancelled); "" otherwise
	Request    []byte // the creating request as JSON (opaque to the store)
	Result     []byte // the final response as JSON (opaque); nil until finished
	CreatedAt  time.Time
	ExpiresAt  time.Time
	FinishedAt time.Time // zero until finished

	// Node is the id of the node that owns the session: its goroutine and
	// its stream live there. NodeURL is that node's public base URL, which
	// another node names when a stream reaches it by mistake.
	Node    string
	NodeURL string
	// LeaseUntil is when the owner's claim on an unfinished session ends
	// unless it renews it (RenewLeases); after it, any node may end the
	// session as lost (AbandonSessions with Orphans.LeaseEndedBy).
	LeaseUntil time.Time
}

// Orphans selects the unfinished sessions AbandonSessions ends. Both fields
// narrow the selection; the zero value selects every unfinished session.
type Orphans struct {
	// Node selects the sessions of one node: a node restarting ends those
	// its previous process left.
	Node string
	// LeaseEndedBy selects the sessions whose lease ended before it: those
	// of a node that stopped renewing them, dead or cut off.
	LeaseEndedBy time.Time
}

// Sessions persists liveness sessions and the audit images of their results.
//
// Unlike galleries, sessions are looked up by their ID alone, which is random
// and unguessable: the caller checks Session.ClientID or the token before
// acting for a client. Errors wrap the sentinels, so callers test them with
// errors.Is.
type Sessions interface {
	// CreateSession stores s, or returns ErrSessionExists. s.State must be
	// SessionCreated; s.Reason, s.Result and s.FinishedAt are ignored. A zero
	// s.CreatedAt is set by the store.
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session with its Request and Result, or
	// ErrSessionNotFound.
	Session(ctx context.Context, id string) (Session, error)
	// StartSession moves a created session to SessionInProgress; it does
	// nothing to one already in progress. It returns ErrSessionNotFound, or
	// ErrSessionFinished if the session is in a final state.
	StartSession(ctx context.Context, id string) error
	// FinishSession moves a created or in-progress session to state, which
	// must be final, recording reason, result and at (a zero at means now).
	// It returns ErrSessionNotFound, or ErrSessionFinished if the session is
	// already final: the first finish wins and later ones change nothing.
	FinishSession(ctx context.Context, id, state, reason string, result []byte, at time.Time) error
	// AbandonSessions cancels the unfinished sessions that orphans selects,
	// with reason and at (a zero at means now), storing result(request) as
	// each one's result so that it reads back like any finished session,
	// and returns how many it cancelled. It is meant for the sessions a
	// crash, a restart or a lost node cut off. Of concurrent calls, and of a
	// call racing FinishSession, each session is finished exactly once.
	AbandonSessions(ctx context.Context, orphans Orphans, reason string, at time.Time, result func(request []byte) []byte) (int, error)
	// RenewLeases moves the lease of every unfinished session of node to
	// until, and returns how many it renewed.
	RenewLeases(ctx context.Context, node string, until time.Time) (int, error)

	// PutAuditImage stores jpeg as audit image number image (the 1-based
	// index of the result it illustrates) of the session, replacing any
	// image stored under that number, or returns ErrSessionNotFound.
	PutAuditImage(ctx context.Context, sessionID string, image int, jpeg []byte) error
	// AuditImage returns one audit image, or ErrSessionNotFound or
	// ErrAuditImageNotFound.
	AuditImage(ctx context.Context, sessionID string, image int) ([]byte, error)
	// AuditImages lists the numbers of the session's audit images in
	// ascending order, or returns ErrSessionNotFound.
	AuditImages(ctx context.Context, sessionID string) ([]int, error)
	// DeleteAuditImages deletes all of the session's audit images and returns
	// how many there were, or returns ErrSessionNotFound.
	DeleteAuditImages(ctx context.Context, sessionID string) (int, error)
}
