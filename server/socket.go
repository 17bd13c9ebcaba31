package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/go-chi/chi/v5"

	"github.com/livenessd/livenessd/protocol"
	"github.com/livenessd/livenessd/session"
)

// WebSocket transport limits.
const (
	pingEvery    = 15 * time.Second
	writeTimeout = 10 * time.Second
	maxBadFrames = 10 // consecutive non-JPEG binary messages before the connection is closed
)

// checkHandshake checks what websocket.Accept checks (RFC 6455 4.2.1), so
// that a broken handshake is answered in the API's JSON and leaves the
// session untouched.
func checkHandshake(w http.ResponseWriter, r *http.Request) error {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		w.Header().Set("Upgrade", "websocket")
		return errStatus(http.StatusUpgradeRequired, "this URL takes a WebSocket connection (Upgrade: websocket)")
	}
	if !headerHasToken(r.Header, "Connection", "upgrade") {
		return errStatus(http.StatusBadRequest, "WebSocket handshake: Connection header must include upgrade")
	}
	if v := r.Header.Get("Sec-WebSocket-Version"); v != "13" {
		w.Header().Set("Sec-WebSocket-Version", "13")
		return errStatus(http.StatusUpgradeRequired, fmt.Sprintf("WebSocket handshake: Sec-WebSocket-Version %q; this server speaks 13", v))
	}
	if key, err := base64.StdEncoding.DecodeString(r.Header.Get("Sec-WebSocket-Key")); err != nil || len(key) != 16 {
		return errStatus(http.StatusBadRequest, "WebSocket handshake: Sec-WebSocket-Key must be 16 bytes in base64")
	}
	return nil
}

// headerHasToken reports whether a comma-separated header holds token.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// sessionSocket is GET /liveness-api/sessions/{id}/ws, the WebSocket
// transport of a session. The device authenticates with the session token
// (query session_token, or Authorization: Bearer): the client's access token
// never reaches a phone. Refusals happen before the upgrade, as JSON errors.
func (s *Server) sessionSocket(w http.ResponseWriter, r *http.Request) {
	token := sessionToken(r)
	if token == "" {
		writeError(w, r, errStatus(http.StatusUnauthorized, "session token missing: add ?session_token= to the URL"))
		return
	}
	// Refuse a bad handshake before it takes the session's one connection:
	// the WebSocket library would refuse it after, in plain text.
	if err := checkHandshake(w, r); err != nil {
		writeError(w, r, err)
		return
	}
	conn, err := s.sessions.Attach(r.Context(), chi.URLParam(r, "id"), token)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer conn.Leave("the connection failed")
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// The session token, not a cookie, authenticates the socket, so a
		// page on another origin gains nothing by opening it: the SDK may
		// be served from the integrator's site.
		InsecureSkipVerify: true,
		// JPEG frames do not compress; deflate would only cost CPU.
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		logger(r).Info("websocket upgrade failed", "err", err)
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(int64(s.cfg.Sessions.MaxFrameBytes))
	s.sockets.Add(1)
	defer s.sockets.Done()

	// The request's deadline is for ordinary requests; a session's socket
	// lives until the session ends.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()
	out := &outbox{notices: make(chan any, 8), closes: make(chan closeRequest, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		writeLoop(ctx, c, conn, out)
		cancel() // the reader stops too
	}()
	go pingLoop(ctx, c)
	conn.Leave(readLoop(ctx, c, conn, out)) // a reader that stopped first means the client left
	<-done
	logger(r).Info("websocket closed")
}

// outbox is what the reader asks the one writer to send: transport-level
// error messages, and a close when the client broke the protocol (written
// after the errors that explain it).
type outbox struct {
	notices chan any
	closes  chan closeRequest
}

type closeRequest struct {
	code   websocket.StatusCode
	reason string
}

// notify queues a transport error message, dropping it if the client is not
// reading its messages anyway.
func (o *outbox) notify(e protocol.Error) {
	select {
	case o.notices <- e:
	default:
	}
}

func (o *outbox) close(code websocket.StatusCode, reason string) {
	o.closes <- closeRequest{code, reason} // buffered; the reader asks once, then returns
}

// readLoop hands frames to the session and answers the client's text
// messages; it never blocks on the session. It returns why the connection
// ended, for the session's record.
func readLoop(ctx context.Context, c *websocket.Conn, conn *session.Conn, out *outbox) string {
	seq, bad := 0, 0
	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			switch {
			// The library has closed with 1009 when a message is over the
			// limit; it refuses an unmasked frame (RFC 6455 5.1) but leaves
			// the close to us. Neither error has a type to match.
			case strings.Contains(err.Error(), "read limited"):
				return "the client sent a message over the size limit"
			case strings.Contains(err.Error(), "unmasked frame"):
				out.close(websocket.StatusProtocolError, "client frames must be masked")
				return "the client sent an unmasked frame"
			case errors.As(err, &ce) && !utf8.ValidString(ce.Reason):
				// The library has echoed the close already (RFC 6455 8.1
				// would fail the connection): only the record can say so.
				return "the client closed with a reason that is not UTF-8"
			}
			return "the client disconnected"
		}
		now := time.Now()
		if typ == websocket.MessageText && !utf8.Valid(data) {
			out.close(websocket.StatusInvalidFramePayloadData, "text messages must be UTF-8")
			return "the client sent a text message that is not UTF-8"
		}
		if typ == websocket.MessageBinary {
			seq++
			if !bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}) {
				out.notify(protocol.Error{Type: protocol.TypeError, Code: protocol.ErrorBadFrame,
					Message: "binary messages must each be one JPEG frame"})
				if bad++; bad >= maxBadFrames {
					out.close(websocket.StatusUnsupportedData, "too many binary messages that are not JPEG")
					return "the client sent too many binary messages that are not JPEG"
				}
				continue
			}
			bad = 0
			conn.Frame(session.Frame{Seq: seq, At: now, JPEG: data})
			continue
		}
		reply, err := conn.Text(data, now)
		if errors.Is(err, session.ErrFlood) {
			out.close(websocket.StatusPolicyViolation, "too many text messages")
			return err.Error()
		}
		if reply != nil {
			out.notify(*reply)
		}
	}
}

