package evaluate

import (
	"math"
	"testing"
)

func item(real bool, attack string, spoof float64) Item {
	return Item{Real: real, Attack: attack, Face: true, Spoof: spoof}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestRatesCountBothErrorsPerAttackType(t *testing.T) {
	items := []Item{
		item(true, "", 0.1), item(true, "", 0.2), item(true, "", 0.95), {Real: true, Spoof: 1}, // one rejected, one without a face
		item(false, "print", 0.99), item(false, "print", 0.3), // one print passes
		item(false, "replay", 0.97), item(false, "replay", 0.98),
		{Real: true, Error: "corrupt"}, // not counted
	}
	r := RatesAt(items, 0.9)
	if r.Live != 4 || r.LiveRejected != 2 || r.LiveNoFace != 1 || !near(r.BPCER, 0.5) {
		t.Errorf("live: %+v", r)
	}
	if r.Attack != 4 || r.AttackPassed != 1 || !near(r.APCER, 0.25) || !near(r.MaxAPCER, 0.5) {
		t.Errorf("attacks: %+v", r)
	}
	if len(r.Attacks) != 2 || r.Attacks[0].Type != "print" || r.Attacks[0].Passed != 1 || r.Attacks[1].Passed != 0 {
		t.Errorf("per type: %+v", r.Attacks)
	}
}

func TestDETAndEqualErrorPoint(t *testing.T) {
	// Live scores 0.0 .. 0.9, attack scores 0.5 .. 1.4, ten each; a score
	// at or above the threshold is judged an attack.
	var items []Item
	for i := range 10 {
		items = append(items, item(true, "", float64(i)/10), item(false, "print", 0.5+float64(i)/10))
	}
	points, eer := DET(items, []float64{0, 0.1})
	// BPCER 0 needs a threshold above 0.9: attacks 0.5..0.9 pass (5 of 10).
	if p := points[0]; !p.Reached || !near(p.BPCER, 0) || !near(p.APCER, 0.5) {
		t.Errorf("at BPCER 0: %+v", p)
	}
	// BPCER <= 10% allows 0.9 to be rejected: threshold 0.9, attacks 0.5..0.8 pass.
	if p := points[1]; !near(p.Threshold, 0.9) || !near(p.APCER, 0.4) {
		t.Errorf("at BPCER 10%%: %+v", p)
	}
	// Equal error at 0.7 or 0.8: BPCER 0.3 / APCER 0.2 or BPCER 0.2 / APCER 0.3.
	if !near(eer.EER(), 0.25) {
		t.Errorf("EER %v at %v, want 0.25", eer.EER(), eer.Threshold)
	}
	r, ok := ThresholdFor(items, 0.2)
	if !ok || !near(r.Threshold, 0.7) || !near(r.BPCER, 0.3) {
		t.Errorf("threshold for APCER 20%%: %+v", r)
	}
}

func TestCandidatesCoverEverySubsetAndRule(t *testing.T) {
	c := Candidates([]string{"a", "b", "c"})
	// 3 single models + 4 sets of two or more, each under 3 rules.
	if len(c) != 3+4*3 {
		t.Errorf("%d candidates: %v", len(c), c)
	}
}
