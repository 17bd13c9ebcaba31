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
	T      inference.Thresholds
	Fusion string // how PAD scores become spoof_score: FuseMean, FuseMax or FuseMin
}

// NewJudge is the judge of an inference configuration: its thresholds and
// its PAD fusion rule.
func NewJudge(cfg inference.Config) Judge {
	return Judge{T: cfg.Thresholds, Fusion: cfg.PAD.Fusion}
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
	// Frames are, for a passed session step, the sampled frames on which
	// its state held (see Challenge); absent in a batch.
	Frames []int `json:"frames,omitempty"`
}

// Subject is what a batch or session knows of its person: the embedding every
// face must resemble (nil: nothing to compare with, so nothing is verified)
// and the person's own open-eye openness.
type Subject struct {
	Ref  []float32
	Eyes EyeBaseline
}

// Image judges one image of a batch against p: its parameter, one face, its
// own PAD verdict when spoofDetection is on, and identity. A batch is judged
// image by image, PAD included: pooling several photos' scores would let one
// convincing photo outvote a spoofed one.
func (j Judge) Image(fa *inference.FaceAnalysis, p Parameter, s Subject, spoofDetection bool) ImageResult {
	r := j.Frame(fa, p, s, spoofDetection)
	if spoofDetection && r.Spoof == "spoof" {
		r.Reasons = append(r.Reasons, fmt.Sprintf("presentation attack suspected: spoof_score %.2f >= %.2f", *r.SpoofScore, j.T.Spoof))
		r.Passed = false
	}
	return r
}

// Frame judges a session frame for the step asking p: the same rules as
// Image except PAD, which a session decides over all its frames (see
// SessionPAD); the frame's spoof fields are still reported.
func (j Judge) Frame(fa *inference.FaceAnalysis, p Parameter, s Subject, spoofDetection bool) ImageResult {
	r := ImageResult{FaceParameter: p, Attributes: j.AttributesOf(fa, s.Eyes, spoofDetection)}
	f := fa.Face
	if f == nil {
		r.Reasons = []string{"no face detected"}
		return r
	}
	var why string
	r.Match, why = j.Match(f, p, s.Eyes)
	if !r.Match {
		r.Reasons = append(r.Reasons, why)
	}
	if f.Screen != nil {
		// A replay held up to the camera with its edge in view; only checked
		// with inference.device_check on.
		r.Reasons = append(r.Reasons, "a phone or screen surrounds the face ("+f.Screen.Class+")")
	}
	if fa.Faces > 1 {
		// One rule for batch and sessions: a second face of comparable size
		// (see inference's comparableFaces) fails the image, because nobody
		// can say which of them performed the challenge.
		r.Reasons = append(r.Reasons, fmt.Sprintf("%d faces in view; one person only", fa.Faces))
	}
	switch {
	case f.Partial:
		// Measured for pose, eyes and mouth only (see Worth): such a frame
		// can never pass, whatever its pose says.
		r.Reasons = append(r.Reasons, "measured in part: identity not checked on this frame")
	case s.Ref == nil:
		r.Reasons = append(r.Reasons, "no reference face to verify against")
	default:
		r.Verified, r.Similarity = j.Verify(f.Embedding, s.Ref)
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
// measured value and the threshold it missed; eyes is the person's own eye
// baseline (the zero value when unknown).
func (j Judge) Match(f *inference.Face, p Parameter, eyes EyeBaseline) (bool, string) {
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
	case EyesOpen, EyesClosed:
		want := p == EyesOpen
		left, right := j.Eye(f.LeftEyeOpenness, eyes.Left).Open, j.Eye(f.RightEyeOpenness, eyes.Right).Open
		verb := map[bool]string{true: "open", false: "close"}[want]
		return left == want && right == want, fmt.Sprintf("asked to %s both eyes: left eye %s, right eye %s", verb, openClosed(left), openClosed(right))
	case MouthOpen, MouthClosed:
		if j.Masked(f) {
			// Under a mask the lip landmarks are guesses; never claim either state.
			return false, "mouth hidden by a mask"
		}
		want, open := p == MouthOpen, j.Mouth(f.MouthRatio).Open
		return open == want, fmt.Sprintf("asked for mouth %s: mouth is %s", openClosed(want), openClosed(open))
	}
	return false, fmt.Sprintf("unknown face parameter %q", p)
}

// Worth reports whether a session frame of a face measured this far (pose,
// eyes, mouth) can change the outcome of a step asking p, and so needs the
// rest of its models (PAD, mask, embedding): when it meets the step's state,
// or, for "eyes closed", when both eyes are open (the open frame the
// closure must follow has to be verified as the same person).
func (j Judge) Worth(f *inference.Face, p Parameter, eyes EyeBaseline) bool {
	if ok, _ := j.Match(f, p, eyes); ok {
		return true
	}
	return p == EyesClosed && j.Eye(f.LeftEyeOpenness, eyes.Left).Open && j.Eye(f.RightEyeOpenness, eyes.Right).Open
}

// IsReference reports whether an image can be the face every other image
// of its batch or session is compared with when nothing is enrolled: exactly
// one face, not masked. Batches take the first such image, sessions the
// first such frame, so both pick the same face from the same sequence.
func (j Judge) IsReference(fa *inference.FaceAnalysis) bool {
	return fa.Face != nil && fa.Faces == 1 && len(fa.Face.Embedding) > 0 && !j.Masked(fa.Face)
}

// Reference picks the batch's reference face: the first image IsReference
// accepts. It returns nil when no image qualifies.
func (j Judge) Reference(fas []*inference.FaceAnalysis) []float32 {
	for _, fa := range fas {
		if j.IsReference(fa) {
			return fa.Face.Embedding
		}
	}
	return nil
}
