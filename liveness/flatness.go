package liveness

import (
	"math"

	"github.com/livenessd/livenessd/inference"
)

// Face Mesh indices of the outer eye corners, for the inter-ocular distance
// residuals are measured in.
const (
	meshRightEyeOuter = 33
	meshLeftEyeOuter  = 263
)

// Parallax is how far two views of one face are from being the same flat
// picture: the RMS distance, over all Face Mesh landmarks, between b's
// landmarks and a's mapped by the best homography (least squares), in units
// of b's inter-ocular distance. A printed photo or a still image on a screen
// is a plane, and any two views of a plane differ by a homography: its
// parallax stays at the landmark noise. A head is not flat: when it turns,
// the nose moves against the cheeks and the outline. It reports false when
// the meshes are missing or degenerate.
func Parallax(a, b *inference.Face) (float64, bool) {
	iod, ok := interOcular(a, b)
	if !ok {
		return 0, false
	}
	h, ok := fitHomography(a.Mesh, b.Mesh)
	if !ok {
		return 0, false
	}
	var sum float64
	for i, p := range a.Mesh {
		w := h[6]*p.X + h[7]*p.Y + 1
		if math.Abs(w) < 1e-9 {
			return 0, false
		}
		u, v := (h[0]*p.X+h[1]*p.Y+h[2])/w, (h[3]*p.X+h[4]*p.Y+h[5])/w
		dx, dy := u-b.Mesh[i].X, v-b.Mesh[i].Y
		sum += dx*dx + dy*dy
	}
	return math.Sqrt(sum/float64(len(a.Mesh))) / iod, true
}

// interOcular is b's inter-ocular distance, the unit residuals are measured
// in, when both faces carry comparable meshes.
func interOcular(a, b *inference.Face) (float64, bool) {
	if len(a.Mesh) != len(b.Mesh) || len(a.Mesh) <= meshLeftEyeOuter {
		return 0, false
	}
	l, r := b.Mesh[meshLeftEyeOuter], b.Mesh[meshRightEyeOuter]
	iod := math.Hypot(l.X-r.X, l.Y-r.Y)
	return iod, iod >= 1
}

// fitHomography is the least-squares (direct linear transform, h33 = 1)
// homography from src to dst, with both point sets normalised first
// (Hartley: centroid at the origin, mean distance sqrt 2) for a
// well-conditioned system. h maps (x, y) to ((h0 x + h1 y + h2) / w,
// (h3 x + h4 y + h5) / w), w = h6 x + h7 y + 1.
func fitHomography(src, dst []inference.Point) ([8]float64, bool) {
	ts, ss := normalisation(src)
	td, sd := normalisation(dst)
	var ata [8][8]float64
	var atb [8]float64
	for i := range src {
		x, y := (src[i].X-ts.X)*ss, (src[i].Y-ts.Y)*ss
		u, v := (dst[i].X-td.X)*sd, (dst[i].Y-td.Y)*sd
		rows := [2][8]float64{{x, y, 1, 0, 0, 0, -u * x, -u * y}, {0, 0, 0, x, y, 1, -v * x, -v * y}}
		rhs := [2]float64{u, v}
		for r := range rows {
			for j := range 8 {
				atb[j] += rows[r][j] * rhs[r]
				for k := range 8 {
					ata[j][k] += rows[r][j] * rows[r][k]
				}
			}
		}
	}
	n, ok := solve8(ata, atb)
	if !ok {
		return n, false
	}
	// Undo the normalisations: H = Td^-1 * N * Ts, scaled so that h33 = 1.
	nm := [3][3]float64{{n[0], n[1], n[2]}, {n[3], n[4], n[5]}, {n[6], n[7], 1}}
	tsm := [3][3]float64{{ss, 0, -ss * ts.X}, {0, ss, -ss * ts.Y}, {0, 0, 1}}
	tdInv := [3][3]float64{{1 / sd, 0, td.X}, {0, 1 / sd, td.Y}, {0, 0, 1}}
	hm := mul3(tdInv, mul3(nm, tsm))
	if math.Abs(hm[2][2]) < 1e-12 {
		return [8]float64{}, false
	}
	s := 1 / hm[2][2]
	return [8]float64{hm[0][0] * s, hm[0][1] * s, hm[0][2] * s, hm[1][0] * s, hm[1][1] * s, hm[1][2] * s, hm[2][0] * s, hm[2][1] * s}, true
}

// normalisation is the centroid of pts and the scale that brings their mean
// distance from it to sqrt 2.
func normalisation(pts []inference.Point) (inference.Point, float64) {
	var c inference.Point
	for _, p := range pts {
		c.X, c.Y = c.X+p.X, c.Y+p.Y
	}
	c.X, c.Y = c.X/float64(len(pts)), c.Y/float64(len(pts))
	var d float64
	for _, p := range pts {
		d += math.Hypot(p.X-c.X, p.Y-c.Y)
	}
	d /= float64(len(pts))
	if d == 0 {
		return c, 1
	}
	return c, math.Sqrt2 / d
}

