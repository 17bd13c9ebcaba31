package session

import (
	"bytes"
	"image"
	"image/jpeg"

	"github.com/livenessd/livenessd/inference"
)

// look is what the frame itself says about the capture, for feedback.
type look struct {
	outside bool // the face box leaves the frame
	small   bool // the face is too far away for reliable models
	dark    bool // the face is underexposed
}

// Feedback bounds: a face narrower than 15% of the frame's short side is
// too far (the eye and mouth crops get too few pixels); a mean face luma
// under 60/255 is too dark for the eyelid contour.
const (
	minFaceShare = 0.15
	minFaceLuma  = 60
)

func lookOf(img *image.NRGBA, fa *inference.FaceAnalysis) look {
	f := fa.Face
	if f == nil {
		return look{}
	}
	b := f.Box
	w, h := float64(fa.Width), float64(fa.Height)
	side := min(w, h)
	l := look{
		outside: b.X < 0 || b.Y < 0 || b.X+b.W > w || b.Y+b.H > h,
		small:   b.W < minFaceShare*side,
	}
	// Luma is measured on the image as delivered; a rotated analysis
	// (Rotation != 0) has its box in turned coordinates, so skip it there.
	if fa.Rotation == 0 {
		l.dark = meanLuma(img, image.Rect(int(b.X), int(b.Y), int(b.X+b.W), int(b.Y+b.H))) < minFaceLuma
	}
	return l
}

// meanLuma is the average Rec. 601 luma over r, sampling every 4th pixel.
func meanLuma(img *image.NRGBA, r image.Rectangle) float64 {
	r = r.Intersect(img.Rect)
	var sum, n float64
	for y := r.Min.Y; y < r.Max.Y; y += 4 {
		for x := r.Min.X; x < r.Max.X; x += 4 {
			i := img.PixOffset(x, y)
			p := img.Pix[i : i+3 : i+3]
			sum += 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
			n++
		}
	}
	if n == 0 {
		return 255 // nothing to measure: do not complain about light
	}
	return sum / n
}

func encodeJPEG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	return buf.Bytes(), err
}
