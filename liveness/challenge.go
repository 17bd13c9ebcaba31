package liveness

import "github.com/livenessd/livenessd/inference"

// Challenge is the evidence of one session step. A single frame never
// passes a step: its frames must pass Frame on Thresholds.HoldFrames
// consecutive sampled frames (one noisy frame cannot decide), and "eyes
// closed" counts only a closed run that follows a frame of the same step
// with both eyes open (a photo with closed eyes shows no closing). Create
// one per step with NewChallenge.
type Challenge struct {
	j       Judge
	p       Parameter
	run     []int // sequence numbers of the current run of passing frames
	sawOpen bool  // eyes closed: both eyes were seen open in this step
}

// NewChallenge starts the evidence of a step asking p.
func (j Judge) NewChallenge(p Parameter) *Challenge {
	return &Challenge{j: j, p: p}
}

// Observe adds a sampled frame, judged by Frame as r, and reports whether
// the step has now passed.
func (c *Challenge) Observe(fa *inference.FaceAnalysis, r ImageResult, frame int) bool {
	if c.p == EyesClosed && fa.Face != nil && fa.Faces == 1 && r.Verified {
		if open, _ := c.j.Match(fa.Face, EyesOpen); open {
			c.sawOpen = true
		}
	}
	if !r.Passed || (c.p == EyesClosed && !c.sawOpen) {
		c.run = c.run[:0]
		return false
	}
	c.run = append(c.run, frame)
	return len(c.run) >= max(c.j.T.HoldFrames, 1)
}

// Frames are the sequence numbers of the frames of the current run: on a
// pass, the frames that passed the step.
func (c *Challenge) Frames() []int { return append([]int(nil), c.run...) }

// AwaitsOpenEyes reports whether an "eyes closed" step has not yet seen the
// eyes open, so that the user can be told to open them first.
func (c *Challenge) AwaitsOpenEyes() bool { return c.p == EyesClosed && !c.sawOpen }
