package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/livenessd/livenessd/liveness"
	"github.com/livenessd/livenessd/rtc"
	"github.com/livenessd/livenessd/session"
)

// sessionCreated is the answer to POST /liveness-api/sessions.
type sessionCreated struct {
	status
	SessionID      string               `json:"session_id"`
	SessionToken   string               `json:"session_token"`
	ExpiresAt      time.Time            `json:"expires_at"`
	WSURL          string               `json:"ws_url"`
	WebRTCURL      string               `json:"webrtc_url"`
	ICEServers     []rtc.ICEServer      `json:"ice_servers"`     // for the browser's RTCPeerConnection
	FaceParameters []liveness.Parameter `json:"face_parameters"` // in the order the user will be asked
	SampleFPS      int                  `json:"sample_fps"`
	StepTimeoutMS  int64                `json:"step_timeout_ms"`
}

// createSession is POST /liveness-api/sessions: the creating client's
// backend gets a session id and a token for the user's device.
func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	s.startSession(w, r, clientOf(r))
}

// demoClient owns the demo page's sessions.
const demoClient = "demo"

// demoSession is POST /demo/sessions, for the demo page only: it creates a
// session without a token. Anyone who reaches the server could use it, so it
// exists only in demo mode (--dev).
func (s *Server) demoSession(w http.ResponseWriter, r *http.Request) {
	if !s.cfg.Demo {
		writeError(w, r, errStatus(http.StatusNotFound, "demo mode is off: start livenessd serve with --dev to use the demo page"))
		return
	}
	s.startSession(w, r, demoClient)
}

func (s *Server) startSession(w http.ResponseWriter, r *http.Request, client string) {
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
	if client == demoClient {
		spec.DeviceResults = true // the demo page explains the verdict; it is no production device
	}
	if err := s.checkLockout(client, spec.Plan); err != nil {
		writeError(w, r, err)
		return
	}
	enrolled, err := s.enrolled(r, client, spec.Plan)
	if err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.sessions.Create(r.Context(), client, spec, enrolled)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, sessionCreated{
		status: ok(r), SessionID: c.ID, SessionToken: c.Token, ExpiresAt: c.ExpiresAt,
		WSURL:      s.publicURL(r, "ws") + "/liveness-api/sessions/" + c.ID + "/ws",
		WebRTCURL:  s.publicURL(r, "http") + "/liveness-api/sessions/" + c.ID + "/webrtc",
		ICEServers: append([]rtc.ICEServer{}, s.cfg.WebRTC.ICEServers...), FaceParameters: c.Order, SampleFPS: spec.SampleFPS,
		StepTimeoutMS: spec.StepTimeout.Milliseconds(),
	})
}

// publicURL is the server as devices reach it, with scheme "http" or "ws"
// (secure variants when the server is): from sessions.public_url when set
// (behind a proxy), else from the request's own host.
func (s *Server) publicURL(r *http.Request, scheme string) string {
	base := s.cfg.Sessions.PublicURL
	if base == "" {
		base = "http://" + r.Host
		if r.TLS != nil {
			base = "https://" + r.Host
		}
	}
	return scheme + strings.TrimPrefix(strings.TrimSuffix(base, "/"), "http")
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
