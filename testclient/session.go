package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/coder/websocket"

	"github.com/livenessd/livenessd/protocol"
)

const (
	// createTimeout bounds the create-session call.
	createTimeout = 30 * time.Second
	// dialTimeout bounds the WebSocket handshake.
	dialTimeout = 15 * time.Second
	// maxServerMessage bounds one server message; a result holding many
	// steps' results is larger than the library's default of 32 KiB.
	maxServerMessage = 4 << 20
)

// sessionRequest is the body of POST /liveness-api/sessions. Zero values are
// left out, so the server's defaults apply.
type sessionRequest struct {
	livenessFields
	StepTimeoutMS  int64 `json:"step_timeout_ms,omitempty"`
	RandomizeOrder bool  `json:"randomize_order,omitempty"`
	SampleFPS      int   `json:"sample_fps,omitempty"`
	AuditImages    bool  `json:"audit_images,omitempty"`
}

// sessionCreated is the server's answer to a create-session call.
type sessionCreated struct {
	SessionID      string      `json:"session_id"`
	SessionToken   string      `json:"session_token"`
	ExpiresAt      time.Time   `json:"expires_at"`
	WSURL          string      `json:"ws_url"`
	WebRTCURL      string      `json:"webrtc_url"`
	ICEServers     []iceServer `json:"ice_servers"` // for the WebRTC connection
	FaceParameters []string    `json:"face_parameters"`
	SampleFPS      int         `json:"sample_fps"`
	StepTimeoutMS  int64       `json:"step_timeout_ms"`
}

// iceServer is a STUN or TURN server, in the browser's RTCIceServer shape.
type iceServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username"`
	Credential string   `json:"credential"`
}

func (c *apiClient) createSession(ctx context.Context, req sessionRequest) (*sessionCreated, error) {
	body, err := c.postJSON(ctx, "/liveness-api/sessions", req)
	if err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	var s sessionCreated
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, fmt.Errorf("create session: bad response: %w", err)
	}
	if s.SessionID == "" || s.SessionToken == "" || s.WSURL == "" {
		return nil, fmt.Errorf("create session: response lacks session_id, session_token or ws_url: %s", body)
	}
	return &s, nil
}

// dialSession opens the session's WebSocket, passing the session token as
// the contract's query parameter. A refused upgrade is an *apiError carrying
// the server's JSON error body.
func dialSession(ctx context.Context, s *sessionCreated) (*websocket.Conn, error) {
	u, err := url.Parse(s.WSURL)
	if err != nil {
		return nil, fmt.Errorf("ws_url %q: %w", s.WSURL, err)
	}
	q := u.Query()
	q.Set("session_token", s.SessionToken)
	u.RawQuery = q.Encode()
	conn, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{
		HTTPClient: &http.Client{Timeout: dialTimeout},
		// JPEG frames do not compress; leave permessage-deflate off.
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			// The library keeps the first 1024 bytes of the body: enough for
			// the JSON error.
			body, _ := io.ReadAll(resp.Body)
			return nil, fmt.Errorf("connect: %w", newAPIError(resp.StatusCode, body))
		}
		return nil, fmt.Errorf("connect: %w", err)
	}
	conn.SetReadLimit(maxServerMessage)
	return conn, nil
}

// closeDescription says how a connection ended, from the WebSocket close
// code where there is one.
func closeDescription(err error) string {
	var ce websocket.CloseError
	if !errors.As(err, &ce) {
		return err.Error()
	}
	s := fmt.Sprintf("server closed the connection with %d", int(ce.Code))
	if name, ok := closeNames[ce.Code]; ok {
		s += " (" + name + ")"
	}
	if ce.Reason != "" {
		s += ": " + ce.Reason
	}
	return s
}

// closeNames are what the close codes mean in this protocol.
var closeNames = map[websocket.StatusCode]string{
	websocket.StatusNormalClosure:   "finished",
	websocket.StatusGoingAway:       "server going away",
	websocket.StatusUnsupportedData: "too many bad frames",
	websocket.StatusPolicyViolation: "message flood",
	websocket.StatusMessageTooBig:   "message too big",
	protocol.CloseExpired:           "session expired",
	protocol.CloseCancelled:         "session cancelled",
}
