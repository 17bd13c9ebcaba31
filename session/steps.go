package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/liveness"
	"github.com/livenessd/livenessd/protocol"
	"github.com/livenessd/livenessd/store"
)

// attempt is the best frame of a step so far, kept for the result when the
// step times out.
type attempt struct {
	result *liveness.ImageResult
	score  int
}

// score ranks a failed frame: how many of the step's conditions it met.
func score(r liveness.ImageResult, faces int) int {
	n := 0
	for _, ok := range []bool{r.FaceDetected, faces == 1, r.Match, r.Match, r.Verified} {
		if ok {
			n++
		}
	}
	return n
}

// param is the parameter of the current step and its index in the request.
func (st *state) param() (liveness.Parameter, int) {
	k := st.s.order[st.step]
	return st.s.spec.Parameters[k], k
}

// prompt starts the current step.
func (st *state) prompt() {
	p, _ := st.param()
	st.stepFrom = time.Now()
	st.best = attempt{score: -1}
	st.challenge = st.s.m.judge.NewChallenge(p)
	deadline := st.stepFrom.Add(st.s.spec.StepTimeout)
	st.timer = time.NewTimer(st.s.spec.StepTimeout)
	st.send(protocol.Prompt{Type: protocol.TypePrompt, Step: st.step + 1, Steps: len(st.s.order), Parameter: p,
		Instruction: instructions[p], DeadlineMS: deadline.UnixMilli()}, true)
}

// judge decides what a sampled frame means for the current step.
func (st *state) judge(a analysis) {
	s := st.s
	if a.err != nil {
		switch {
		case errors.Is(a.err, inference.ErrBusy):
			s.m.metrics.frames.WithLabelValues("shed").Inc() // the server is saturated: wait for the next frame
		case st.ctx.Err() != nil:
		default:
			st.send(protocol.Error{Type: protocol.TypeError, Code: protocol.ErrorBadFrame,
				Message: fmt.Sprintf("frame %d: %v", a.frame.Seq, a.err)}, false)
		}
		return
	}
	if st.finished {
		return
	}
	fa, j := a.fa, s.m.judge
	if st.ref == nil && j.IsReference(fa) {
		st.ref = fa.Face.Embedding
	}
	st.collectSubject(fa)
	if st.collecting {
		if len(st.padScores) >= liveness.MinPADFrames {
			st.end(store.SessionPassed, "", 1000)
			return
		}
		st.send(protocol.Feedback{Type: protocol.TypeFeedback, Step: st.step, Code: protocol.FeedbackHoldStill, Message: "Hold still.", Frame: a.frame.Seq}, false)
		return
	}
	if st.step >= len(s.order) || a.frame.At.Before(st.stepFrom) {
		// Taken before this step's prompt (the previous step timed out while
		// it was analysed): the user had not been asked yet.
		return
	}
	p, k := st.param()
	r := j.Frame(fa, p, liveness.Subject{Ref: st.ref, Eyes: st.eyes.Baseline()}, s.spec.SpoofDetection)
	if st.challenge.Observe(fa, r, a.frame.Seq) {
		r.Frames = st.challenge.Frames()
		st.results[k], st.asked[k] = r, true
		if s.spec.AuditImages {
			st.keepAuditImage(k, a.frame)
		}
		st.send(protocol.StepResult{Type: protocol.TypeStep, Step: st.step + 1, Passed: true, Frame: a.frame.Seq, Result: st.forDevice(&r)}, true)
		s.m.metrics.latency.Observe(time.Since(a.frame.At).Seconds())
		st.passed++
		st.nextStep(true)
		return
	}
	if sc := score(r, fa.Faces); sc > st.best.score {
		st.best = attempt{result: &r, score: sc}
	}
	code, msg := st.feedback(fa, a.look, p, r)
	st.send(protocol.Feedback{Type: protocol.TypeFeedback, Step: st.step + 1, Code: code, Message: msg, Frame: a.frame.Seq}, false)
	s.m.metrics.latency.Observe(time.Since(a.frame.At).Seconds())
}

// maxPADFrames bounds the frames a session keeps for its PAD verdict: at
// the highest sample rate (30 fps) a minute of video, more than any session
// needs; later frames are not counted.
const maxPADFrames = 30 * 60

