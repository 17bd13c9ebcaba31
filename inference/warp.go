package inference

import (
	"image"
	"math"
)

// affine maps a point of a model's input tensor to a point of the source
// image, both in continuous pixel coordinates (the top-left corner of pixel
// (i,j) is (i,j), its centre (i+.5,j+.5)):
//
//	sx = A*x + B*y + C
//	sy = D*x + E*y + F
//
// Every crop the pipeline makes (letterbox, rotated mesh and eye crops,
// anti-spoof and mask windows, aligned face) is one of these, so one sampler
// serves them all.
type affine struct{ A, B, C, D, E, F float64 }

func (m affine) apply(x, y float64) (float64, float64) {
	return m.A*x + m.B*y + m.C, m.D*x + m.E*y + m.F
}

// cropAround is the map for a square-pixel crop of size w x h tensor pixels
// whose centre lands on (cx,cy) in the source, with scale source pixels per
// tensor pixel and the tensor's x axis along angle (radians, image coordinates)
// in the source. mirror flips the crop horizontally.
func cropAround(cx, cy, scale, angle float64, w, h int, mirror bool) affine {
	cos, sin := math.Cos(angle)*scale, math.Sin(angle)*scale
	sx := 1.0
	if mirror {
		sx = -1
	}
	hw, hh := float64(w)/2, float64(h)/2
	// source = centre + R*S*(x-hw)*sx along the axis + R*S*(y-hh) across it
	m := affine{A: cos * sx, B: -sin, D: sin * sx, E: cos}
	m.C = cx - m.A*hw - m.B*hh
	m.F = cy - m.D*hw - m.E*hh
	return m
}

// normalization turns 0..255 pixel values into tensor values: (v-mean)/std
// per channel, written in RGB or BGR plane order.
type normalization struct {
	bgr  bool
	mean [3]float32
	std  [3]float32
}

// sample fills dst (planar CHW, w x h) with the source image seen through m,
// bilinear, black outside the image. With antialias, when the map shrinks the
// source by more than 2x it averages an n x n grid of bilinear taps per
// tensor pixel so that small crops of large faces do not alias. The
// anti-spoofing models go without it: they were trained on plain bilinear
// resizes and read the very texture that antialiasing would smooth away.
func sample(dst []float32, w, h int, src *image.NRGBA, m affine, norm normalization, antialias bool) {
	plane := w * h
	r, g, b := dst[:plane], dst[plane:2*plane], dst[2*plane:3*plane]
	if norm.bgr {
		r, b = b, r
	}
	var mul, add [3]float32
	for c := range 3 {
		mul[c] = 1 / norm.std[c]
		add[c] = -norm.mean[c] / norm.std[c]
	}
	if copyExact(r, g, b, w, h, src, m, mul, add) {
		return
	}
	scale := math.Sqrt(math.Abs(m.A*m.E - m.B*m.D))
	if antialias && scale > 2 {
		n := min(int(math.Ceil(scale)), 4)
		if m.B == 0 && m.D == 0 {
			sampleAveragedAxisAligned(r, g, b, w, h, src, m, mul, add, n)
			return
		}
		sampleAveraged(r, g, b, w, h, src, m, mul, add, n)
		return
	}
	if m.B == 0 && m.D == 0 {
		sampleAxisAligned(r, g, b, w, h, src, m, mul, add)
		return
	}
	// One bilinear tap per tensor pixel, walking the source incrementally
	// along each row.
	for y := range h {
		sx, sy := m.apply(0.5, float64(y)+0.5)
		sx, sy = sx-0.5, sy-0.5
		row := y * w
		for x := range w {
			var px [3]float32
			bilinear(src, sx, sy, &px)
			r[row+x] = px[0]*mul[0] + add[0]
			g[row+x] = px[1]*mul[1] + add[1]
			b[row+x] = px[2]*mul[2] + add[2]
			sx += m.A
			sy += m.D
		}
	}
}

