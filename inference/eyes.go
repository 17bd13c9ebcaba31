package inference

import (
	"image"
	"math"
)

// eyeOpenness runs the Iris model on one eye and returns the lid gap over the
// eye's width. The mesh alone cannot tell (its lids do not follow a closed
// eye); the iris model's 71-point contour does.
//
// inner and outer are the eye's corners from the mesh. The crop is a square of
// crop_scale x the corner distance, rotated along the corner line. The model
// expects one side: the person's left eye is mirrored so both look alike.
func eyeOpenness(m *model, img *image.NRGBA, imageLeft, imageRight vec3, mirror bool) (float64, error) {
	size, _ := m.inputSize()
	width := dist2D(imageLeft, imageRight)
	angle := math.Atan2(imageRight.Y-imageLeft.Y, imageRight.X-imageLeft.X)
	scale := m.spec.CropScale * width / float64(size)
	cx, cy := (imageLeft.X+imageRight.X)/2, (imageLeft.Y+imageRight.Y)/2
	toImage := cropAround(cx, cy, scale, angle, size, size, mirror)
	sample(m.in(), size, size, img, toImage, m.norm(), true)
	if err := m.run(); err != nil {
		return 0, err
	}
	// Contour points 0..8 run along the lower lid from corner to corner and
	// 9..15 along the upper lid, 9+k above 1+k.
	c := m.out(0)
	pt := func(i int) (float64, float64) { return float64(c[3*i]), float64(c[3*i+1]) }
	x0, y0 := pt(0)
	x8, y8 := pt(8)
	span := math.Hypot(x8-x0, y8-y0)
	if span == 0 {
		return 0, nil
	}
	var gap float64
	for i := 1; i <= 7; i++ {
		lx, ly := pt(i)
		ux, uy := pt(i + 8)
		gap += math.Hypot(ux-lx, uy-ly)
	}
	return gap / 7 / span, nil
}