// maxViews bounds the subject frames kept for the flat-picture check: when
// full, every other one is dropped, so that they stay spread over the
// session (7.5 kB of landmarks each).
const maxViews = 120

// collectSubject keeps what a frame of the subject (exactly one face, the
// reference person's) says for the session-level evidence: its fused
// spoof_score for the PAD verdict, its eyes for the person's baseline, and
// its landmarks for the flat-picture check. Frames of anybody else must not
// vote on whether the subject is real. Frames of an "eyes closed" step count
// for the baseline too: a front step often passes on its first two frames,
// too few for a baseline, and closed frames can only lower the median, which
// lowers the threshold and makes a closure harder to pass, never easier.
func (st *state) collectSubject(fa *inference.FaceAnalysis) {
	j := st.s.m.judge
	if fa.Face == nil || fa.Faces != 1 || st.ref == nil || fa.Face.Partial {
		return
	}
	if same, _ := j.Verify(fa.Face.Embedding, st.ref); !same {
		return
	}
	if st.s.spec.SpoofDetection && len(st.padScores) < maxPADFrames {
		st.padScores = append(st.padScores, j.SpoofScore(fa.Face))
	}
	st.eyes.Add(j, fa.Face)
	if len(st.views) == maxViews {
		for i := range maxViews / 2 {
			st.views[i] = st.views[2*i+1]
		}
		st.views = st.views[:maxViews/2]
	}
	st.views = append(st.views, fa.Face)
}

// feedback picks the one thing the user should change. Spoof and identity
// failures are not named: telling an attacker which check failed helps him.
func (st *state) feedback(fa *inference.FaceAnalysis, l look, p liveness.Parameter, r liveness.ImageResult) (string, string) {
	switch {
	case fa.Face == nil:
		return protocol.FeedbackNoFace, "We can't see your face. Look at the camera."
	case fa.Faces > 1:
		return protocol.FeedbackSeveralFaces, "Only one person should be in view."
	case l.outside:
		return protocol.FeedbackIntoFrame, "Move your face into the middle of the frame."
	case l.small:
		return protocol.FeedbackTooFar, "Move closer to the camera."
	case l.dark:
		return protocol.FeedbackTooDark, "It's too dark. Face a light."
	case !r.Match:
		return protocol.FeedbackNotYet, hint(p, fa.Face, st.s.m.judge.T)
	case st.challenge.AwaitsOpenEyes():
		return protocol.FeedbackNotYet, "Open your eyes, then close them."
	}
	return protocol.FeedbackHoldStill, "Hold still."
}

// forDevice is what the device may see of a step's result: nothing unless
// the backend asked for device_results (scores and reasons would tell an
// attacker which check to beat).
func (st *state) forDevice(r *liveness.ImageResult) *liveness.ImageResult {
	if st.s.spec.DeviceResults {
		return r
	}
	return nil
}

// timeout fails the current step with its best attempt, or ends a session
// whose steps passed but which never showed enough frames for its PAD
// verdict.
func (st *state) timeout() {
	s := st.s
	if st.collecting {
		st.timer = nil
		st.end(store.SessionPassed, "", 1000)
		return
	}
	p, k := st.param()
	r := liveness.ImageResult{FaceParameter: p}
	if st.best.result != nil {
		r = *st.best.result
	}
	r.Passed = false
	r.Reasons = append(r.Reasons, fmt.Sprintf("step timed out after %v", s.spec.StepTimeout))
	st.results[k], st.asked[k] = r, true
	st.send(protocol.StepResult{Type: protocol.TypeStep, Step: st.step + 1, Passed: false, Result: st.forDevice(&r)}, true)
	st.nextStep(false)
}

// nextStep ends the current step and either asks the next one or ends the
// session as soon as its outcome is certain.
func (st *state) nextStep(passed bool) {
	s := st.s
	st.timer.Stop()
	st.timer = nil
	outcome := "failed"
	if passed {
		outcome = "passed"
	}
	s.m.metrics.stepTime.WithLabelValues(outcome).Observe(time.Since(st.stepFrom).Seconds())
	st.step++
	remaining := len(s.order) - st.step
	switch {
	case st.passed >= s.spec.SuccessThreshold && s.spec.SpoofDetection && len(st.padScores) < liveness.MinPADFrames:
		// The steps are done but the PAD verdict needs more frames: keep
		// sampling, for at most one more step's time.
		st.collecting = true
		st.timer = time.NewTimer(s.spec.StepTimeout)
	case st.passed >= s.spec.SuccessThreshold:
		st.end(store.SessionPassed, "", 1000)
	case st.passed+remaining < s.spec.SuccessThreshold:
		st.end(store.SessionFailed, fmt.Sprintf("%d of %d steps passed; success_threshold %d can no longer be met",
			st.passed, st.step, s.spec.SuccessThreshold), 1000)
	default:
		st.prompt()
	}
}

