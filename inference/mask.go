package inference

import (
	"image"
	"math"
)

// maskProbability runs the masked-face detector on a 4:3 window around the
// face (crop_scale x the box height tall) and returns p(masked) / (p(face) +
// p(masked)) of its most confident prior that overlaps where the face must
// be. The model is a whole-image detector that misses small faces, so it is
// shown the one face at a size it sees well. No confident prior means no mask.
func maskProbability(m *model, img *image.NRGBA, box Box) (float64, error) {
	w, h := m.inputSize()
	scale := m.spec.CropScale * box.H / float64(h) // image px per tensor px
	cx, cy := box.X+box.W/2, box.Y+box.H/2
	toImage := cropAround(cx, cy, scale, 0, w, h, false)
	sample(m.in(), w, h, img, toImage, m.norm(), true)
	if err := m.run(); err != nil {
		return 0, err
	}
	// Where the face is in the tensor, normalised like the model's boxes.
	fw, fh := box.W/scale/float64(w), box.H/scale/float64(h)
	want := Box{X: 0.5 - fw/2, Y: 0.5 - fh/2, W: fw, H: fh}
	scores, boxes := m.out(0), m.out(1)
	const minConfidence, minOverlap = 0.5, 0.3
	best, bestConf := -1, minConfidence
	for i := 0; i < len(scores)/3; i++ {
		conf := float64(scores[3*i+1] + scores[3*i+2])
		if conf <= bestConf {
			continue
		}
		b := boxes[4*i : 4*i+4]
		got := Box{X: float64(b[0]), Y: float64(b[1]), W: float64(b[2] - b[0]), H: float64(b[3] - b[1])}
		if boxIoU(got, want) >= minOverlap {
			best, bestConf = i, conf
		}
	}
	if best < 0 {
		return 0, nil
	}
	return float64(scores[3*best+2]) / math.Max(bestConf, 1e-9), nil
}
