package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/livenessd/livenessd/liveness"
	"github.com/livenessd/livenessd/session"
)

// sessionCreated is the answer to POST /liveness-api/sessions.
type sessionCreated struct {
	status
	SessionID      string               `json:"session_id"`
	SessionToken   string               `json:"session_token"`
	ExpiresAt      time.Time            `json:"expires_at"`
	WSURL          string               `json:"ws_url"`
	FaceParameters []liveness.Parameter `json:"face_parameters"` // in the order the user will be asked
	SampleFPS      int                  `json:"sample_fps"`
	StepTimeoutMS  int64                `json:"step_timeout_ms"`
}

// createSession is POST /liveness-api/sessions: the creating client's
// backend gets a session id and a token for the user's device.
func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	var req session.Request
	if err := decodeJSON(w, r, 64<<10, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if liveness.CheckTrxID(req.TrxID) == nil {
		setTrx(r, req.TrxID)
	}
	spec, err := req.Check(s.cfg.Limits.MaxImages)
	if err != nil {
		writeError(w, r, err)
		return
	}
	enrolled, err := s.enrolled(r, spec.Plan)
	if err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.sessions.Create(r.Context(), clientOf(r), spec, enrolled)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, sessionCreated{
		status: ok(r), SessionID: c.ID, SessionToken: c.Token, ExpiresAt: c.ExpiresAt,
		WSURL: s.wsURL(r, c.ID), FaceParameters: c.Order, SampleFPS: spec.SampleFPS,
		StepTimeoutMS: spec.StepTimeout.Milliseconds(),
	})
}

// wsURL is where the device connects: from sessions.public_url when set
// (behind a proxy), else from the request's own host.
func (s *Server) wsURL(r *http.Request, id string) string {
	base := s.cfg.Sessions.PublicURL
	if base == "" {
		scheme := "http://"
		if r.TLS != nil {
			scheme = "https://"
		}
		base = scheme + r.Host
	}
	base = strings.TrimSuffix(base, "/")
	base = "ws" + strings.TrimPrefix(base, "http") // http -> ws, https -> wss
	return base + "/liveness-api/sessions/" + id + "/ws"
}

func (s *Server) sessionStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.sessions.Status(r.Context(), clientOf(r), chi.URLParam(r, "id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	setTrx(r, st.TrxID)
	writeJSON(w, r, http.StatusOK, st)
}

// auditImage is one accepted frame, numbered as results.imageN.
func (s *Server) auditImage(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(chi.URLParam(r, "n"))
	if err != nil || n < 1 {
		writeError(w, r, errStatus(http.StatusBadRequest, "image number must be 1 or more"))
		return
	}
	jpeg, err := s.sessions.AuditImage(r.Context(), clientOf(r), chi.URLParam(r, "id"), n)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(jpeg)
}

func (s *Server) deleteAuditImages(w http.ResponseWriter, r *http.Request) {
	n, err := s.sessions.DeleteAuditImages(r.Context(), clientOf(r), chi.URLParam(r, "id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, struct {
		status
		Deleted int `json:"deleted"`
	}{ok(r), n})
}
