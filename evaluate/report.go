package evaluate

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/livenessd/livenessd/liveness"
)

// DETBounds are the BPCER bounds of the printed DET table.
var DETBounds = []float64{0.01, 0.05, 0.10}

// Print writes the error rates of items at the judge's spoof threshold, the
// DET table, the equal-error point, the threshold reaching targetAPCER (when
// > 0) and a per-source table with each clip's session-level PAD verdict, as
// `livenessd eval` shows them.
func Print(w io.Writer, j liveness.Judge, items []Item, targetAPCER float64) {
	threshold := j.T.Spoof
	r := RatesAt(items, threshold)
	errs := 0
	for _, it := range items {
		if it.Error != "" {
			errs++
		}
	}
	fmt.Fprintf(w, "%d items: %d live, %d attacks", len(items), r.Live, r.Attack)
	if errs > 0 {
		fmt.Fprintf(w, ", %d not analysed (errors; see --json)", errs)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nat threshold %.3f\tshare\titems\n", threshold)
	fmt.Fprintf(tw, "BPCER (live judged attack)\t%s\t%d/%d (%d without a face)\n", pct(r.BPCER), r.LiveRejected, r.Live, r.LiveNoFace)
	for _, a := range r.Attacks {
		fmt.Fprintf(tw, "APCER %s (attack judged live)\t%s\t%d/%d\n", a.Type, pct(a.APCER), a.Passed, a.Items)
	}
	fmt.Fprintf(tw, "APCER all attacks\t%s\t%d/%d\n", pct(r.APCER), r.AttackPassed, r.Attack)
	fmt.Fprintf(tw, "APCER worst attack type\t%s\t\n", pct(r.MaxAPCER))
	tw.Flush()

	points, eer := DET(items, DETBounds)
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nDET\tAPCER\tthreshold\tBPCER there\n")
	for _, p := range points {
		if !p.Reached {
			fmt.Fprintf(tw, "BPCER <= %s\tnot reachable\t\t\n", pct(p.MaxBPCER))
			continue
		}
		fmt.Fprintf(tw, "BPCER <= %s\t%s\t%.4f\t%s\n", pct(p.MaxBPCER), pct(p.APCER), p.Threshold, pct(p.BPCER))
	}
	fmt.Fprintf(tw, "equal error\t%s\t%.4f\tAPCER %s, BPCER %s\n", pct(eer.EER()), eer.Threshold, pct(eer.APCER), pct(eer.BPCER))
	if targetAPCER > 0 {
		if t, ok := ThresholdFor(items, targetAPCER); ok {
			fmt.Fprintf(tw, "APCER <= %s\t%s\t%.4f\t%s\n", pct(targetAPCER), pct(t.APCER), t.Threshold, pct(t.BPCER))
		} else {
			fmt.Fprintf(tw, "APCER <= %s\tnot reachable\t\t\n", pct(targetAPCER))
		}
	}
	tw.Flush()

	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	// A clip is judged as a session would judge it, over all its frames.
	// The device column counts items where the device check (when on) saw
	// a phone or screen around the face; the flat column is the clip's
	// flat-picture check (when on and enough views moved).
	fmt.Fprintf(tw, "\nsource\tlabel\titems\twrong at %.3f\tno face\tas a session (median spoof_score)\tdevice seen\tflat (parallax ratio)\n", threshold)
	for _, s := range bySource(items, threshold) {
		session := ""
		if s.clip {
			pad := j.SessionPAD(s.scores)
			session = map[bool]string{true: "real", false: "attack"}[pad.Real] + fmt.Sprintf(" (%.3f)", pad.Score)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%d\t%s\n", s.name, s.label, s.items, s.wrong, s.noFace, session, s.devices, s.flat)
	}
	tw.Flush()
}

type sourceRow struct {
	name, label          string
	items, wrong, noFace int
	devices              int    // items with a phone or screen seen around the face
	flat                 string // "yes (0.42)", "no (0.81)", or "" when not judged
	clip                 bool
	scores               []float64
}

func bySource(items []Item, t float64) []sourceRow {
	var rows []sourceRow
	index := map[string]int{}
	for _, it := range items {
		if it.Error != "" {
			continue
		}
		i, ok := index[it.source]
		if !ok {
			label := "live"
			if !it.Real {
				label = it.Attack
			}
			i = len(rows)
			index[it.source] = i
			rows = append(rows, sourceRow{name: it.source, label: label, clip: it.Clip})
		}
		rows[i].items++
		rows[i].scores = append(rows[i].scores, it.Spoof)
		if it.Device != "" {
			rows[i].devices++
		}
		if it.Flat != nil {
			rows[i].flat = map[bool]string{true: "yes", false: "no"}[*it.Flat] + fmt.Sprintf(" (%.2f)", *it.ParallaxRatio)
		}
		if (it.Spoof >= t) == it.Real {
			rows[i].wrong++
		}
		if !it.Face {
			rows[i].noFace++
		}
	}
	return rows
}

func pct(v float64) string { return strings.TrimSuffix(fmt.Sprintf("%.1f", 100*v), ".0") + "%" }

// ClipVerdict is a clip judged as a session judges its frames: the
// session-level PAD verdict over every scored frame.
type ClipVerdict struct {
	Name string
	Real bool // the label
	PAD  liveness.SessionPAD
}

// Sessions judges every clip among items as a session would.
func Sessions(items []Item, j liveness.Judge) []ClipVerdict {
	var out []ClipVerdict
	for _, s := range bySource(items, j.T.Spoof) {
		if s.clip {
			out = append(out, ClipVerdict{Name: s.name, Real: s.label == "live", PAD: j.SessionPAD(s.scores)})
		}
	}
	return out
}