// sampleAxisAligned is the bilinear path for unrotated crops (the detector
// letterbox, the mask and anti-spoofing windows): the horizontal taps and
// weights are the same on every row, so they are computed once. The mask
// model's 640x480 input makes this the pipeline's largest own cost.
func sampleAxisAligned(r, g, b []float32, w, h int, src *image.NRGBA, m affine, mul, add [3]float32) {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	cols := make([]int, w) // byte offset of the left tap, -1 where a tap falls outside
	wx := make([]float32, w)
	for x := range w {
		sx := m.A*(float64(x)+0.5) + m.C - 0.5
		x0 := int(math.Floor(sx))
		cols[x], wx[x] = -1, float32(sx-float64(x0))
		if x0 >= 0 && x0+1 < sw {
			cols[x] = x0 * 4
		}
	}
	for y := range h {
		sy := m.E*(float64(y)+0.5) + m.F - 0.5
		y0 := int(math.Floor(sy))
		ay := float32(sy - float64(y0))
		rowOK := y0 >= 0 && y0+1 < sh
		row := y * w
		for x := range w {
			var px [3]float32
			if c := cols[x]; rowOK && c >= 0 {
				i := y0*src.Stride + c
				p, q := src.Pix[i:i+8:i+8], src.Pix[i+src.Stride:i+src.Stride+8:i+src.Stride+8]
				ax := wx[x]
				for k := range 3 {
					top := float32(p[k]) + (float32(p[k+4])-float32(p[k]))*ax
					bot := float32(q[k]) + (float32(q[k+4])-float32(q[k]))*ax
					px[k] = top + (bot-top)*ay
				}
			} else {
				bilinear(src, m.A*(float64(x)+0.5)+m.C-0.5, sy, &px)
			}
			r[row+x] = px[0]*mul[0] + add[0]
			g[row+x] = px[1]*mul[1] + add[1]
			b[row+x] = px[2]*mul[2] + add[2]
		}
	}
}

// sampleAveraged averages an n x n grid of bilinear taps per tensor pixel.
func sampleAveraged(r, g, b []float32, w, h int, src *image.NRGBA, m affine, mul, add [3]float32, n int) {
	inv := 1 / float32(n*n)
	for y := range h {
		for x := range w {
			var acc [3]float32
			for j := range n {
				for i := range n {
					tx := float64(x) + (float64(i)+0.5)/float64(n)
					ty := float64(y) + (float64(j)+0.5)/float64(n)
					sx, sy := m.apply(tx, ty)
					bilinear(src, sx-0.5, sy-0.5, &acc)
				}
			}
			k := y*w + x
			r[k] = acc[0]*inv*mul[0] + add[0]
			g[k] = acc[1]*inv*mul[1] + add[1]
			b[k] = acc[2]*inv*mul[2] + add[2]
		}
	}
}

// tap is one source row or column's weight in a tensor pixel.
type tap struct {
	at int
	w  float32
}

// averagedTaps lists, for each of the out tensor columns (or rows) along an
// axis of the map s = a*t + c, the source columns its n x n averaged
// bilinear grid reads and their weights (1/n of each tap's bilinear weight);
// those outside 0..size-1 are dropped, as bilinear reads them as black.
func averagedTaps(out int, a, c float64, n, size int) [][]tap {
	all := make([]tap, 0, out*2*n)
	taps := make([][]tap, out)
	inv := float32(1) / float32(n)
	for t := range out {
		start := len(all)
		for i := range n {
			sx := a*(float64(t)+(float64(i)+0.5)/float64(n)) + c - 0.5
			x0 := int(math.Floor(sx))
			ax := float32(sx - float64(x0))
			if x0 >= 0 && x0 < size {
				all = append(all, tap{x0, (1 - ax) * inv})
			}
			if x0+1 >= 0 && x0+1 < size {
				all = append(all, tap{x0 + 1, ax * inv})
			}
		}
		taps[t] = all[start:len(all):len(all)]
	}
	return taps
}

