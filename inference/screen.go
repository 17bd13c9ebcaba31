package inference

import (
	"image"
	"math"
)

// Screen is a phone, screen or laptop around the face: the sign of a replay
// held up to the camera, with its edge in view.
type Screen struct {
	Class string  // "cell phone", "tv" or "laptop": its highest COCO class
	Score float64 // the three classes' scores summed
	Box   Box
	Cover float64 // share of the face box inside Box
}

// PP-PicoDet-S 416 (COCO) without its post-processing: four strides of
// per-anchor class scores (sigmoid already applied) and distance
// distributions (GFL: 4 sides x 8 bins, softmax, expectation x stride).
var picodetStrides = [4]int{8, 16, 32, 64}

const picodetBins = 8

// The COCO classes a replay is shown on (0-based indices of the 80).
var deviceClasses = [...]struct {
	index int
	name  string
}{{62, "tv"}, {63, "laptop"}, {67, "cell phone"}}

// findScreen runs the object detector on the whole image, letterboxed into
// its square input, and returns the most confident phone, screen or laptop
// box (the three scores summed per anchor, as measured on the development
// replays) that holds at least th.DeviceCover of the face box, or nil.
func findScreen(m *model, img *image.NRGBA, face Box, th Thresholds) (*Screen, error) {
	size, _ := m.inputSize()
	w, h := float64(img.Rect.Dx()), float64(img.Rect.Dy())
	scale := math.Min(float64(size)/w, float64(size)/h) // tensor px per image px
	toImage := affine{A: 1 / scale, E: 1 / scale}
	sample(m.in(), size, size, img, toImage, m.norm(), true)
	if err := m.run(); err != nil {
		return nil, err
	}
	var best *Screen
	for si, stride := range picodetStrides {
		cls, reg := m.out(si), m.out(len(picodetStrides)+si)
		cols := (size + stride - 1) / stride
		s := float64(stride)
		for i := range len(cls) / 80 {
			scores := cls[i*80 : i*80+80]
			var sum, top float64
			class := ""
			for _, c := range deviceClasses {
				v := float64(scores[c.index])
				sum += v
				if v > top {
					top, class = v, c.name
				}
			}
			if sum < th.DeviceScore || (best != nil && sum <= best.Score) {
				continue
			}
			cx := float64(i%cols)*s + 0.5*(s-1)
			cy := float64(i/cols)*s + 0.5*(s-1)
			var d [4]float64 // left, top, right, bottom distances in tensor px
			for side := range 4 {
				d[side] = expectedBin(reg[i*4*picodetBins+side*picodetBins:][:picodetBins]) * s
			}
			x0, y0 := toImage.apply(cx-d[0], cy-d[1])
			x1, y1 := toImage.apply(cx+d[2], cy+d[3])
			box := Box{X: x0, Y: y0, W: x1 - x0, H: y1 - y0}
			if cover := overlap(face, box) / math.Max(face.Area(), 1); cover >= th.DeviceCover {
				best = &Screen{Class: class, Score: sum, Box: box, Cover: cover}
			}
		}
	}
	return best, nil
}

// expectedBin is the mean of a softmax over logits, in bins.
func expectedBin(logits []float32) float64 {
	hi := float64(logits[0])
	for _, v := range logits {
		hi = math.Max(hi, float64(v))
	}
	var sum, mean float64
	for k, v := range logits {
		e := math.Exp(float64(v) - hi)
		sum += e
		mean += e * float64(k)
	}
	return mean / sum
}
