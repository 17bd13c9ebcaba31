package liveness

import (
	"fmt"
	"math"
	"slices"

	"github.com/livenessd/livenessd/inference"
)

// Fusion rules: how the PAD models' attack probabilities become one face's
// spoof_score.
const (
	// FuseMean averages the models. An attack must fool the models on
	// average, not just one of them, and one model's false alarm on a real
	// face is diluted by the others.
	FuseMean = "mean"
	// FuseMax takes the most suspicious model: an attack must fool all of
	// them, but every model's false alarms reject real people.
	FuseMax = "max"
	// FuseMin takes the least suspicious model: few real people rejected,
	// but an attack that fools any one model passes (../shared/MODELS.md (c):
	// 45% of unseen attacks passed that way).
	FuseMin = "min"
)

// Fusions lists the rules a configuration may name.
var Fusions = []string{FuseMean, FuseMax, FuseMin}

// ValidateFusion reports an unknown rule.
func ValidateFusion(rule string) error {
	if !slices.Contains(Fusions, rule) {
		return fmt.Errorf("pad.fusion %q: want mean, max or min", rule)
	}
	return nil
}

// PADScores are a face's per-model attack probabilities as the API reports
// them (4 decimals), so an operator can see which model said what.
func PADScores(f *inference.Face) map[string]float64 {
	if len(f.PAD) == 0 {
		return nil
	}
	m := make(map[string]float64, len(f.PAD))
	for _, s := range f.PAD {
		m[s.Model] = round(s.Spoof, 4)
	}
	return m
}

// SpoofScore fuses the face's PAD scores by the judge's rule.
func (j Judge) SpoofScore(f *inference.Face) float64 {
	if len(f.PAD) == 0 {
		return 1 // nothing measured: never call it real
	}
	fused := f.PAD[0].Spoof
	var sum float64
	for _, s := range f.PAD {
		sum += s.Spoof
		switch j.Fusion {
		case FuseMax:
			fused = math.Max(fused, s.Spoof)
		case FuseMin:
			fused = math.Min(fused, s.Spoof)
		}
	}
	if j.Fusion == FuseMean {
		fused = sum / float64(len(f.PAD))
	}
	return fused
}

// Spoofed reports whether a fused spoof_score is a presentation attack.
func (j Judge) Spoofed(score float64) bool { return score >= j.T.Spoof }

// Masked reports whether the face wears a mask.
func (j Judge) Masked(f *inference.Face) bool { return f.MaskScore >= j.T.Mask }

// MinPADFrames is the fewest frames of the subject a session's PAD verdict
// is taken over: at the default 5 sampled frames a second, one second of
// video, so that one frame can neither reject a real person nor pass an
// attack.
const MinPADFrames = 5

// SessionPAD is a session's presentation-attack verdict, taken over every
// sampled frame that showed exactly one face.
type SessionPAD struct {
	Score  float64 // median fused spoof_score over the frames
	Frames int     // frames it was taken over
	Real   bool
	Reason string // why it is not real; empty when it is
}

// SessionPAD decides a session's PAD verdict from the fused spoof_score of
// each of its frames. The median, because per-frame scores flicker: on
// ../shared/testdata the live clips' median fused scores are at most 0.56
// (a beauty-filtered clip), the attack clips' at least 0.998, while single
// live frames reach 1.0.
func (j Judge) SessionPAD(scores []float64) SessionPAD {
	pad := SessionPAD{Frames: len(scores), Score: 1}
	if len(scores) < MinPADFrames {
		pad.Reason = fmt.Sprintf("too few frames of the face to rule out a presentation attack: %d, need %d", len(scores), MinPADFrames)
		return pad
	}
	pad.Score = median(scores)
	pad.Real = !j.Spoofed(pad.Score)
	if !pad.Real {
		pad.Reason = fmt.Sprintf("presentation attack suspected: the session's median spoof_score %.2f >= %.2f over %d frames",
			pad.Score, j.T.Spoof, len(scores))
	}
	return pad
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
