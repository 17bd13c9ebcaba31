package inference

import (
	"image"
	"math"
)

// arcFaceTemplate is where the five keypoints sit in a 112x112 aligned face,
// in YuNet's keypoint order.
var arcFaceTemplate = [5]Point{
	{38.2946, 51.6963}, {73.5318, 51.5014}, {56.0252, 71.7366}, {41.5493, 92.3655}, {70.7299, 92.2041},
}

// embedding aligns the face to the ArcFace template with the least-squares
// similarity transform of its five keypoints, runs MobileFaceNet and writes
// the L2-normalised embedding into dst.
func embedding(m *model, img *image.NRGBA, kps [5]Point, dst []float32) error {
	w, h := m.inputSize()
	sample(m.in(), w, h, img, similarity(arcFaceTemplate, kps), m.norm(), true)
	if err := m.run(); err != nil {
		return err
	}
	out := m.out(0)
	var sum float64
	for _, v := range out {
		sum += float64(v) * float64(v)
	}
	n := float32(1 / math.Max(math.Sqrt(sum), 1e-12))
	for i, v := range out {
		dst[i] = v * n
	}
	return nil
}

// similarity fits the rotation+scale+translation that best maps from onto to
// (least squares; Umeyama without reflection).
func similarity(from, to [5]Point) affine {
	var fx, fy, tx, ty float64
	for i := range from {
		fx, fy, tx, ty = fx+from[i].X, fy+from[i].Y, tx+to[i].X, ty+to[i].Y
	}
	n := float64(len(from))
	fx, fy, tx, ty = fx/n, fy/n, tx/n, ty/n
	var num, cross, den float64
	for i := range from {
		px, py := from[i].X-fx, from[i].Y-fy
		qx, qy := to[i].X-tx, to[i].Y-ty
		num += px*qx + py*qy
		cross += px*qy - py*qx
		den += px*px + py*py
	}
	a, b := num/den, cross/den
	return affine{A: a, B: -b, C: tx - a*fx + b*fy, D: b, E: a, F: ty - b*fx - a*fy}
}

// Similarity is the cosine similarity of two L2-normalised embeddings.
func Similarity(a, b []float32) float64 {
	if len(a) != len(b) {
		return 0
	}
	var dot float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
	}
	return dot
}
