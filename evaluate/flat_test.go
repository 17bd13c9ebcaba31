package evaluate_test

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/livenessd/livenessd/config"
	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/internal/testkit"
	"github.com/livenessd/livenessd/internal/testkit/clip"
	"github.com/livenessd/livenessd/liveness"
)

// TestFlatPicturesOnTheClips judges every clip of ../shared/testdata for a
// flat presentation over every 3rd frame, as a session would, and prints
// the table of the README's "Flat pictures": every live clip must have
// parallax, the moved print must be flat. Replays of a moving head are not
// flat (the screen shows a real head's parallax): reported, not asserted.
func TestFlatPicturesOnTheClips(t *testing.T) {
	man, paths := testkit.Models(t)
	cfg := config.Default().Inference
	cfg.Device = inference.DeviceCPU
	eng, err := inference.New(cfg, man, paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	judge := liveness.NewJudge(cfg)
	shared := testkit.Shared(t, "testdata")
	for _, c := range []struct {
		clip  string
		label string // live, print, replay
	}{
		{"video/nuaa_print_0001_640x480_10fps.mjpeg", "print"},
		{"video/nuaa_real_0001_640x480_10fps.mjpeg", "live"},
		{"video/live_selfie_headpose_480x640_15fps.mjpeg", "live"},
		{"video/live_blink_closed_eyes_640x480_15fps.mjpeg", "live"},
		{"video/live_mouth_open_640x480_15fps.mjpeg", "live"},
		{"camera/video/td_live_621ea6b1_headturns_360x480_10fps.mjpeg", "live"},
		{"camera/video/td_live_621ea6c1_headturns_360x480_10fps.mjpeg", "live"},
		{"camera/video/td_live_621f73fc_headturns_360x480_10fps.mjpeg", "live"},
		{"camera/video/lestari_live_webcam_640x426_15fps.mjpeg", "live"},
		{"camera/video/lp_d13_phone_selfie_talking_360x640_15fps.mjpeg", "live"},
		{"camera/video/lp_d3_expressions_512x512_15fps.mjpeg", "live"},
		{"camera/video/lestari_replay_phone_640x426_15fps.mjpeg", "replay"},
		{"camera/video/wingscape_replay_phone_640x360_10fps.mjpeg", "replay"},
	} {
		faces := clipFaces(t, eng, filepath.Join(shared, c.clip), 3)
		f := judge.Flatness(faces)
		t.Logf("flat check  %-62s %-6s  median parallax ratio %.3f over %4d view pairs  flat %v", c.clip, c.label, f.Ratio, f.Pairs, f.Flat)
		// Pair by pair: the target is about single pairs, the rule
		// about their median; both are printed.
		all, tilted := pairRatios(faces, cfg.Thresholds.FlatMinChange, 0), pairRatios(faces, cfg.Thresholds.FlatMinChange, 15)
		if len(all) > 0 {
			t.Logf("            pairs: lowest ratio %.3f, highest %.3f, %d of %d under flat_ratio %.2f; pairs 15+ degrees of pitch apart: %d, highest ratio %.3f",
				slices.Min(all), slices.Max(all), under(all, cfg.Thresholds.FlatRatio), len(all), cfg.Thresholds.FlatRatio, len(tilted), maxOr0(tilted))
		}
		switch {
		case c.label == "live" && f.Flat:
			t.Errorf("%s: a live clip judged flat", c.clip)
		case c.label == "print" && !f.Flat:
			t.Errorf("%s: the moved print not judged flat", c.clip)
		}
	}
}

// pairRatios is the parallax ratio of every pair of faces whose view
// changed by at least minChange and whose pitch differs by at least minPitch
// degrees.
func pairRatios(faces []*inference.Face, minChange, minPitch float64) []float64 {
	var out []float64
	for a := range faces {
		for b := a + 1; b < len(faces); b++ {
			change, ok := liveness.ViewChange(faces[a], faces[b])
			if !ok || change < minChange || math.Abs(faces[a].Pitch-faces[b].Pitch) < minPitch {
				continue
			}
			if p, ok := liveness.Parallax(faces[a], faces[b]); ok {
				out = append(out, p/change)
			}
		}
	}
	return out
}

func under(v []float64, limit float64) int {
	n := 0
	for _, x := range v {
		if x < limit {
			n++
		}
	}
	return n
}

func maxOr0(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	return slices.Max(v)
}

// clipFaces analyses every nth frame of a clip and returns the faces found.
func clipFaces(t *testing.T, eng *inference.Engine, path string, every int) []*inference.Face {
	t.Helper()
	var faces []*inference.Face
	for n, data := range clip.Frames(t, path) {
		if n%every != 0 {
			continue
		}
		img, err := inference.Decode(data, inference.DefaultDecodeLimits)
		if err != nil {
			t.Fatal(err)
		}
		fa, err := eng.Analyze(context.Background(), img)
		if err != nil {
			t.Fatal(err)
		}
		if fa.Face != nil && fa.Faces == 1 {
			faces = append(faces, fa.Face)
		}
	}
	return faces
}
