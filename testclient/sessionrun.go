package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/livenessd/livenessd/protocol"
)

// hangUpGrace is how long the server gets to end a session on its own after
// the client asked it to cancel or could no longer write.
const hangUpGrace = 5 * time.Second

// Session outcomes, as load counts them.
const (
	outcomePassed    = "passed"
	outcomeFailed    = "failed"
	outcomeExpired   = "expired"
	outcomeCancelled = "cancelled"
	outcomeError     = "error"
)

// sessionPlan is everything one interactive session needs; ws, webrtc and
// load build it from their flags and run it the same way.
type sessionPlan struct {
	api     *apiClient
	request sessionRequest
	clip    *clip
	fps     float64
	loop    bool
	// connect opens the created session's connection: connectWS (the
	// default, when nil) or a WebRTC connector (rtcOptions.connector).
	connect func(ctx context.Context, s *sessionCreated) (link, error)
	// observe, when set, sees the created session (*sessionCreated) and then
	// each server message before the result as it arrives: *protocol.Prompt,
	// *protocol.Feedback, *protocol.StepResult, *protocol.Error or
	// unknownMessage. It is called from one goroutine at a time.
	observe func(msg any)
}

// unknownMessage is a server message of a type this client does not know.
type unknownMessage []byte

// sessionOutcome is what one session came to.
type sessionOutcome struct {
	outcome  string           // one of the outcome constants
	result   *protocol.Result // nil unless the server sent one
	response json.RawMessage  // the result's response as sent, or the backend's GET of the session when the device got none
	err      error            // why there is no result, or what is wrong with it
	duration time.Duration    // from the create request to the result (or the end)

	framesSent, framesSkipped int
	latencies                 []time.Duration // frame to first feedback or step naming it
	steps                     []time.Duration // accepted frame to its passed step
}

// runSession creates a session, streams the plan's clip into it and reads
// the server's messages until the result. ctx bounds the whole session;
// when interrupt ends first, the session is cancelled.
func runSession(ctx, interrupt context.Context, plan sessionPlan) sessionOutcome {
	start := time.Now()
	failed := func(err error) sessionOutcome {
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		return sessionOutcome{outcome: outcomeError, err: err, duration: time.Since(start)}
	}
	created, err := plan.api.createSession(ctx, plan.request)
	if err != nil {
		return failed(err)
	}
	if plan.observe != nil {
		plan.observe(created)
	}
	connect := plan.connect
	if connect == nil {
		connect = connectWS
	}
	l, err := connect(ctx, created)
	if err != nil {
		return failed(err)
	}
	// converse ends the link on every path; this makes sure of it.
	defer l.abort()
	s := &sessionRun{link: l, plan: plan}
	err = s.converse(ctx, interrupt)
	out := s.outcome(ctx, start, err)
	if out.result != nil && (len(out.response) == 0 || string(out.response) == "null") {
		// The device was told passed or failed only; the backend's view
		// has the scores and reasons.
		if body, err := plan.api.session(ctx, out.result.SessionID); err == nil {
			out.response = body
		} else if out.err == nil {
			out.err = fmt.Errorf("reading the full result: %w", err)
		}
	}
	return out
}

// sessionRun is one session's live connection and what it has seen.
type sessionRun struct {
	link   link
	plan   sessionPlan
	ledger frameLedger

	// Written by the writer goroutine, read after it is joined.
	skipped int
	// Written by the reader goroutine, read after it is joined.
	result    *protocol.Result
	response  json.RawMessage
	resultAt  time.Time
	lastError *protocol.Error
	// Written and read by converse's goroutine only.
	cancelled bool
}

