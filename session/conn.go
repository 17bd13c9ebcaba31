package session

import (
	"context"
	"image"
	"sync"
	"time"
)

// Frame is one camera frame from a transport: JPEG bytes as a phone sends
// them, or pixels a WebRTC decoder produced. Only sampled frames are
// decoded and analysed.
type Frame struct {
	Seq   int       // 1-based, in the order the transport received frames
	At    time.Time // when the transport received it: feedback latency counts from here
	JPEG  []byte
	Image *image.NRGBA
}

// Conn is a transport's handle on its session. Frames go in through Frame;
// protocol messages come out of Events until the session ends, when Events
// is closed and CloseCode says how to close the connection.
type Conn struct {
	s         *Session
	events    chan any
	gone      chan struct{} // closed by Leave: the transport has left
	leaveOnce sync.Once
	why       string // why it left; written before gone is closed
	closeCode int    // written by the session before it closes events
}

// eventBuffer holds prompts and step results while the transport writes;
// feedback beyond it is dropped rather than delaying the session.
const eventBuffer = 16

func newConn(s *Session) *Conn {
	return &Conn{s: s, events: make(chan any, eventBuffer), gone: make(chan struct{})}
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
