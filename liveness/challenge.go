package liveness

import "github.com/livenessd/livenessd/inference"

// Challenge is the evidence of one session step. A single frame never
// passes a step: its frames must pass Frame on Thresholds.HoldFrames
// consecutive sampled frames (one noisy frame cannot decide), and "eyes
// closed" needs EyesClosedFrames of them (a blink is not a closure) after a
// frame of the same step with both eyes open (a photo with closed eyes
// shows no closing). Create
// one per step with NewChallenge.
type Challenge struct {
	j       Judge
	p       Parameter
	run     []int        // sequence numbers of the current run of passing frames
	poses   [][2]float64 // yaw and pitch of each frame of the run
	sawOpen bool         // eyes closed: both eyes were seen open in this step
}

// eyesClosedStill bounds how far the head may move (yaw or pitch, degrees)
// during an "eyes closed" run. Lids drop when the gaze sweeps down with a
// moving head, and the Iris model reads that as closed: on
// live_selfie_headpose (16.1-16.6 s, eyes open) pitch swept 15 degrees over
// such a misread, while in the held closure of live_blink_closed_eyes it
// stayed within 2 degrees across three sampled frames.
const eyesClosedStill = 6.0

// NewChallenge starts the evidence of a step asking p.
func (j Judge) NewChallenge(p Parameter) *Challenge {
	return &Challenge{j: j, p: p}
}

// Observe adds a sampled frame, judged by Frame as r, and reports whether
// the step has now passed.
func (c *Challenge) Observe(fa *inference.FaceAnalysis, r ImageResult, frame int) bool {
	if c.p == EyesClosed && fa.Face != nil && fa.Faces == 1 && r.Verified {
		if r.LeftEye == "open" && r.RightEye == "open" {
			c.sawOpen = true
		}
	}
	if !r.Passed || (c.p == EyesClosed && !c.sawOpen) {
		c.run, c.poses = c.run[:0], c.poses[:0]
		return false
	}
	c.run, c.poses = append(c.run, frame), append(c.poses, [2]float64{fa.Face.Yaw, fa.Face.Pitch})
	need := c.j.T.HoldFrames
	if c.p == EyesClosed {
		need = c.j.T.EyesClosedFrames
		for len(c.run) > 1 && !still(c.poses) {
			// The head moved: the oldest frames do not count with the newest.
			c.run, c.poses = c.run[1:], c.poses[1:]
		}
	}
	return len(c.run) >= max(need, 1)
}

// still reports whether yaw and pitch each stay within eyesClosedStill over
// the poses.
func still(poses [][2]float64) bool {
	for k := range 2 {
		lo, hi := poses[0][k], poses[0][k]
		for _, p := range poses {
			lo, hi = min(lo, p[k]), max(hi, p[k])
		}
		if hi-lo > eyesClosedStill {
			return false
		}
	}
	return true
}

// Frames are the sequence numbers of the frames of the current run: on a
// pass, the frames that passed the step.
func (c *Challenge) Frames() []int { return append([]int(nil), c.run...) }

// AwaitsOpenEyes reports whether an "eyes closed" step has not yet seen the
// eyes open, so that the user can be told to open them first.
func (c *Challenge) AwaitsOpenEyes() bool { return c.p == EyesClosed && !c.sawOpen }
