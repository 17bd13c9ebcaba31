package liveness

import (
	"testing"

	"github.com/livenessd/livenessd/inference"
)

func TestChallengeNeedsConsecutiveFrames(t *testing.T) {
	j := Judge{T: inference.DefaultThresholds(), Fusion: FuseMax} // HoldFrames 2
	left := &inference.FaceAnalysis{Faces: 1, Face: &inference.Face{Yaw: 30}}
	front := &inference.FaceAnalysis{Faces: 1, Face: &inference.Face{}}
	c := j.NewChallenge(Left)
	seq := 0
	observe := func(fa *inference.FaceAnalysis) bool {
		seq++
		r := j.Frame(fa, Left, Subject{}, false)
		r.Passed = r.Match // no reference in this unit test: the pose alone decides
		return c.Observe(fa, r, seq)
	}
	// One turned frame between frontal ones, over and over: an outlier never passes.
	for range 5 {
		if observe(left) || observe(front) {
			t.Fatal("a single matching frame passed the step")
		}
	}
	if observe(left) {
		t.Fatal("passed on the first of two frames")
	}
	if !observe(left) {
		t.Fatal("two consecutive matching frames did not pass")
	}
	if got := c.Frames(); len(got) != 2 || got[0] != seq-1 || got[1] != seq {
		t.Errorf("frames %v, want the last two (%d, %d)", got, seq-1, seq)
	}
}

func TestEyesClosedOnlyAfterOpenEyes(t *testing.T) {
	j := Judge{T: inference.DefaultThresholds(), Fusion: FuseMax}
	closed := &inference.FaceAnalysis{Faces: 1, Face: &inference.Face{LeftEyeOpenness: 0.02, RightEyeOpenness: 0.02}}
	open := &inference.FaceAnalysis{Faces: 1, Face: &inference.Face{LeftEyeOpenness: 0.3, RightEyeOpenness: 0.3}}
	c := j.NewChallenge(EyesClosed)
	seq := 0
	observe := func(fa *inference.FaceAnalysis) bool {
		seq++
		r := j.Frame(fa, EyesClosed, Subject{}, false)
		r.Passed, r.Verified = r.Match, true
		return c.Observe(fa, r, seq)
	}
	// A photo of closed eyes: closed on every frame, never seen closing.
	for range 6 {
		if observe(closed) {
			t.Fatal("closed eyes passed without being seen open first")
		}
	}
	if !c.AwaitsOpenEyes() {
		t.Error("AwaitsOpenEyes false before any open frame")
	}
	if observe(open) || observe(closed) || observe(closed) {
		t.Fatal("passed too early: a blink of two frames is not a closure")
	}
	if !observe(closed) {
		t.Error("open, then closed three times: the step should pass")
	}
}

func TestEyeBaselineReadsNarrowEyesOpen(t *testing.T) {
	j := Judge{T: inference.DefaultThresholds(), Fusion: FuseMax}
	// Measured on live_selfie_headpose: wide-open eyes 0.13-0.17, a blink 0.04-0.07.
	var s EyeSamples
	for _, o := range []float64{0.15, 0.13, 0.16, 0.14} {
		s.Add(j, &inference.Face{LeftEyeOpenness: o, RightEyeOpenness: o})
	}
	b := s.Baseline()
	if b.Left < 0.14 || b.Left > 0.15 {
		t.Fatalf("baseline %+v, want the median 0.145", b)
	}
	if j.Eye(0.13, 0).Open {
		t.Error("without a baseline 0.13 should read closed (absolute 0.14)")
	}
	if !j.Eye(0.13, b.Left).Open {
		t.Error("with the person's baseline 0.145, 0.13 is an open eye")
	}
	if j.Eye(0.06, b.Left).Open {
		t.Error("a blink at 0.06 must still read closed")
	}
	// A wide-eyed person's baseline never raises the threshold above the absolute one.
	if !j.Eye(0.15, 0.35).Open {
		t.Error("0.15 with a 0.35 baseline read closed: the baseline must only lower the threshold")
	}
	var few EyeSamples
	few.Add(j, &inference.Face{LeftEyeOpenness: 0.2, RightEyeOpenness: 0.2})
	if few.Baseline() != (EyeBaseline{}) {
		t.Error("a baseline from one frame")
	}
}
