package session

import (
	"context"
	"image"
	"log/slog"
	"sync"
	"time"

	"github.com/disintegration/imaging"

	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/liveness"
	"github.com/livenessd/livenessd/protocol"
	"github.com/livenessd/livenessd/store"
)

// Session is one interactive liveness check. Its fields never change after
// creation; everything that does lives in run's state, owned by one
// goroutine, which the transport reaches only through channels.
type Session struct {
	m         *Manager
	id        string
	clientID  string
	spec      Spec
	order     []int // indexes into spec.Parameters, in asking order
	enrolled  []float32
	tokenHash [32]byte
	expiresAt time.Time
	log       *slog.Logger

	attachReq chan chan attachReply
	frames    chan Frame
	cancelReq chan string
	done      chan struct{} // closed when run returns
}

func newSession(m *Manager, id, clientID string, spec Spec, order []int, enrolled []float32, tokenHash [32]byte, expiresAt time.Time) *Session {
	return &Session{
		m: m, id: id, clientID: clientID, spec: spec, order: order, enrolled: enrolled,
		tokenHash: tokenHash, expiresAt: expiresAt,
		log:       m.log.With("session_id", id, "trx_id", spec.TrxID),
		attachReq: make(chan chan attachReply),
		frames:    make(chan Frame, 1),
		cancelReq: make(chan string),
		done:      make(chan struct{}),
	}
}

// analysis is a sampled frame after the pipeline.
type analysis struct {
	frame Frame
	fa    *inference.FaceAnalysis
	look  look
	err   error
}

// state is everything that changes during a session; only run touches it.
type state struct {
	s          *Session
	ctx        context.Context // the session's: cancelled when it ends
	conn       *Conn
	started    time.Time
	lastScreen time.Time // when a frame last got the phone/screen detector
	// screenChecks counts the frames sent to it.
	screenChecks int
	lastFull     time.Time // when a frame was last sent to be measured in full regardless of its pose
	step         int       // index into s.order; len(s.order) when all were asked
	stepFrom     time.Time
	timer        *time.Timer
	results      []liveness.ImageResult // in parameter order
	asked        []bool                 // results[i] was asked (and judged)
	best         attempt                // the current step's best frame so far
	challenge    *liveness.Challenge    // the current step's evidence
	passed       int
	ref          []float32           // the face every frame must match
	padScores    []float64           // fused spoof_score of each frame of the subject, for the session's PAD verdict
	eyes         liveness.EyeSamples // the subject's open-eye openness, for the eye baseline
	views        []*inference.Face   // the subject's frames, for the flat-picture check
	collecting   bool                // the steps passed; sampling on until the PAD verdict has its frames
	busy         bool                // a frame is being analysed
	nextSample   time.Time           // frames arriving earlier are dropped
	analyses     chan analysis
	work         sync.WaitGroup
	finished     bool
}

// run owns the session from creation to its final state.
func (s *Session) run(parent context.Context) {
	defer close(s.done)
	ctx, cancel := context.WithCancel(parent)
	st := &state{s: s, ctx: ctx, ref: s.enrolled, analyses: make(chan analysis, 1),
		results: make([]liveness.ImageResult, len(s.order)), asked: make([]bool, len(s.order))}
	defer func() {
		cancel()
		st.work.Wait() // an analysis still running ends with the session's context
	}()
	expiry := time.NewTimer(time.Until(s.expiresAt))
	defer expiry.Stop()
	interval := time.Second / time.Duration(s.spec.SampleFPS)

	for !st.finished {
		var stepDue <-chan time.Time
		if st.timer != nil {
			stepDue = st.timer.C
		}
		var gone <-chan struct{}
		if st.conn != nil {
			gone = st.conn.gone
		}
		select {
		case <-parent.Done():
			st.end(store.SessionCancelled, "the server is shutting down", 1001)
		case <-expiry.C:
			st.end(store.SessionExpired, "the session expired before it finished", protocol.CloseExpired)
		case reply := <-s.attachReq:
			reply <- st.accept()
		case reason := <-s.cancelReq:
			st.end(store.SessionCancelled, reason, protocol.CloseCancelled)
		case <-gone:
			st.end(store.SessionCancelled, st.conn.why, 0)
		case f := <-s.frames:
			if st.busy || f.At.Before(st.nextSample) {
				s.m.metrics.frames.WithLabelValues("dropped").Inc()
				continue
			}
			// Keep to the sampling grid so a 15 fps stream sampled at 5 fps
			// gives 5 frames a second, not every fourth frame; after a gap
			// (the user's network), start the grid again.
			st.nextSample = st.nextSample.Add(interval)
			if st.nextSample.Before(f.At.Add(-interval)) {
				st.nextSample = f.At.Add(interval)
			}
			st.busy = true
			st.analyze(f)
		case a := <-st.analyses:
			st.busy = false
			st.judge(a)
		case <-stepDue:
			st.timeout()
		}
	}
}