func mul3(a, b [3][3]float64) [3][3]float64 {
	var c [3][3]float64
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				c[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return c
}

// solve8 solves a x = b by Gaussian elimination with partial pivoting.
func solve8(a [8][8]float64, b [8]float64) ([8]float64, bool) {
	for col := range 8 {
		piv := col
		for r := col + 1; r < 8; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[piv][col]) {
				piv = r
			}
		}
		if math.Abs(a[piv][col]) < 1e-12 {
			return [8]float64{}, false
		}
		a[col], a[piv] = a[piv], a[col]
		b[col], b[piv] = b[piv], b[col]
		for r := col + 1; r < 8; r++ {
			f := a[r][col] / a[col][col]
			for k := col; k < 8; k++ {
				a[r][k] -= f * a[col][k]
			}
			b[r] -= f * b[col]
		}
	}
	var x [8]float64
	for r := 7; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < 8; k++ {
			s -= a[r][k] * x[k]
		}
		x[r] = s / a[r][r]
	}
	return x, true
}

// ViewChange is how far two views of one face differ beyond moving,
// turning in the image plane and scaling: the RMS distance between b's
// landmarks and a's mapped by the best similarity transform, in units of
// b's inter-ocular distance. Turning the head, or tilting a picture, changes
// it; sliding or rotating a picture in the image plane does not.
func ViewChange(a, b *inference.Face) (float64, bool) {
	iod, ok := interOcular(a, b)
	if !ok {
		return 0, false
	}
	n := float64(len(a.Mesh))
	var ca, cb inference.Point
	for i := range a.Mesh {
		ca.X, ca.Y = ca.X+a.Mesh[i].X/n, ca.Y+a.Mesh[i].Y/n
		cb.X, cb.Y = cb.X+b.Mesh[i].X/n, cb.Y+b.Mesh[i].Y/n
	}
	// b ~ s R a + t in complex form: z_b = k z_a with k = sum(conj(za) zb) / sum |za|^2.
	var re, im, norm float64
	for i := range a.Mesh {
		ax, ay := a.Mesh[i].X-ca.X, a.Mesh[i].Y-ca.Y
		bx, by := b.Mesh[i].X-cb.X, b.Mesh[i].Y-cb.Y
		re += ax*bx + ay*by
		im += ax*by - ay*bx
		norm += ax*ax + ay*ay
	}
	if norm == 0 {
		return 0, false
	}
	kr, ki := re/norm, im/norm
	var sum float64
	for i := range a.Mesh {
		ax, ay := a.Mesh[i].X-ca.X, a.Mesh[i].Y-ca.Y
		dx := kr*ax - ki*ay - (b.Mesh[i].X - cb.X)
		dy := ki*ax + kr*ay - (b.Mesh[i].Y - cb.Y)
		sum += dx*dx + dy*dy
	}
	return math.Sqrt(sum/n) / iod, true
}

// Flatness is a session's (or batch's) flat-picture evidence: over every
// pair of frames of the subject whose landmarks differ by at least
// Thresholds.FlatMinChange beyond a similarity transform (the head turned,
// or the picture tilted), the median of Parallax / ViewChange. A head's
// parallax grows with the view change: on the live clips of
// ../shared/testdata the median ratio is 0.69 (a webcam user sitting still)
// to 0.90; the printed photo moved about in nuaa_print_0001 gives 0.42, all
// its pairs under 0.51.
type Flatness struct {
	Ratio float64 // median parallax ratio over the pairs
	Pairs int     // pairs that moved enough to judge
	Flat  bool    // enough pairs, and Ratio under Thresholds.FlatRatio
}

// maxFlatFrames bounds the frames compared (n^2/2 pairs, each a 468-point
// fit: 40 frames take about 50 ms).
const maxFlatFrames = 40

// Flatness judges the faces of one subject (a session's sampled frames, a
// batch's images) for a flat presentation. With fewer than
// Thresholds.FlatMinPairs pairs that moved enough it says nothing (Flat
// false): a user who held still is not an attack.
func (j Judge) Flatness(faces []*inference.Face) Flatness {
	if len(faces) > maxFlatFrames {
		// Spread over the session rather than its start.
		step := float64(len(faces)) / maxFlatFrames
		picked := make([]*inference.Face, maxFlatFrames)
		for i := range picked {
			picked[i] = faces[int(float64(i)*step)]
		}
		faces = picked
	}
	var ratios []float64
	for a := range faces {
		for b := a + 1; b < len(faces); b++ {
			change, ok := ViewChange(faces[a], faces[b])
			if !ok || change < j.T.FlatMinChange {
				continue
			}
			if p, ok := Parallax(faces[a], faces[b]); ok {
				ratios = append(ratios, p/change)
			}
		}
	}
	f := Flatness{Pairs: len(ratios)}
	if f.Pairs == 0 {
		return f
	}
	f.Ratio = median(ratios)
	f.Flat = f.Pairs >= j.T.FlatMinPairs && f.Ratio < j.T.FlatRatio
	return f
}
