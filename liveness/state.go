package liveness

import (
	"math"

	"github.com/livenessd/livenessd/inference"
)

// State is an eye's or the mouth's judged state, with the confidence in it
// (0.5..1) as the API's left_eye_score and mouth_score report it.
type State struct {
	Open  bool
	Score float64
}

// Eye judges an eye from the Iris model's lid openness: closed below
// thresholds.eye_openness, or below eye_baseline_ratio x the person's own
// open-eye openness (baseline, 0 when unknown) when that is lower, the
// confidence saturating over eye_softness. The baseline only ever lowers the
// threshold: narrow eyes and glasses read about 0.13-0.15 wide open
// (live_selfie_headpose, lestari_live_webcam), under the absolute 0.14,
// while no person's closed eye reads wider than the absolute threshold
// allows.
func (j Judge) Eye(openness, baseline float64) State {
	threshold := j.T.EyeOpenness
	if baseline > 0 {
		threshold = math.Min(threshold, j.T.EyeBaselineRatio*baseline)
	}
	return stateOf(sigmoid((openness - threshold) / j.T.EyeSoftness))
}

// EyeBaseline is a person's own open-eye openness, per eye (the person's
// left and right); 0 when not known.
type EyeBaseline struct{ Left, Right float64 }

// EyeSamples collects a person's openness on frames where the eyes should be
// open (frontal, not asked to close them), for the baseline.
type EyeSamples struct{ left, right []float64 }

// Bounds of the baseline: at least minEyeSamples frames before it is used,
// and the latest maxEyeSamples (12 s at 5 frames/s) kept.
const (
	minEyeSamples = 3
	maxEyeSamples = 60
)

// Add keeps f's openness if f faces the camera.
func (s *EyeSamples) Add(j Judge, f *inference.Face) {
	if front, _ := j.Match(f, Front, EyeBaseline{}); !front {
		return
	}
	if len(s.left) == maxEyeSamples {
		s.left, s.right = s.left[1:], s.right[1:]
	}
	s.left, s.right = append(s.left, f.LeftEyeOpenness), append(s.right, f.RightEyeOpenness)
}

// Baseline is the median openness of each eye over the samples; the zero
// EyeBaseline while there are too few. The median, because a blink among
// the samples must not move it.
func (s *EyeSamples) Baseline() EyeBaseline {
	if len(s.left) < minEyeSamples {
		return EyeBaseline{}
	}
	return EyeBaseline{Left: median(s.left), Right: median(s.right)}
}

// Mouth judges the mouth from the inner-lip gap over its width: open at or
// above thresholds.mouth_ratio.
func (j Judge) Mouth(ratio float64) State {
	return stateOf(sigmoid((ratio - j.T.MouthRatio) / j.T.MouthSoftness))
}

// stateOf turns the probability p of "open" into the state and the
// confidence in it.
func stateOf(p float64) State {
	if p >= 0.5 {
		return State{Open: true, Score: p}
	}
	return State{Open: false, Score: 1 - p}
}

func sigmoid(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