// accept takes the session's one connection and asks the first step.
func (st *state) accept() attachReply {
	s := st.s
	if st.conn != nil {
		return attachReply{err: ErrConnected}
	}
	if err := s.m.store.StartSession(st.ctx, s.id); err != nil {
		return attachReply{err: err}
	}
	st.conn = newConn(s)
	st.started = time.Now()
	s.log.Info("session connected")
	st.prompt()
	return attachReply{conn: st.conn}
}

// screenEvery bounds how often a session's frames get the phone/screen
// detector (inference.device_check): it costs ~39 ms of a core, as much as
// the rest of the frame's models, and a replay's device stays in view. The
// first screenFirst frames all get it, so that a session whose steps pass
// within a second still has the two checked frames the verdict needs.
const (
	screenEvery = time.Second
	screenFirst = 2
)

// fullEvery bounds how long a session goes without a frame measured in
// full (PAD, mask, embedding) while its frames do not meet the step: those
// frames feed the session-level evidence (the PAD median needs 5, the
// person's eye baseline 3, the flat-picture views 5 pairs). A frame that can
// change the step is always measured in full. Measured with
// scripts/bench-sessions.sh on 2 cores: 7 concurrent sessions at 400 ms, 8
// at 1 s (6 measuring every frame in full); but at 1 s the moved print of
// TestSessionFlatPrintFails once had no view pair left to judge.
const fullEvery = 400 * time.Millisecond

// analyze runs the pipeline on a sampled frame off the session goroutine,
// which stays free to answer timers and the transport.
func (st *state) analyze(f Frame) {
	s := st.s
	s.m.metrics.frames.WithLabelValues("sampled").Inc()
	var want inference.Want
	if st.screenChecks < screenFirst || f.At.Sub(st.lastScreen) >= screenEvery {
		want.Screen, st.lastScreen = true, f.At
		st.screenChecks++
	}
	if full := want.Screen || st.ref == nil || st.collecting || st.step >= len(s.order) ||
		f.At.Sub(st.lastFull) >= fullEvery; full {
		st.lastFull = f.At
	} else {
		// Staged: the rest of the models only for a frame that can change
		// this step (judged on a copy of the step and baseline, as the
		// analysis runs off this goroutine).
		p, _ := st.param()
		j, eyes := s.m.judge, st.eyes.Baseline()
		want.Full = func(face *inference.Face) bool { return j.Worth(face, p, eyes) }
	}
	st.work.Add(1)
	go func() {
		defer st.work.Done()
		a := analysis{frame: f}
		var img *image.NRGBA
		if f.JPEG != nil {
			img, a.err = inference.Decode(f.JPEG, s.m.cfg.Decode)
		} else {
			img = imaging.Clone(f.Image) // the pipeline reads NRGBA
		}
		if a.err == nil {
			a.fa, a.err = s.m.engine.AnalyzeWith(st.ctx, img, want)
		}
		if a.err == nil {
			s.m.observe(a.fa)
			a.look = lookOf(img, a.fa)
		}
		st.analyses <- a // buffered for the one analysis in flight
	}()
}

// send gives the transport a message. Prompts, step results and the result
// wait for it (or for its departure); feedback is dropped when it lags.
func (st *state) send(msg any, mustArrive bool) {
	if st.conn == nil {
		return
	}
	select {
	case st.conn.events <- msg:
		return
	default:
		if !mustArrive {
			return
		}
	}
	select {
	case st.conn.events <- msg:
	case <-st.conn.gone:
	case <-st.ctx.Done():
	}
}
