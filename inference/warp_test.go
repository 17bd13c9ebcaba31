package inference

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/livenessd/livenessd/internal/testkit"
)

// TestSeparableAveragingMatchesTheGrid: the separable sampler computes the
// same n x n grid of bilinear taps as sampleAveraged, for a mask window well
// inside a phone selfie, one hanging over its corner (black outside) and a
// mirrored one.
func TestSeparableAveragingMatchesTheGrid(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testkit.Shared(t, "testdata/camera/photos/live"), "td_selfie_621ea6ad.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := Decode(data, DefaultDecodeLimits)
	if err != nil {
		t.Fatal(err)
	}
	const w, h = 640, 480
	for _, c := range []struct {
		name          string
		cx, cy, scale float64
		mirror        bool
	}{
		{"inside", 360, 480, 2.1, false},
		{"over the corner", 50, 900, 3.3, false},
		{"mirrored, n capped at 4", 400, 300, 5.5, true},
	} {
		m := cropAround(c.cx, c.cy, c.scale, 0, w, h, c.mirror)
		mul, add := [3]float32{1 / 128., 1 / 128., 1 / 128.}, [3]float32{-1, -1, -1}
		n := min(int(math.Ceil(c.scale)), 4)
		want, got := make([]float32, 3*w*h), make([]float32, 3*w*h)
		sampleAveraged(want[:w*h], want[w*h:2*w*h], want[2*w*h:], w, h, img, m, mul, add, n)
		sampleAveragedAxisAligned(got[:w*h], got[w*h:2*w*h], got[2*w*h:], w, h, img, m, mul, add, n)
		worst := 0.0
		for i := range want {
			worst = max(worst, math.Abs(float64(want[i]-got[i])))
		}
		// 1e-4 of a tensor unit is 1/80 of a grey level.
		if worst > 1e-4 {
			t.Errorf("%s: largest difference %.2g", c.name, worst)
		}
	}
}
