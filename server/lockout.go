package server

import (
	"fmt"
	"net/http"
	"time"

	"github.com/livenessd/livenessd/liveness"
	"github.com/livenessd/livenessd/store"
)

// lockedError is a 429: the user failed too many checks recently.
type lockedError struct{ until time.Time }

// RetryAfter is how long the lockout lasts.
func (e *lockedError) RetryAfter() time.Duration { return time.Until(e.until) }

func (e *lockedError) Error() string {
	return fmt.Sprintf("too many failed liveness checks for this user_id; locked until %s", e.until.UTC().Format(time.RFC3339))
}

// checkLockout refuses a check for a locked-out user; a plan without a
// user_id is never locked (there is no one to count against).
func (s *Server) checkLockout(client string, plan liveness.Plan) error {
	if plan.UserID == "" {
		return nil
	}
	if st := s.lockout.State(client, plan.UserID); st.Locked(time.Now()) {
		return &lockedError{until: st.LockedUntil}
	}
	return nil
}

// countOutcome records a failed check against the plan's user.
func (s *Server) countOutcome(client string, plan liveness.Plan, failed bool) {
	if !failed || plan.UserID == "" {
		return
	}
	if st := s.lockout.Fail(client, plan.UserID); !st.LockedUntil.IsZero() && st.Failures == 0 {
		s.log.Warn("user locked out after failed liveness checks", "client", client, "user_id", plan.UserID,
			"locked_until", st.LockedUntil)
	}
}

// sessionOutcome counts a finished session: failed counts, cancelled and
// expired do not (the user may just have closed the app).
func (s *Server) sessionOutcome(client string, plan liveness.Plan, state string) {
	s.countOutcome(client, plan, state == store.SessionFailed)
}

// lockoutStatus is GET /liveness-api/lockout?user_id=: the backend's view of
// a user's failed-attempt state.
func (s *Server) lockoutStatus(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user_id")
	if err := liveness.CheckID("user_id", user); err != nil {
		writeError(w, r, err)
		return
	}
	st := s.lockout.State(clientOf(r), user)
	body := struct {
		Status        string     `json:"status"`
		StatusMessage string     `json:"status_message"`
		UserID        string     `json:"user_id"`
		Failures      int        `json:"failures"` // failed checks within the window
		Locked        bool       `json:"locked"`
		LockedUntil   *time.Time `json:"locked_until,omitempty"`
	}{Status: "200", StatusMessage: "Success", UserID: user, Failures: st.Failures, Locked: st.Locked(time.Now())}
	if body.Locked {
		body.LockedUntil = &st.LockedUntil
	}
	writeJSON(w, r, http.StatusOK, body)
}
