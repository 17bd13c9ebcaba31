package server

import (
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/livenessd/livenessd/rtc"
)

// maxOfferBytes bounds an SDP offer; a browser's is 3-6 KB.
const maxOfferBytes = 64 << 10

// sessionWebRTC is POST /liveness-api/sessions/{id}/webrtc, WHIP-style: the
// body is the browser's SDP offer (with all its ICE candidates), the answer
// is 201 with the server's SDP. The device authenticates with its session
// token, as for the WebSocket. The offer is checked before the session's
// one connection is taken, so a bad offer can be corrected and resent.
func (s *Server) sessionWebRTC(w http.ResponseWriter, r *http.Request) {
	token := sessionToken(r)
	if token == "" {
		writeError(w, r, errStatus(http.StatusUnauthorized, "session token missing: send Authorization: Bearer <session_token>"))
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/sdp" {
		writeError(w, r, errStatus(http.StatusUnsupportedMediaType, "send the SDP offer as application/sdp"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOfferBytes))
	if err != nil {
		writeError(w, r, err)
		return
	}
	offer := string(body)
	if err := rtc.CheckOffer(offer); err != nil {
		writeError(w, r, err)
		return
	}
	conn, err := s.sessions.Attach(r.Context(), chi.URLParam(r, "id"), token)
	if err != nil {
		writeError(w, r, err)
		return
	}
	answer, err := s.rtc.Answer(r.Context(), offer, conn, logger(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	logger(r).Info("webrtc connected")
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", r.URL.Path)
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, answer)
}

// sessionToken is the device's credential: Authorization: Bearer, or the
// session_token query parameter (browsers cannot set WebSocket headers).
func sessionToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return r.URL.Query().Get("session_token")
}
