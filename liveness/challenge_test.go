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
		r := j.Frame(fa, Left, nil, false)
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
		r := j.Frame(fa, EyesClosed, nil, false)
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
	if observe(open) || observe(closed) {
		t.Fatal("passed too early")
	}
	if !observe(closed) {
		t.Error("open, then closed twice: the step should pass")
	}
}
