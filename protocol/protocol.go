// Package protocol owns the wire format of interactive liveness sessions: the
// JSON messages exchanged over a session's WebSocket (and, with the same
// shapes, its WebRTC data channel) and the WebSocket close codes. The server's
// transports and the Go testclient both speak it; docs/protocol.md describes
// it for implementers in other languages.
package protocol

import (
	"encoding/json"

	"github.com/livenessd/livenessd/liveness"
)

// Message types. Client to server: Hello, Cancel (text), and binary messages
// each holding one JPEG frame. Server to client: the rest.
const (
	TypeHello    = "hello"
	TypeCancel   = "cancel"
	TypePrompt   = "prompt"
	TypeFeedback = "feedback"
	TypeStep     = "step"
	TypeResult   = "result"
	TypeError    = "error"
)

// Envelope is what every text message starts with; decode it first to learn
// the type, then decode the whole message into the matching struct.
type Envelope struct {
	Type string `json:"type"`
}

// Hello is optional and informational: the client says what it is and what
// it sends. It may arrive once, before or between frames.
type Hello struct {
	Type   string `json:"type"` // "hello"
	Client string `json:"client,omitempty"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
}

// Cancel ends the session as cancelled.
type Cancel struct {
	Type string `json:"type"` // "cancel"
}

// Prompt asks the user for a face parameter. It is sent when a step begins.
type Prompt struct {
	Type        string             `json:"type"` // "prompt"
	Step        int                `json:"step"` // 1-based, in the order asked
	Steps       int                `json:"steps"`
	Parameter   liveness.Parameter `json:"parameter"`
	Instruction string             `json:"instruction"` // plain words to show or speak
	DeadlineMS  int64              `json:"deadline_ms"` // Unix time in milliseconds when the step times out
}

// Feedback codes tell the user how to help the camera.
const (
	FeedbackNoFace       = "no_face"
	FeedbackSeveralFaces = "several_faces"
	FeedbackTooFar       = "too_far"
	FeedbackIntoFrame    = "move_into_frame"
	FeedbackTooDark      = "too_dark"
	FeedbackNotYet       = "not_yet"    // the face does not show the parameter yet
	FeedbackHoldStill    = "hold_still" // the pose is right; keep it for another frame
)

// Feedback is sent for a sampled frame that did not pass the step.
type Feedback struct {
	Type    string `json:"type"` // "feedback"
	Step    int    `json:"step"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Frame   int    `json:"frame"` // sequence number of the frame judged (1 = first frame received)
}

// StepResult says a step passed (a frame was accepted) or failed (it timed
// out). Result, that frame's result fields as in the batch response, is
// there only when the session was created with device_results.
type StepResult struct {
	Type   string                `json:"type"` // "step"
	Step   int                   `json:"step"`
	Passed bool                  `json:"passed"`
	Frame  int                   `json:"frame,omitempty"` // the accepted frame; 0 when the step timed out
	Result *liveness.ImageResult `json:"result,omitempty"`
}

// Result is the end of the session, with the session's id and final state.
// Response, the batch endpoint's response, is there only when the session
// was created with device_results; the backend reads it with GET
// /liveness-api/sessions/{id}.
type Result struct {
	Type      string             `json:"type"` // "result"
	SessionID string             `json:"session_id"`
	State     string             `json:"state"`
	Response  *liveness.Response `json:"response,omitempty"`
}

// Error codes of Error messages.
const (
	ErrorBadFrame   = "bad_frame"   // a binary message that is not a JPEG (the frame is dropped)
	ErrorBadMessage = "bad_message" // a text message that is not a known JSON message
	ErrorExpired    = "expired"     // the session expired
	ErrorCancelled  = "cancelled"   // the session was cancelled (by the client or a server shutdown)
)

// Error reports a problem; the connection stays open unless a close follows.
type Error struct {
	Type    string `json:"type"` // "error"
	Code    string `json:"code"`
	Message string `json:"message"`
}

// WebSocket close codes besides RFC 6455's 1000 (session finished), 1001
// (server going away), 1003 (too many bad frames), 1008 (policy: message
// flood) and 1009 (message over the size limit).
const (
	CloseExpired   = 4001 // the session expired before it finished
	CloseCancelled = 4002 // the session was cancelled
)

// Marshal encodes a server message.
func Marshal(msg any) []byte {
	b, err := json.Marshal(msg)
	if err != nil {
		// Every message type here marshals; failing is a programming error.
		panic("protocol: " + err.Error())
	}
	return b
}
