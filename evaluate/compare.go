package evaluate

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/liveness"
)

// Candidate is one PAD configuration to compare: a set of models and the
// rule fusing them.
type Candidate struct {
	Models []string
	Fusion string
}

func (c Candidate) String() string {
	if len(c.Models) == 1 {
		return c.Models[0]
	}
	return c.Fusion + "(" + strings.Join(c.Models, ", ") + ")"
}

// Candidates are every non-empty subset of models under every fusion rule
// (a single model once).
func Candidates(models []string) []Candidate {
	var out []Candidate
	for mask := 1; mask < 1<<len(models); mask++ {
		var set []string
		for i, m := range models {
			if mask&(1<<i) != 0 {
				set = append(set, m)
			}
		}
		if len(set) == 1 {
			out = append(out, Candidate{Models: set, Fusion: liveness.FuseMax})
			continue
		}
		for _, f := range liveness.Fusions {
			out = append(out, Candidate{Models: set, Fusion: f})
		}
	}
	return out
}

// Rejudge fuses each item's PAD scores again as c would have: items scored
// with every model once can be compared under any configuration.
func Rejudge(items []Item, t inference.Thresholds, c Candidate) []Item {
	j := liveness.Judge{T: t, Fusion: c.Fusion}
	out := make([]Item, len(items))
	for i, it := range items {
		out[i] = it
		if !it.Face || it.Error != "" {
			continue
		}
		f := &inference.Face{}
		for _, m := range c.Models {
			f.PAD = append(f.PAD, inference.PADScore{Model: m, Spoof: it.PAD[m]})
		}
		out[i].Spoof = j.SpoofScore(f)
	}
	return out
}

// PrintComparison writes one line per candidate: its rates at threshold,
// and the BPCER it needs to keep APCER at or under target.
func PrintComparison(w io.Writer, items []Item, t inference.Thresholds, cands []Candidate, target float64) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "PAD models and fusion\tBPCER at %.2f\tAPCER at %.2f\tBPCER at APCER <= %s (threshold)\tEER\n", t.Spoof, t.Spoof, pct(target))
	for _, c := range cands {
		its := Rejudge(items, t, c)
		r := RatesAt(its, t.Spoof)
		_, eer := DET(its, nil)
		at := "not reachable"
		if tr, ok := ThresholdFor(its, target); ok {
			at = fmt.Sprintf("%s (%.3f)", pct(tr.BPCER), tr.Threshold)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c, pct(r.BPCER), pct(r.APCER), at, pct(eer.EER()))
	}
	tw.Flush()
}
