package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/livenessd/livenessd/liveness"
	"github.com/livenessd/livenessd/protocol"
)

// fakeToken is the access token the fake server accepts.
const fakeToken = "access-token"

// fakeServer implements just enough of livenessd's HTTP and WebSocket
// contract for the client's unit tests; the end-to-end tests against the
// real server live with the server.
type fakeServer struct {
	*httptest.Server
	t *testing.T
	// batch answers a verify-face-liveness call that carried the token.
	batch func(req batchRequest) (status int, body string)
	// converse plays the server's side of a session's WebSocket; the
	// connection is closed (without a handshake) when it returns.
	converse func(p *peer)
	// refuseWS, when set, answers every upgrade with this status.
	refuseWS int
	// rtcConverse plays the server's side of a session over WebRTC, once
	// the client's data channel is open (see rtcfake_test.go).
	rtcConverse func(p *rtcPeer)
	// refuseRTC, when set, answers every WebRTC offer with this status.
	refuseRTC int
	rtc       rtcPeers

	mu       sync.Mutex
	batches  []batchRequest
	sessions []sessionRequest
	hellos   []protocol.Hello
}

func newFakeServer(t *testing.T) *fakeServer {
	f := &fakeServer{t: t}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /liveness-api/verify-face-liveness", f.handleBatch)
	mux.HandleFunc("POST /liveness-api/sessions", f.handleCreate)
	mux.HandleFunc("GET /liveness-api/sessions/{id}/ws", f.handleWS)
	mux.HandleFunc("POST /liveness-api/sessions/{id}/webrtc", f.handleWebRTC)
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	t.Cleanup(f.rtc.close) // first: the peer connections end before the server
	return f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"status": strconv.Itoa(status), "status_message": message})
}

func (f *fakeServer) handleBatch(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Accesstoken") != fakeToken {
		writeError(w, http.StatusUnauthorized, "invalid access token")
		return
	}
	var req batchRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	f.mu.Lock()
	f.batches = append(f.batches, req)
	f.mu.Unlock()
	status, body := f.batch(req)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func (f *fakeServer) handleCreate(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Accesstoken") != fakeToken {
		writeError(w, http.StatusUnauthorized, "invalid access token")
		return
	}
	var req sessionRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	f.mu.Lock()
	f.sessions = append(f.sessions, req)
	id := fmt.Sprintf("s%d", len(f.sessions))
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"status":          "200",
		"session_id":      id,
		"session_token":   "tok-" + id,
		"expires_at":      time.Now().Add(time.Minute).Format(time.RFC3339),
		"ws_url":          "ws://" + r.Host + "/liveness-api/sessions/" + id + "/ws",
		"webrtc_url":      "http://" + r.Host + "/liveness-api/sessions/" + id + "/webrtc",
		"ice_servers":     []any{},
		"face_parameters": req.FaceParameters,
		"sample_fps":      5,
		"step_timeout_ms": 8000,
	})
}

func (f *fakeServer) handleWS(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if f.refuseWS != 0 {
		writeError(w, f.refuseWS, "a connection is already live")
		return
	}
	if r.URL.Query().Get("session_token") != "tok-"+id {
		writeError(w, http.StatusUnauthorized, "bad session token")
		return
	}
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		f.t.Errorf("accept: %v", err)
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(16 << 20)
	f.converse(&peer{f: f, ctx: r.Context(), conn: conn, id: id})
}

// received returns what the server was sent so far.
func (f *fakeServer) received() (batches []batchRequest, sessions []sessionRequest, hellos []protocol.Hello) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.batches), slices.Clone(f.sessions), slices.Clone(f.hellos)
}

// peer is the fake server's side of one session's WebSocket.
type peer struct {
	f    *fakeServer
	ctx  context.Context
	conn *websocket.Conn
	id   string
	// frames counts the binary messages received, as the server numbers them.
	frames int
}

func (p *peer) send(msg any) error {
	return p.conn.Write(p.ctx, websocket.MessageText, protocol.Marshal(msg))
}

// next returns the next message from the client: a frame (typ "") or a text
// message's type and body.
func (p *peer) next() (typ string, data []byte, err error) {
	mt, data, err := p.conn.Read(p.ctx)
	if err != nil {
		return "", nil, err
	}
	if mt == websocket.MessageBinary {
		p.frames++
		return "", data, nil
	}
	var env protocol.Envelope
	if err := json.Unmarshal(data, &env); err != nil {
		p.f.t.Errorf("client sent text that is not JSON: %q", data)
	}
	return env.Type, data, nil
}

