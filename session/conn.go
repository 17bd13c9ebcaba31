package session

import (
	"context"
	"encoding/json"
	"errors"
	"image"
	"strconv"
	"sync"
	"time"

	"github.com/livenessd/livenessd/protocol"
)

// Frame is one camera frame from a transport: JPEG bytes as a phone sends
// them, or the picture a WebRTC decoder produced (a *image.YCbCr the
// transport no longer touches). Only sampled frames are decoded or
// converted, and analysed.
type Frame struct {
	Seq   int       // 1-based, in the order the transport received frames
	At    time.Time // when the transport received it: feedback latency counts from here
	JPEG  []byte
	Image image.Image
}

// Conn is a transport's handle on its session. Frames go in through Frame;
// protocol messages come out of Events until the session ends, when Events
// is closed and CloseCode says how to close the connection.
type Conn struct {
	s         *Session
	events    chan any
	gone      chan struct{} // closed by Leave: the transport has left
	leaveOnce sync.Once
	why       string    // why it left; written before gone is closed
	closeCode int       // written by the session before it closes events
	text      rateLimit // the transport's read loop is its only user
}

// eventBuffer holds prompts and step results while the transport writes;
// feedback beyond it is dropped rather than delaying the session.
const eventBuffer = 16

func newConn(s *Session) *Conn {
	return &Conn{s: s, events: make(chan any, eventBuffer), gone: make(chan struct{}),
		text: newRateLimit(textPerSecond, textBurst)}
}

// Events yields protocol messages (protocol.Prompt, Feedback, StepResult,
// Result, Error) for the transport to send, in order.
func (c *Conn) Events() <-chan any { return c.events }

// CloseCode is the WebSocket close code for the end of the session; valid
// once Events is closed.
func (c *Conn) CloseCode() int { return c.closeCode }

// Frame offers a frame without ever blocking the transport's read loop: a
// frame the session is not ready for is dropped.
func (c *Conn) Frame(f Frame) {
	select {
	case c.s.frames <- f:
	case <-c.s.done:
	default:
		c.s.m.metrics.frames.WithLabelValues("dropped").Inc()
	}
}

// Cancel ends the session as cancelled at the user's request.
func (c *Conn) Cancel() {
	select {
	case c.s.cancelReq <- "cancelled by the client":
	case <-c.s.done:
	}
}

// Leave tells the session its transport has gone, and why. A session that
// has not finished by then is cancelled with that reason: a stream cannot
// resume. Only the first call counts.
func (c *Conn) Leave(reason string) {
	c.leaveOnce.Do(func() {
		c.why = reason
		close(c.gone)
	})
}

// ErrFlood means the client sends text messages faster than any honest
// client would; the transport should close the connection.
var ErrFlood = errors.New("the client flooded the connection with text messages")

// Text handles one text message from the client (hello or cancel). A
// message that is not part of the protocol gets an error message to send
// back; a flood gets ErrFlood. Transports call it from their read loop.
func (c *Conn) Text(data []byte, now time.Time) (*protocol.Error, error) {
	if !c.text.allow(now) {
		return nil, ErrFlood
	}
	var env protocol.Envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return &protocol.Error{Type: protocol.TypeError, Code: protocol.ErrorBadMessage,
			Message: "text messages must be JSON objects with a type"}, nil
	}
	switch env.Type {
	case protocol.TypeHello:
	case protocol.TypeCancel:
		c.Cancel()
	default:
		return &protocol.Error{Type: protocol.TypeError, Code: protocol.ErrorBadMessage,
			Message: "unknown message type " + strconv.Quote(env.Type)}, nil
	}
	return nil, nil
}

// Text messages a client may send: hello and cancel need a handful.
const (
	textPerSecond = 10
	textBurst     = 20
)

// rateLimit is a token bucket: burst messages at once, then rate per second.
type rateLimit struct {
	rate, burst, tokens float64
	last                time.Time
}

func newRateLimit(rate, burst float64) rateLimit {
	return rateLimit{rate: rate, burst: burst, tokens: burst}
}

func (l *rateLimit) allow(now time.Time) bool {
	if !l.last.IsZero() {
		l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	}
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}

type attachReply struct {
	conn *Conn
	err  error
}

// attach asks the session's goroutine for the connection.
func (s *Session) attach(ctx context.Context) (*Conn, error) {
	reply := make(chan attachReply, 1)
	select {
	case s.attachReq <- reply:
	case <-s.done:
		return nil, ErrFinished
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	r := <-reply // the session answers every request it takes
	return r.conn, r.err
}
