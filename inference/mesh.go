package inference

import (
	"image"
	"math"
)

// vec3 is a mesh point in image pixels; z uses the same scale and grows away
// from the camera.
type vec3 struct{ X, Y, Z float64 }

func (a vec3) sub(b vec3) vec3      { return vec3{a.X - b.X, a.Y - b.Y, a.Z - b.Z} }
func (a vec3) add(b vec3) vec3      { return vec3{a.X + b.X, a.Y + b.Y, a.Z + b.Z} }
func (a vec3) norm() float64        { return math.Sqrt(a.X*a.X + a.Y*a.Y + a.Z*a.Z) }
func (a vec3) scale(s float64) vec3 { return vec3{a.X * s, a.Y * s, a.Z * s} }
func (a vec3) unit() vec3           { return a.scale(1 / a.norm()) }
func (a vec3) cross(b vec3) vec3 {
	return vec3{a.Y*b.Z - a.Z*b.Y, a.Z*b.X - a.X*b.Z, a.X*b.Y - a.Y*b.X}
}
func dist2D(a, b vec3) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }

// Face Mesh v1 indices the pipeline reads.
const (
	meshRightEyeOuter = 33  // person's right eye, image-left in a frontal photo
	meshRightEyeInner = 133 //
	meshLeftEyeOuter  = 263 // person's left eye
	meshLeftEyeInner  = 362 //
	meshUpperLipInner = 13
	meshLowerLipInner = 14
	meshMouthRight    = 78 // image-left mouth corner
	meshMouthLeft     = 308
	meshPoints        = 468
)

// landmarks runs Face Mesh on a square crop of crop_scale x the detector box,
// rotated so the eyes are level, writes the 468 points in image space to pts
// and returns the model's face-presence probability. The rotation matters:
// the mesh model was trained on upright faces.
func landmarks(m *model, img *image.NRGBA, d detection, pts *[meshPoints]vec3) (float64, error) {
	size, _ := m.inputSize()
	side := m.spec.CropScale * math.Max(d.box.W, d.box.H)
	eyeL, eyeR := d.kps[0], d.kps[1]
	angle := math.Atan2(eyeR.Y-eyeL.Y, eyeR.X-eyeL.X)
	scale := side / float64(size)
	toImage := cropAround(d.box.X+d.box.W/2, d.box.Y+d.box.H/2, scale, angle, size, size, false)
	sample(m.in(), size, size, img, toImage, m.norm(), true)
	if err := m.run(); err != nil {
		return 0, err
	}
	raw := m.out(0)
	for i := range pts {
		x, y := toImage.apply(float64(raw[3*i]), float64(raw[3*i+1]))
		pts[i] = vec3{x, y, float64(raw[3*i+2]) * scale}
	}
	return sigmoid(float64(m.out(1)[0])), nil
}

// mouthRatio is the inner-lip gap over the mouth's width.
func mouthRatio(pts *[meshPoints]vec3) float64 {
	return dist2D(pts[meshUpperLipInner], pts[meshLowerLipInner]) /
		dist2D(pts[meshMouthRight], pts[meshMouthLeft])
}

func sigmoid(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