// converse runs the conversation: a reader goroutine takes the server's
// messages until the result, a writer goroutine streams the clip, and this
// goroutine reacts to whatever ends them. Both are joined before it returns;
// the error is the reader's (nil when the result arrived).
func (s *sessionRun) converse(ctx, interrupt context.Context) error {
	hello := protocol.Hello{Type: protocol.TypeHello, Client: "testclient", Width: s.plan.clip.width, Height: s.plan.clip.height}
	if err := s.link.sendJSON(ctx, hello); err != nil {
		s.link.abort()
		return err
	}

	readDone := make(chan error, 1)
	go func() { readDone <- s.read(ctx) }()
	// Stopping the stream must not cancel a write in progress (the
	// WebSocket library closes the connection when a write's context ends),
	// so the writer watches streamCtx between frames but writes with ctx.
	streamCtx, stopStreaming := context.WithCancel(ctx)
	defer stopStreaming()
	streamDone := make(chan error, 1)
	go func() {
		var err error
		s.skipped, err = playback(streamCtx, s.plan.clip, s.plan.loop, s.plan.fps, func(frame []byte) error {
			return s.link.sendFrame(ctx, frame, func() { s.ledger.sent(time.Now()) })
		})
		streamDone <- err
	}()

	interrupted := interrupt.Done()
	var hangUp <-chan time.Time // armed when the server is given a last moment to end the session
	for {
		select {
		case err := <-readDone:
			stopStreaming()
			if err == nil {
				// The server ends the connection after the result: follow
				// it. This also ends a write in progress.
				s.link.finish()
			} else {
				s.link.abort()
			}
			if streamDone != nil {
				<-streamDone
			}
			return err
		case err := <-streamDone:
			streamDone = nil
			if err != nil && hangUp == nil {
				// The connection is failing, but a result may already be on
				// its way: the reader gets a moment to take it.
				hangUp = time.After(hangUpGrace)
			}
		case <-interrupted:
			interrupted = nil
			s.cancelled = true
			stopStreaming()
			// If the cancel cannot be sent, the hang-up below ends the session.
			_ = s.link.sendJSON(ctx, protocol.Cancel{Type: protocol.TypeCancel})
			if hangUp == nil {
				hangUp = time.After(hangUpGrace)
			}
		case <-hangUp:
			hangUp = nil
			s.link.abort() // the reader ends with an error
		}
	}
}

// read takes the server's messages until the result (nil) or an error: a
// closed connection, or a message that breaks the protocol.
func (s *sessionRun) read(ctx context.Context) error {
	for {
		data, err := s.link.next(ctx)
		if err != nil {
			return err
		}
		done, err := s.handle(data, time.Now())
		if err != nil || done {
			return err
		}
	}
}

// handle takes one text message that arrived at the given time; done is
// true for the result.
func (s *sessionRun) handle(data []byte, at time.Time) (done bool, err error) {
	var env protocol.Envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return false, fmt.Errorf("the server sent a text message that is not JSON: %w", err)
	}
	var msg any
	switch env.Type {
	case protocol.TypePrompt:
		msg = new(protocol.Prompt)
	case protocol.TypeFeedback:
		msg = new(protocol.Feedback)
	case protocol.TypeStep:
		msg = new(protocol.StepResult)
	case protocol.TypeError:
		msg = new(protocol.Error)
	case protocol.TypeResult:
		msg = new(protocol.Result)
	default:
		s.observe(unknownMessage(data))
		return false, nil
	}
	if err := json.Unmarshal(data, msg); err != nil {
		return false, fmt.Errorf("bad %s message: %w", env.Type, err)
	}
	switch m := msg.(type) {
	case *protocol.Feedback:
		s.ledger.answer(m.Frame, at, false)
	case *protocol.StepResult:
		s.ledger.answer(m.Frame, at, m.Passed)
	case *protocol.Error:
		s.lastError = m
	case *protocol.Result:
		var raw struct {
			Response json.RawMessage `json:"response"`
		}
		if err := json.Unmarshal(data, &raw); err != nil {
			return false, fmt.Errorf("bad result message: %w", err)
		}
		s.result, s.response, s.resultAt = m, raw.Response, at
		return true, nil
	}
	s.observe(msg)
	return false, nil
}

func (s *sessionRun) observe(msg any) {
	if s.plan.observe != nil {
		s.plan.observe(msg)
	}
}

// outcome sums up the session once converse has returned readErr.
func (s *sessionRun) outcome(ctx context.Context, start time.Time, readErr error) sessionOutcome {
	out := sessionOutcome{framesSkipped: s.skipped, duration: time.Since(start)}
	out.framesSent, out.latencies, out.steps = s.ledger.totals()
	if s.result != nil {
		out.result, out.response = s.result, s.response
		out.duration = s.resultAt.Sub(start)
		switch out.outcome = s.result.State; out.outcome {
		case outcomePassed, outcomeFailed, outcomeExpired, outcomeCancelled:
		default:
			out.outcome = outcomeError
			out.err = fmt.Errorf("result with unknown state %q", s.result.State)
		}
		return out
	}

	code, why := s.link.closeStatus(readErr)
	switch {
	case code == protocol.CloseExpired:
		out.outcome = outcomeExpired
	case code == protocol.CloseCancelled || s.cancelled:
		out.outcome = outcomeCancelled
	default:
		out.outcome = outcomeError
	}
	switch {
	case ctx.Err() != nil:
		why = context.Cause(ctx).Error()
	case s.cancelled && code == -1:
		why = "the server did not confirm the cancel: " + why
	}
	if s.lastError != nil {
		why += fmt.Sprintf(" (last error from the server: %s: %s)", s.lastError.Code, s.lastError.Message)
	}
	out.err = errors.New(why)
	return out
}
