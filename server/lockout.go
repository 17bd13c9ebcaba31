package server

import (
	"fmt"
	"net/http"
	"time"

	"github.com/livenessd/livenessd/liveness"
	"github.com/livenessd/livenessd/store"
)

// lockedError is a 429: the user or the device failed too many checks
// recently.
type lockedError struct {
	field string // user_id or device_id
	until time.Time
}

// RetryAfter is how long the lockout lasts.
func (e *lockedError) RetryAfter() time.Duration { return time.Until(e.until) }

func (e *lockedError) Error() string {
	return fmt.Sprintf("too many failed liveness checks for this %s; locked until %s", e.field, e.until.UTC().Format(time.RFC3339))
}

// lockoutKey is what failures are counted against: a user_id and a
// device_id are counted apart, so one cannot unlock the other.
func lockoutKey(field, id string) string { return field + " " + id }

// countedIDs are the plan's user_id and device_id, those it has.
func countedIDs(plan liveness.Plan) [][2]string {
	var ids [][2]string
	if plan.UserID != "" {
		ids = append(ids, [2]string{"user_id", plan.UserID})
	}
	if plan.DeviceID != "" {
		ids = append(ids, [2]string{"device_id", plan.DeviceID})
	}
	return ids
}

// checkLockout refuses a check for a locked-out user or device; a plan with
// neither is never locked (there is no one to count against).
func (s *Server) checkLockout(client string, plan liveness.Plan) error {
	for _, id := range countedIDs(plan) {
		if st := s.lockout.State(client, lockoutKey(id[0], id[1])); st.Locked(time.Now()) {
			return &lockedError{field: id[0], until: st.LockedUntil}
		}
	}
	return nil
}

// countOutcome records a failed check against the plan's user and device.
func (s *Server) countOutcome(client string, plan liveness.Plan, failed bool) {
	if !failed {
		return
	}
	for _, id := range countedIDs(plan) {
		if st := s.lockout.Fail(client, lockoutKey(id[0], id[1])); !st.LockedUntil.IsZero() && st.Failures == 0 {
			s.log.Warn("locked out after failed liveness checks", "client", client, id[0], id[1],
				"locked_until", st.LockedUntil)
		}
	}
}

// sessionOutcome counts a finished session: failed counts, cancelled and
// expired do not (the user may just have closed the app).
func (s *Server) sessionOutcome(client string, plan liveness.Plan, state string) {
	s.countOutcome(client, plan, state == store.SessionFailed)
}

// lockoutStatus is GET /liveness-api/lockout?user_id= (or ?device_id=): the
// backend's view of a user's or a device's failed-attempt state.
func (s *Server) lockoutStatus(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	field := "user_id"
	if q.Has("device_id") {
		field = "device_id"
	}
	if q.Has("user_id") && q.Has("device_id") {
		writeError(w, r, &liveness.FieldError{Field: "user_id", Message: "give user_id or device_id, not both"})
		return
	}
	id := q.Get(field)
	if err := liveness.CheckID(field, id); err != nil {
		writeError(w, r, err)
		return
	}
	st := s.lockout.State(clientOf(r), lockoutKey(field, id))
	body := struct {
		Status        string     `json:"status"`
		StatusMessage string     `json:"status_message"`
		UserID        string     `json:"user_id,omitempty"`
		DeviceID      string     `json:"device_id,omitempty"`
		Failures      int        `json:"failures"` // failed checks within the window
		Locked        bool       `json:"locked"`
		LockedUntil   *time.Time `json:"locked_until,omitempty"`
	}{Status: "200", StatusMessage: "Success", Failures: st.Failures, Locked: st.Locked(time.Now())}
	if field == "user_id" {
		body.UserID = id
	} else {
		body.DeviceID = id
	}
	if body.Locked {
		body.LockedUntil = &st.LockedUntil
	}
	writeJSON(w, r, http.StatusOK, body)
}