// writeLoop is the connection's one writer: session events and transport
// notices, then the close the protocol or the session's end calls for.
func writeLoop(ctx context.Context, c *websocket.Conn, conn *session.Conn, out *outbox) {
	events := conn.Events()
	write := func(msg any) bool {
		wctx, cancel := context.WithTimeout(ctx, writeTimeout)
		defer cancel()
		// A client that does not read for writeTimeout is gone.
		return c.Write(wctx, websocket.MessageText, protocol.Marshal(msg)) == nil
	}
	closeFor := func(req closeRequest) {
		for {
			select {
			case msg := <-out.notices:
				if !write(msg) {
					return
				}
			default:
				c.Close(req.code, req.reason)
				return
			}
		}
	}
	for {
		var msg any
		select {
		case <-ctx.Done():
			return
		case req := <-out.closes:
			closeFor(req)
			return
		case msg = <-out.notices:
		case m, ok := <-events:
			if !ok {
				// The reader asks for its close before the session can end
				// because of it: that close and its reason win.
				select {
				case req := <-out.closes:
					closeFor(req)
					return
				default:
				}
				code := conn.CloseCode()
				if code == 0 {
					code = int(websocket.StatusNormalClosure)
				}
				c.Close(websocket.StatusCode(code), closeReason(code))
				return
			}
			msg = m
		}
		if !write(msg) {
			return
		}
	}
}

func closeReason(code int) string {
	switch code {
	case protocol.CloseExpired:
		return "session expired"
	case protocol.CloseCancelled:
		return "session cancelled"
	case int(websocket.StatusGoingAway):
		return "server shutting down"
	}
	return "session finished"
}

// pingLoop notices a peer that vanished without closing (a phone that lost
// its network): a ping unanswered within writeTimeout ends the connection.
func pingLoop(ctx context.Context, c *websocket.Conn) {
	t := time.NewTicker(pingEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := c.Ping(pctx)
			cancel()
			if err != nil && !errors.Is(err, context.Canceled) {
				c.CloseNow()
				return
			}
		}
	}
}