// sampleAveragedAxisAligned is sampleAveraged for unrotated maps (the mask
// window, the detector's letterbox of a large photo), computed separably: an
// n x n grid of bilinear taps is n horizontal taps of each of n rows, so each
// source row the grid touches is filtered along x once and the rows are then
// combined per tensor row. Same sums, several times fewer operations: the
// mask window of a 720x960 selfie (n = 3) took most of the pipeline's own
// time through sampleAveraged.
func sampleAveragedAxisAligned(r, g, b []float32, w, h int, src *image.NRGBA, m affine, mul, add [3]float32, n int) {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	cols := averagedTaps(w, m.A, m.C, n, sw)
	rows := averagedTaps(h, m.E, m.F, n, sh)
	// slot[y-lo] is where source row y's horizontal pass is kept, -1 until
	// it is needed.
	lo, hi := sh, -1
	for _, taps := range rows {
		for _, t := range taps {
			lo, hi = min(lo, t.at), max(hi, t.at)
		}
	}
	slot := make([]int, max(hi-lo+1, 0))
	for i := range slot {
		slot[i] = -1
	}
	var filtered []float32 // 3 floats per tensor column per filtered row
	for y := range h {
		k := y * w
		for x := range w {
			r[k+x], g[k+x], b[k+x] = 0, 0, 0
		}
		for _, ty := range rows[y] {
			s := slot[ty.at-lo]
			if s < 0 {
				s = len(filtered) / (3 * w)
				slot[ty.at-lo] = s
				filtered = filterRow(filtered, src, ty.at, cols)
			}
			f := filtered[s*3*w : (s+1)*3*w]
			for x := range w {
				r[k+x] += f[3*x] * ty.w
				g[k+x] += f[3*x+1] * ty.w
				b[k+x] += f[3*x+2] * ty.w
			}
		}
		for x := range w {
			r[k+x] = r[k+x]*mul[0] + add[0]
			g[k+x] = g[k+x]*mul[1] + add[1]
			b[k+x] = b[k+x]*mul[2] + add[2]
		}
	}
}

// filterRow appends source row y filtered along x by cols, RGB interleaved.
func filterRow(dst []float32, src *image.NRGBA, y int, cols [][]tap) []float32 {
	row := src.Pix[y*src.Stride : y*src.Stride+src.Rect.Dx()*4]
	for _, taps := range cols {
		var px [3]float32
		for _, t := range taps {
			p := row[t.at*4 : t.at*4+3 : t.at*4+3]
			px[0] += float32(p[0]) * t.w
			px[1] += float32(p[1]) * t.w
			px[2] += float32(p[2]) * t.w
		}
		dst = append(dst, px[0], px[1], px[2])
	}
	return dst
}

// copyExact handles the common letterbox case of a 1:1 map with an integer
// offset (a 640x480 camera frame into the detector) without interpolation.
func copyExact(r, g, b []float32, w, h int, src *image.NRGBA, m affine, mul, add [3]float32) bool {
	if m.A != 1 || m.E != 1 || m.B != 0 || m.D != 0 || m.C != math.Trunc(m.C) || m.F != math.Trunc(m.F) {
		return false
	}
	ox, oy := int(m.C), int(m.F)
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	for y := range h {
		sy := y + oy
		row := y * w
		if sy < 0 || sy >= sh {
			for x := range w {
				r[row+x], g[row+x], b[row+x] = add[0], add[1], add[2]
			}
			continue
		}
		for x := range w {
			sx := x + ox
			if sx < 0 || sx >= sw {
				r[row+x], g[row+x], b[row+x] = add[0], add[1], add[2]
				continue
			}
			p := src.Pix[sy*src.Stride+sx*4:]
			r[row+x] = float32(p[0])*mul[0] + add[0]
			g[row+x] = float32(p[1])*mul[1] + add[1]
			b[row+x] = float32(p[2])*mul[2] + add[2]
		}
	}
	return true
}

// bilinear adds the interpolated RGB at pixel-centre coordinates (x,y) to acc;
// taps outside the image count as black.
func bilinear(src *image.NRGBA, x, y float64, acc *[3]float32) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	fx, fy := math.Floor(x), math.Floor(y)
	x0, y0 := int(fx), int(fy)
	ax, ay := float32(x-fx), float32(y-fy)
	if x0 >= 0 && y0 >= 0 && x0+1 < w && y0+1 < h {
		p := src.Pix[y0*src.Stride+x0*4:]
		q := p[src.Stride:]
		for c := range 3 {
			top := float32(p[c]) + (float32(p[c+4])-float32(p[c]))*ax
			bot := float32(q[c]) + (float32(q[c+4])-float32(q[c]))*ax
			acc[c] += top + (bot-top)*ay
		}
		return
	}
	if x0 < -1 || y0 < -1 || x0 >= w || y0 >= h {
		return
	}
	weights := [4]float32{(1 - ax) * (1 - ay), ax * (1 - ay), (1 - ax) * ay, ax * ay}
	for k, d := range [4][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
		px, py := x0+d[0], y0+d[1]
		if px < 0 || py < 0 || px >= w || py >= h {
			continue
		}
		p := src.Pix[py*src.Stride+px*4:]
		for c := range 3 {
			acc[c] += float32(p[c]) * weights[k]
		}
	}
}