// expectHello reads the first message, which must be the client's hello,
// and records it.
func (p *peer) expectHello() {
	typ, data, err := p.next()
	var hello protocol.Hello
	if err != nil || typ != protocol.TypeHello || json.Unmarshal(data, &hello) != nil {
		p.f.t.Errorf("first message: type %q, err %v; want a hello", typ, err)
	}
	p.f.mu.Lock()
	p.f.hellos = append(p.f.hellos, hello)
	p.f.mu.Unlock()
}

// collect reads the client's messages in the background until the
// connection ends, calling onFrame (when set) with each frame's number. The
// returned wait gives, once the connection has ended, when each frame
// arrived after the call.
func (p *peer) collect(onFrame func(frame int)) (wait func() []time.Duration) {
	start := time.Now()
	var arrivals []time.Duration
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			typ, _, err := p.next()
			if err != nil {
				return
			}
			if typ == "" {
				arrivals = append(arrivals, time.Since(start))
				if onFrame != nil {
					onFrame(p.frames)
				}
			}
		}
	}()
	return func() []time.Duration {
		<-done
		return arrivals
	}
}

func (p *peer) prompt() error { return p.send(promptMessage()) }

func (p *peer) feedback(frame int) error { return p.send(feedbackMessage(frame)) }

// finish sends the step's verdict (frame 0: the step timed out) and the
// result, then closes as the server does after a result.
func (p *peer) finish(passed bool, frame int) {
	for _, msg := range finishMessages(p.id, passed, frame) {
		p.send(msg)
	}
	p.conn.Close(websocket.StatusNormalClosure, "")
}

// The messages of a one-step session, whatever the transport.

func promptMessage() protocol.Prompt {
	return protocol.Prompt{Type: protocol.TypePrompt, Step: 1, Steps: 1, Parameter: liveness.Front,
		Instruction: "look straight at the camera", DeadlineMS: time.Now().Add(8 * time.Second).UnixMilli()}
}

func feedbackMessage(frame int) protocol.Feedback {
	return protocol.Feedback{Type: protocol.TypeFeedback, Step: 1, Code: protocol.FeedbackNotYet,
		Message: "look at the camera", Frame: frame}
}

// finishMessages are the step's verdict (frame 0: the step timed out) and
// the result.
func finishMessages(id string, passed bool, frame int) []any {
	state := liveness.Failed
	if passed {
		state = liveness.Passed
	}
	img := liveness.ImageResult{FaceParameter: liveness.Front, Passed: passed}
	resp := liveness.Response{Status: "200", StatusMessage: "Success", Liveness: state,
		Results: liveness.Results{img}, TrxID: "trx", SuccessThreshold: 1}
	if passed {
		resp.PassedImages = 1
	}
	return []any{
		protocol.StepResult{Type: protocol.TypeStep, Step: 1, Passed: passed, Frame: frame, Result: &img},
		protocol.Result{Type: protocol.TypeResult, SessionID: id, State: state, Response: &resp},
	}
}

// passAfter is a conversation that answers each frame with feedback and
// passes the step at frame n; a cancel ends it as the contract says.
func passAfter(n int) func(p *peer) {
	return func(p *peer) {
		p.expectHello()
		p.prompt()
		for {
			typ, _, err := p.next()
			switch {
			case err != nil:
				return
			case typ == protocol.TypeCancel:
				p.send(protocol.Error{Type: protocol.TypeError, Code: protocol.ErrorCancelled, Message: "cancelled by the client"})
				p.conn.Close(protocol.CloseCancelled, "cancelled")
				return
			case typ != "":
				continue
			case p.frames < n:
				p.feedback(p.frames)
			default:
				p.finish(true, p.frames)
				return
			}
		}
	}
}

// tinyJPEG encodes a small gray JPEG whose pixels depend on shade.
func tinyJPEG(t *testing.T, shade uint8) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 32, 24))
	for i := range img.Pix {
		img.Pix[i] = shade + uint8(i)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// jpegDir writes n distinct JPEG frames into a temporary directory.
func jpegDir(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	for i := range n {
		name := filepath.Join(dir, fmt.Sprintf("frame%03d.jpg", i))
		if err := os.WriteFile(name, tinyJPEG(t, uint8(10*i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
