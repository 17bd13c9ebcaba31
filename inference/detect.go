package inference

import (
	"cmp"
	"image"
	"math"
	"slices"

	ort "github.com/yalue/onnxruntime_go"
)

// detection is one YuNet face in image coordinates.
type detection struct {
	box   Box
	score float64
	kps   [5]Point
}

var yunetStrides = [3]int{8, 16, 32}

// yunetShapes are YuNet's output shapes for a w x h input, in the
// manifest's output order: cls, obj, bbox (4) and kps (10) per stride.
func yunetShapes(w, h int) []ort.Shape {
	var shapes []ort.Shape
	for _, channels := range []int64{1, 1, 4, 10} {
		for _, s := range yunetStrides {
			shapes = append(shapes, ort.NewShape(1, int64((w/s)*(h/s)), channels))
		}
	}
	return shapes
}

// detect runs YuNet on the image letterboxed into the top-left of its
// input, after shrinking the image by pad on every side (pad 0.25 puts a
// quarter-width black border around it: tight face crops, where the face
// fills the frame, are only found with room around them). A dynamic
// detector's input takes the image's own aspect, rounded up to multiples of
// 32: a 640x480 frame is a 640x480 tensor, not 640x640 with a black quarter.
func detect(m *model, img *image.NRGBA, pad float64, th Thresholds) ([]detection, error) {
	size, _ := m.inputSize()
	w, h := float64(img.Rect.Dx()), float64(img.Rect.Dy())
	fullW, fullH := w*(1+2*pad), h*(1+2*pad)
	scale := math.Min(float64(size)/fullW, float64(size)/fullH) // tensor px per image px
	if pad == 0 && scale > 1 {
		scale = 1 // never enlarge: small images keep their pixels and the rest is black
	}
	tensorW, tensorH := size, size
	if m.spec.Input.Dynamic {
		tensorW, tensorH = ceil32(fullW*scale), ceil32(fullH*scale)
		if err := m.resize(tensorW, tensorH, yunetShapes(tensorW, tensorH)); err != nil {
			return nil, err
		}
	}
	off := pad * w * scale
	offY := pad * h * scale
	// tensor (x,y) -> image ((x-off)/scale, (y-offY)/scale)
	toImage := affine{A: 1 / scale, C: -off / scale, E: 1 / scale, F: -offY / scale}
	sample(m.in(), tensorW, tensorH, img, toImage, m.norm(), true)
	if err := m.run(); err != nil {
		return nil, err
	}
	var dets []detection
	for si, stride := range yunetStrides {
		cls, obj, bbox, kps := m.out(si), m.out(3+si), m.out(6+si), m.out(9+si)
		cols := tensorW / stride
		s := float64(stride)
		for i := range cls {
			score := math.Sqrt(clamp01(float64(cls[i])) * clamp01(float64(obj[i])))
			if score < th.DetectScore {
				continue
			}
			col, row := float64(i%cols), float64(i/cols)
			b := bbox[i*4 : i*4+4]
			cx, cy := (col+float64(b[0]))*s, (row+float64(b[1]))*s
			bw, bh := math.Exp(float64(b[2]))*s, math.Exp(float64(b[3]))*s
			d := detection{score: score}
			x0, y0 := toImage.apply(cx-bw/2, cy-bh/2)
			d.box = Box{X: x0, Y: y0, W: bw / scale, H: bh / scale}
			k := kps[i*10 : i*10+10]
			for p := range 5 {
				d.kps[p].X, d.kps[p].Y = toImage.apply((col+float64(k[2*p]))*s, (row+float64(k[2*p+1]))*s)
			}
			dets = append(dets, d)
		}
	}
	return nms(dets, th.NMSIoU), nil
}

// nms keeps the best-scoring box of every overlapping group, best first.
func nms(dets []detection, iou float64) []detection {
	slices.SortFunc(dets, func(a, b detection) int { return cmp.Compare(b.score, a.score) })
	var kept []detection
	for _, d := range dets {
		if !slices.ContainsFunc(kept, func(k detection) bool { return boxIoU(k.box, d.box) > iou }) {
			kept = append(kept, d)
		}
	}
	return kept
}

func boxIoU(a, b Box) float64 {
	inter := overlap(a, b)
	if inter == 0 {
		return 0
	}
	return inter / (a.Area() + b.Area() - inter)
}

// overlap is the area two boxes share.
func overlap(a, b Box) float64 {
	w := math.Min(a.X+a.W, b.X+b.W) - math.Max(a.X, b.X)
	h := math.Min(a.Y+a.H, b.Y+b.H) - math.Max(a.Y, b.Y)
	if w <= 0 || h <= 0 {
		return 0
	}
	return w * h
}

// ceil32 rounds a tensor side up to a multiple of 32 (at least 32).
func ceil32(v float64) int { return max(32, int(math.Ceil(v/32))*32) }

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }
