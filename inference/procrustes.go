package inference

import "math"

// mat3 is a 3x3 matrix, rows first.
type mat3 [3][3]float64

func (m mat3) mul(v vec3) vec3 {
	return vec3{
		m[0][0]*v.X + m[0][1]*v.Y + m[0][2]*v.Z,
		m[1][0]*v.X + m[1][1]*v.Y + m[1][2]*v.Z,
		m[2][0]*v.X + m[2][1]*v.Y + m[2][2]*v.Z,
	}
}

// rotationFit is the orthogonal Procrustes solution: the rotation R
// minimising sum |s R (src_i - src mean) - (dst_i - dst mean)|^2 for the
// best scale s. It uses Horn's closed form (J. Opt. Soc. Am. A 4, 1987): R
// is the unit quaternion that is the top eigenvector of a symmetric 4x4
// matrix built from the cross-covariance, which needs no general SVD and is
// never a reflection.
func rotationFit(src, dst []vec3) mat3 {
	var sm, dm vec3
	for i := range src {
		sm, dm = sm.add(src[i]), dm.add(dst[i])
	}
	n := 1 / float64(len(src))
	sm, dm = sm.scale(n), dm.scale(n)
	var c mat3 // c[a][b] = sum src_a * dst_b
	for i := range src {
		a, b := src[i].sub(sm), dst[i].sub(dm)
		av, bv := [3]float64{a.X, a.Y, a.Z}, [3]float64{b.X, b.Y, b.Z}
		for r := range 3 {
			for k := range 3 {
				c[r][k] += av[r] * bv[k]
			}
		}
	}
	sxx, sxy, sxz := c[0][0], c[0][1], c[0][2]
	syx, syy, syz := c[1][0], c[1][1], c[1][2]
	szx, szy, szz := c[2][0], c[2][1], c[2][2]
	h := [4][4]float64{
		{sxx + syy + szz, syz - szy, szx - sxz, sxy - syx},
		{syz - szy, sxx - syy - szz, sxy + syx, szx + sxz},
		{szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy},
		{sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz},
	}
	q := topEigenvector(h)
	w0, x, y, z := q[0], q[1], q[2], q[3]
	return mat3{
		{w0*w0 + x*x - y*y - z*z, 2 * (x*y - w0*z), 2 * (x*z + w0*y)},
		{2 * (y*x + w0*z), w0*w0 - x*x + y*y - z*z, 2 * (y*z - w0*x)},
		{2 * (z*x - w0*y), 2 * (z*y + w0*x), w0*w0 - x*x - y*y + z*z},
	}
}

// topEigenvector returns the unit eigenvector of the largest eigenvalue of a
// symmetric 4x4 matrix, by cyclic Jacobi rotations (a handful of sweeps
// reach float64 precision at this size).
func topEigenvector(a [4][4]float64) [4]float64 {
	v := [4][4]float64{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}
	for range 50 {
		off := 0.0
		for p := range 4 {
			for q := p + 1; q < 4; q++ {
				off += a[p][q] * a[p][q]
			}
		}
		if off < 1e-30 {
			break
		}
		for p := range 4 {
			for q := p + 1; q < 4; q++ {
				if a[p][q] == 0 {
					continue
				}
				theta := (a[q][q] - a[p][p]) / (2 * a[p][q])
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := range 4 {
					akp, akq := a[k][p], a[k][q]
					a[k][p], a[k][q] = c*akp-s*akq, s*akp+c*akq
				}
				for k := range 4 {
					apk, aqk := a[p][k], a[q][k]
					a[p][k], a[q][k] = c*apk-s*aqk, s*apk+c*aqk
				}
				for k := range 4 {
					vkp, vkq := v[k][p], v[k][q]
					v[k][p], v[k][q] = c*vkp-s*vkq, s*vkp+c*vkq
				}
			}
		}
	}
	best := 0
	for i := 1; i < 4; i++ {
		if a[i][i] > a[best][best] {
			best = i
		}
	}
	return [4]float64{v[0][best], v[1][best], v[2][best], v[3][best]}
}
