package inference

import (
	"image"
	"math"
)

// spoofReal runs one MiniFASNet model and returns its probability that the
// face is real (class 1 of three; 0 and 2 are attack classes).
//
// The crop follows Silent-Face's CropImage exactly, because the weights were
// trained on it: crop_scale x the detector box around its centre, the scale
// reduced until it fits the image, the window shifted (not clipped) to stay
// inside, then resized to 80x80 without antialiasing.
func spoofReal(m *model, img *image.NRGBA, box Box) (float64, error) {
	size, _ := m.inputSize()
	W, H := float64(img.Rect.Dx()), float64(img.Rect.Dy())
	s := math.Min(m.spec.CropScale, math.Min((H-1)/box.H, (W-1)/box.W))
	cw, ch := box.W*s, box.H*s
	cx, cy := box.X+box.W/2, box.Y+box.H/2
	x0, y0, x1, y1 := cx-cw/2, cy-ch/2, cx+cw/2, cy+ch/2
	if x0 < 0 {
		x1 -= x0
		x0 = 0
	}
	if y0 < 0 {
		y1 -= y0
		y0 = 0
	}
	if x1 > W-1 {
		x0 -= x1 - W + 1
		x1 = W - 1
	}
	if y1 > H-1 {
		y0 -= y1 - H + 1
		y1 = H - 1
	}
	// Upstream truncates to ints and crops [x0, x1] inclusive.
	x0, y0, x1, y1 = math.Trunc(x0), math.Trunc(y0), math.Trunc(x1), math.Trunc(y1)
	fs := float64(size)
	toImage := affine{A: (x1 - x0 + 1) / fs, C: x0, E: (y1 - y0 + 1) / fs, F: y0}
	sample(m.in(), size, size, img, toImage, m.norm(), false)
	if err := m.run(); err != nil {
		return 0, err
	}
	return softmax(m.out(0))[1], nil
}

func softmax(logits []float32) []float64 {
	p := make([]float64, len(logits))
	maxV := math.Inf(-1)
	for _, v := range logits {
		maxV = math.Max(maxV, float64(v))
	}
	var sum float64
	for i, v := range logits {
		p[i] = math.Exp(float64(v) - maxV)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}
