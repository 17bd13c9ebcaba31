package liveness

import "math"

// State is an eye's or the mouth's judged state, with the confidence in it
// (0.5..1) as the API's left_eye_score and mouth_score report it.
type State struct {
	Open  bool
	Score float64
}

// Eye judges an eye from the Iris model's lid openness: closed below
// thresholds.eye_openness, the confidence saturating over eye_softness.
func (j Judge) Eye(openness float64) State {
	return stateOf(sigmoid((openness - j.T.EyeOpenness) / j.T.EyeSoftness))
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