// keepAuditImage stores the accepted frame as image k+1 of the result.
// Failing to store it is logged, not fatal: the verdict stands without it.
func (st *state) keepAuditImage(k int, f Frame) {
	jpeg := f.JPEG
	if jpeg == nil {
		var err error
		if jpeg, err = encodeJPEG(f.Image); err != nil {
			st.s.log.Error("audit image", "err", err)
			return
		}
	}
	if err := st.s.m.store.PutAuditImage(st.ctx, st.s.id, k+1, jpeg); err != nil {
		st.s.log.Error("audit image", "err", err)
	}
}

// end finishes the session: the verdict over every step (steps never asked
// count as failed) and, with spoof detection, over its frames' PAD scores;
// stored, then sent, then the transport is released. final is what the
// steps decided: a session they passed can still fail its PAD verdict.
func (st *state) end(final, reason string, closeCode int) {
	s := st.s
	st.finished = true
	if st.collecting && st.timer != nil {
		st.timer.Stop() // the steps are all done: no step was under way
		st.timer = nil
	}
	if st.timer != nil {
		// A step was under way when the session stopped: its best frame, if any.
		st.timer.Stop()
		p, k := st.param()
		r := liveness.ImageResult{FaceParameter: p}
		if st.best.result != nil {
			r = *st.best.result
		}
		r.Passed = false
		r.Reasons = append(r.Reasons, "the session ended during this step: "+reason)
		st.results[k], st.asked[k] = r, true
	}
	for k, asked := range st.asked {
		if !asked {
			st.results[k] = liveness.ImageResult{FaceParameter: s.spec.Parameters[k],
				Reasons: []string{"not asked: the session ended first"}}
		}
	}
	j := s.m.judge
	v := j.Session(st.results, st.passed, s.spec.SuccessThreshold, s.spec.SpoofDetection, j.SessionPAD(st.padScores), st.views)
	switch {
	case final == store.SessionPassed && v.Liveness != liveness.Passed:
		final, reason = store.SessionFailed, strings.Join(v.Reasons, "; ")
	case final != store.SessionPassed:
		v.Liveness = liveness.Failed // cancelled, expired or out of steps, whatever was seen
	}
	resp := liveness.NewResponse(s.spec.Plan, v)
	body, err := json.Marshal(resp)
	if err == nil {
		// The session's context may be cancelled already (shutdown): the
		// outcome must still be written.
		err = s.m.store.FinishSession(context.WithoutCancel(st.ctx), s.id, final, reason, body, time.Now())
	}
	if err != nil {
		s.log.Error("storing the session's outcome", "err", err)
	}
	s.m.metrics.finished.WithLabelValues(final).Inc()
	s.m.outcome(s.clientID, s.spec.Plan, final)
	asked := 0
	for _, a := range st.asked {
		if a {
			asked++
		}
	}
	var streamed time.Duration
	if !st.started.IsZero() {
		streamed = time.Since(st.started)
	}
	s.log.Info("session finished", "state", final, "reason", reason, "passed", st.passed,
		"steps_judged", asked, "streamed_ms", streamed.Milliseconds())
	if st.conn == nil {
		return
	}
	switch final {
	case store.SessionExpired:
		st.send(protocol.Error{Type: protocol.TypeError, Code: protocol.ErrorExpired, Message: reason}, true)
	case store.SessionCancelled:
		st.send(protocol.Error{Type: protocol.TypeError, Code: protocol.ErrorCancelled, Message: reason}, true)
	}
	result := protocol.Result{Type: protocol.TypeResult, SessionID: s.id, State: final}
	if s.spec.DeviceResults {
		result.Response = &resp
	}
	st.send(result, true)
	st.conn.closeCode = closeCode
	close(st.conn.events)
}
