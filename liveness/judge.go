package liveness

import (
	"fmt"
	"math"

	"github.com/livenessd/livenessd/inference"
)

// Judge decides, under one set of thresholds, whether an analysed image shows
// its requested parameter, is real and belongs to the reference person. Batch
// requests and interactive sessions both judge through it.
type Judge struct {
	T inference.Thresholds
}

// ImageResult is one image's entry in the response's results: the spec's
// fields plus what a client needs to explain a failure.
type ImageResult struct {
	FaceParameter Parameter `json:"face_parameter"`
	Match         bool      `json:"match"`
	Verified      bool      `json:"verified"`
	Similarity    float64   `json:"similarity"`
	Attributes
	// Passed: the image counts toward success_threshold (it matches, is real
	// when spoof detection is on, and is verified).
	Passed bool `json:"passed"`
	// Reasons say why the image did not pass; empty when it passed.
	Reasons []string `json:"reasons,omitempty"`
}

// Image judges one analysed image against p. ref is the embedding the face
// must resemble (nil: nothing to compare with, so the image is not verified).
func (j Judge) Image(fa *inference.FaceAnalysis, p Parameter, ref []float32, spoofDetection bool) ImageResult {
	r := ImageResult{FaceParameter: p, Attributes: AttributesOf(fa, spoofDetection)}
	f := fa.Face
	if f == nil {
		r.Reasons = []string{"no face detected"}
		return r
	}
	var why string
	r.Match, why = j.Match(f, p)
	if !r.Match {
		r.Reasons = append(r.Reasons, why)
	}
	if spoofDetection && f.Spoof.Spoof {
		r.Reasons = append(r.Reasons, fmt.Sprintf("presentation attack suspected: spoof_score %.2f >= %.2f", f.Spoof.Score, j.T.Spoof))
	}
	switch {
	case ref == nil:
		r.Reasons = append(r.Reasons, "no reference face to verify against")
	default:
		r.Verified, r.Similarity = j.Verify(f.Embedding, ref)
		if !r.Verified {
			r.Reasons = append(r.Reasons, fmt.Sprintf("different person: similarity %.2f < %.2f", r.Similarity, j.T.Similarity))
		}
	}
	r.Passed = len(r.Reasons) == 0
	return r
}

// Verify compares an embedding with a reference embedding: whether they are
// the same person, and their similarity as reported (4 decimals).
func (j Judge) Verify(emb, ref []float32) (bool, float64) {
	sim := inference.Similarity(emb, ref)
	return sim >= j.T.Similarity, round(sim, 4)
}

// Match reports whether f shows p and, when it does not, why, with the
// measured value and the threshold it missed.
func (j Judge) Match(f *inference.Face, p Parameter) (bool, string) {
	t := j.T
	switch p {
	case Left:
		return f.Yaw >= t.TurnYaw, fmt.Sprintf("asked to turn left: yaw %.1f°, needs >= %.0f°", f.Yaw, t.TurnYaw)
	case Right:
		return f.Yaw <= -t.TurnYaw, fmt.Sprintf("asked to turn right: yaw %.1f°, needs <= -%.0f°", f.Yaw, t.TurnYaw)
	case Up:
		return f.Pitch >= t.TiltPitch, fmt.Sprintf("asked to look up: pitch %.1f°, needs >= %.0f°", f.Pitch, t.TiltPitch)
	case Down:
		return f.Pitch <= -t.TiltPitch, fmt.Sprintf("asked to look down: pitch %.1f°, needs <= -%.0f°", f.Pitch, t.TiltPitch)
	case Front:
		ok := math.Abs(f.Yaw) <= t.FrontYaw && math.Abs(f.Pitch) <= t.FrontPitch
		return ok, fmt.Sprintf("asked to face the camera: yaw %.1f°, pitch %.1f°, both need to be within ±%.0f°/±%.0f°",
			f.Yaw, f.Pitch, t.FrontYaw, t.FrontPitch)
	case EyesOpen:
		ok := f.LeftEye.Open && f.RightEye.Open
		return ok, fmt.Sprintf("asked to open both eyes: left eye %s, right eye %s", openClosed(f.LeftEye.Open), openClosed(f.RightEye.Open))
	case EyesClosed:
		ok := !f.LeftEye.Open && !f.RightEye.Open
		return ok, fmt.Sprintf("asked to close both eyes: left eye %s, right eye %s", openClosed(f.LeftEye.Open), openClosed(f.RightEye.Open))
	case MouthOpen, MouthClosed:
		if f.Mask.Worn {
			// Under a mask the lip landmarks are guesses; never claim either state.
			return false, "mouth hidden by a mask"
		}
		want := p == MouthOpen
		return f.Mouth.Open == want, fmt.Sprintf("asked for mouth %s: mouth is %s", openClosed(want), openClosed(f.Mouth.Open))
	}
	return false, fmt.Sprintf("unknown face parameter %q", p)
}

// Reference picks the batch's reference face: the first image with a
// detected face. It returns nil when no image has one.
func Reference(fas []*inference.FaceAnalysis) []float32 {
	for _, fa := range fas {
		if fa.Face != nil && len(fa.Face.Embedding) > 0 {
			return fa.Face.Embedding
		}
	}
	return nil
}
