package evaluate

import (
	"math"
	"slices"
	"strings"
)

// Rates are the error rates at one threshold on the fused spoof_score (ISO/IEC
// 30107-3 names): BPCER, the share of live items judged attacks, and APCER,
// the share of attack items judged live, per attack type. An item without a
// face counts as judged an attack: the server would turn it away.
type Rates struct {
	Threshold    float64
	Live         int // live items
	LiveRejected int // of which judged attacks (NoFace included)
	LiveNoFace   int // of which had no face detected
	BPCER        float64
	Attacks      []AttackRate // per attack type, by name
	Attack       int          // attack items, all types
	AttackPassed int
	APCER        float64 // pooled over every attack type
	MaxAPCER     float64 // the worst attack type's APCER (ISO's headline figure)
}

// AttackRate is one attack type's APCER.
type AttackRate struct {
	Type   string
	Items  int
	Passed int
	APCER  float64
}

// RatesAt counts the errors of items at threshold t: spoof_score >= t is an
// attack. Items with an analysis error are left out (the caller reports them).
func RatesAt(items []Item, t float64) Rates {
	r := Rates{Threshold: t}
	byType := map[string]*AttackRate{}
	for _, it := range items {
		if it.Error != "" {
			continue
		}
		judgedAttack := it.Spoof >= t
		if it.Real {
			r.Live++
			if judgedAttack {
				r.LiveRejected++
			}
			if !it.Face {
				r.LiveNoFace++
			}
			continue
		}
		a := byType[it.Attack]
		if a == nil {
			a = &AttackRate{Type: it.Attack}
			byType[it.Attack] = a
		}
		a.Items++
		r.Attack++
		if !judgedAttack {
			a.Passed++
			r.AttackPassed++
		}
	}
	r.BPCER = share(r.LiveRejected, r.Live)
	r.APCER = share(r.AttackPassed, r.Attack)
	for _, a := range byType {
		a.APCER = share(a.Passed, a.Items)
		r.MaxAPCER = math.Max(r.MaxAPCER, a.APCER)
		r.Attacks = append(r.Attacks, *a)
	}
	slices.SortFunc(r.Attacks, func(a, b AttackRate) int { return strings.Compare(a.Type, b.Type) })
	return r
}

// DETPoint is the lowest APCER reachable while BPCER stays at or under a
// bound, and the threshold that reaches it.
type DETPoint struct {
	MaxBPCER  float64
	Threshold float64
	BPCER     float64
	APCER     float64
	Reached   bool // false: no threshold keeps BPCER that low (faces not found, say)
}

// DET samples the detection error trade-off at the BPCER bounds, and the
// equal-error point: the threshold where APCER and BPCER are closest, with
// their mean as the EER.
func DET(items []Item, bounds []float64) (points []DETPoint, eer Rates) {
	ts := thresholds(items)
	for _, b := range bounds {
		p := DETPoint{MaxBPCER: b, APCER: 1}
		for _, t := range ts {
			r := RatesAt(items, t)
			if r.BPCER <= b+1e-12 && (!p.Reached || r.APCER < p.APCER) {
				p = DETPoint{MaxBPCER: b, Threshold: t, BPCER: r.BPCER, APCER: r.APCER, Reached: true}
			}
		}
		points = append(points, p)
	}
	best := math.Inf(1)
	for _, t := range ts {
		r := RatesAt(items, t)
		if d := math.Abs(r.APCER - r.BPCER); d < best {
			best, eer = d, r
		}
	}
	return points, eer
}

// EER is the mean of APCER and BPCER at the equal-error point.
func (r Rates) EER() float64 { return (r.APCER + r.BPCER) / 2 }

// ThresholdFor is the highest threshold whose pooled APCER is at most target
// (the most live people accepted for that attack rate), with its rates.
func ThresholdFor(items []Item, target float64) (Rates, bool) {
	ts := thresholds(items)
	for i := len(ts) - 1; i >= 0; i-- {
		if r := RatesAt(items, ts[i]); r.APCER <= target+1e-12 {
			return r, true
		}
	}
	return Rates{}, false
}

// thresholds are the candidate cut points: every distinct score, and just
// above the highest so that "everything is an attack" is a candidate too.
func thresholds(items []Item) []float64 {
	var ts []float64
	for _, it := range items {
		if it.Error == "" {
			ts = append(ts, it.Spoof)
		}
	}
	slices.Sort(ts)
	ts = slices.Compact(ts)
	if len(ts) > 0 {
		ts = append(ts, math.Nextafter(ts[len(ts)-1], math.Inf(1)))
	}
	return ts
}

func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}
