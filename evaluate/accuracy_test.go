package evaluate_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/livenessd/livenessd/config"
	"github.com/livenessd/livenessd/evaluate"
	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/internal/testkit"
	"github.com/livenessd/livenessd/liveness"
)

// devSets are the labelled sets of ../shared/testdata the README's PAD
// tables are measured on, as `livenessd eval` reads them.
func devSets(t *testing.T) []evaluate.Source {
	t.Helper()
	var srcs []evaluate.Source
	for _, p := range []string{
		testkit.Shared(t, "testdata/faces"), testkit.Shared(t, "testdata/camera"), testkit.Shared(t, "testdata/video"),
		filepath.Join(testkit.Root(), "evaluate", "testdata", "video-live.json"),
	} {
		s, err := evaluate.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, s...)
	}
	return srcs
}

// TestPADOnTheDevelopmentData scores every labelled photo and every 5th
// clip frame with all three PAD models, prints the README's tables (go test
// -v), and holds the shipped default to the trusted-verdict issue's targets,
// BPCER <= 5% and APCER <= 5% per frame (measured when it was chosen: 3.2%
// and 2.6%).
func TestPADOnTheDevelopmentData(t *testing.T) {
	man, paths := testkit.Models(t)
	cfg := config.Default().Inference
	cfg.Device = inference.DeviceCPU
	shipped := evaluate.Candidate{Models: cfg.PAD.Models, Fusion: cfg.PAD.Fusion}
	cfg.PAD.Models = inference.PADModels
	eng, err := inference.New(cfg, man, paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	judge := liveness.Judge{T: cfg.Thresholds, Fusion: shipped.Fusion}
	all, err := evaluate.Score(context.Background(), eng, judge, devSets(t),
		evaluate.Options{Every: 5, Workers: cfg.Workers, Decode: inference.DefaultDecodeLimits})
	if err != nil {
		t.Fatal(err)
	}
	items := evaluate.Rejudge(all, cfg.Thresholds, shipped)
	var out bytes.Buffer
	out.WriteString("default PAD " + shipped.String() + "\n")
	evaluate.Print(&out, judge, items, 0.05)
	out.WriteString("\n")
	evaluate.PrintComparison(&out, all, cfg.Thresholds, evaluate.Candidates(inference.PADModels), 0.05)
	t.Log("\n" + out.String())

	for _, it := range items {
		if it.Error != "" {
			t.Errorf("%s: %s", it.Name, it.Error)
		}
	}
	r := evaluate.RatesAt(items, cfg.Thresholds.Spoof)
	if r.Live < 300 || r.Attack < 70 {
		t.Fatalf("only %d live and %d attack items: is ../shared/testdata complete?", r.Live, r.Attack)
	}
	if r.APCER > 0.05 {
		t.Errorf("APCER %.1f%%, target <= 5%%", 100*r.APCER)
	}
	if r.BPCER > 0.05 {
		t.Errorf("BPCER %.1f%%, target <= 5%%", 100*r.BPCER)
	}

	// A session decides PAD over all its frames (liveness.SessionPAD): that
	// must call every live clip real and every attack clip an attack.
	for _, c := range evaluate.Sessions(items, judge) {
		if c.PAD.Real != c.Real {
			t.Errorf("%s: judged as a session real=%v (median %.3f over %d frames), labelled real=%v", c.Name, c.PAD.Real, c.PAD.Score, c.PAD.Frames, c.Real)
		}
	}
}
