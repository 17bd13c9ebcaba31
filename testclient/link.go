package main

import (
	"context"
	"errors"

	"github.com/coder/websocket"

	"github.com/livenessd/livenessd/protocol"
)

// link is one session's connection to the server, whatever carries it: the
// WebSocket (wsLink) or WebRTC (rtcLink). sessionRun holds the conversation
// over it; a link only moves frames and messages and says how it ended.
//
// sessionRun uses a link from three goroutines at most: one writer of frames
// (sendFrame), one reader (next), and its own, which sends the hello and the
// cancel (sendJSON) and ends the link (finish, abort).
type link interface {
	// sendFrame sends one frame of the clip, a JPEG as the source holds it.
	// It calls onWire just before the frame goes on the wire, after any
	// work the client does first (WebRTC encodes the frame), so that the
	// feedback latency counts from there.
	sendFrame(ctx context.Context, frame []byte, onWire func()) error
	// sendJSON sends one protocol message (hello, cancel).
	sendJSON(ctx context.Context, msg any) error
	// next returns the server's next text message, in order; an error when
	// the link has ended, was aborted, or the server broke the protocol.
	next(ctx context.Context) ([]byte, error)
	// finish ends the link after the result, as the transport expects.
	finish()
	// abort ends the link now: a next or sendFrame under way returns. It
	// may be called more than once, and after finish.
	abort()
	// closeStatus describes an error from next: the WebSocket close code
	// the server ended the link with (protocol.CloseExpired, say), or -1
	// where there is none, and why the link ended, in words.
	closeStatus(err error) (code int, why string)
}

// wsLink is the session's WebSocket: frames are binary messages, protocol
// messages text ones, and the server's close code says how a session that
// sent no result ended.
type wsLink struct {
	conn *websocket.Conn
}

// connectWS opens the session's WebSocket.
func connectWS(ctx context.Context, s *sessionCreated) (link, error) {
	conn, err := dialSession(ctx, s)
	if err != nil {
		return nil, err
	}
	return wsLink{conn: conn}, nil
}

func (l wsLink) sendFrame(ctx context.Context, frame []byte, onWire func()) error {
	// Before writing: the server may answer before Write returns.
	onWire()
	return l.conn.Write(ctx, websocket.MessageBinary, frame)
}

func (l wsLink) sendJSON(ctx context.Context, msg any) error {
	return l.conn.Write(ctx, websocket.MessageText, protocol.Marshal(msg))
}

func (l wsLink) next(ctx context.Context) ([]byte, error) {
	typ, data, err := l.conn.Read(ctx)
	if err != nil {
		return nil, err
	}
	if typ != websocket.MessageText {
		return nil, errors.New("the server sent a binary message")
	}
	return data, nil
}

// finish answers the server's closing handshake (it closes after the
// result); this also ends a write in progress.
func (l wsLink) finish() { l.conn.Close(websocket.StatusNormalClosure, "") }

func (l wsLink) abort() { l.conn.CloseNow() }

func (l wsLink) closeStatus(err error) (int, string) {
	return int(websocket.CloseStatus(err)), closeDescription(err)
}
