package inference

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // JPEG is one of the two formats the API accepts
	_ "image/png"  // PNG is the other

	"github.com/disintegration/imaging"
)

// Sentinel errors for images the pipeline refuses; callers map them to client errors.
var (
	ErrNotImage     = errors.New("not a JPEG or PNG image")
	ErrImageSize    = errors.New("image dimensions out of range")
	ErrImageCorrupt = errors.New("image data is corrupt or truncated")
)

// DecodeLimits bounds what Decode accepts. The dimensions are checked from the
// header before any pixel is decoded, so a decompression bomb costs nothing.
type DecodeLimits struct {
	MaxPixels int // width*height
	MinSide   int // images smaller than this on either side cannot hold a usable face
}

// DefaultDecodeLimits allow up to 40 megapixels (a modern phone photo is 12-50)
// and at least 32x32 pixels.
var DefaultDecodeLimits = DecodeLimits{MaxPixels: 40_000_000, MinSide: 32}

// Size reads a JPEG's or PNG's dimensions from its header alone and checks
// them against lim; it returns the pixel count, what decoding will cost.
func Size(data []byte, lim DecodeLimits) (int, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return 0, ErrNotImage
		}
		return 0, fmt.Errorf("%w: header: %v", ErrImageCorrupt, err)
	}
	if format != "jpeg" && format != "png" {
		return 0, ErrNotImage
	}
	if cfg.Width < lim.MinSide || cfg.Height < lim.MinSide || cfg.Width*cfg.Height > lim.MaxPixels {
		return 0, fmt.Errorf("%w: %dx%d (allowed: sides >= %d, at most %d pixels)",
			ErrImageSize, cfg.Width, cfg.Height, lim.MinSide, lim.MaxPixels)
	}
	return cfg.Width * cfg.Height, nil
}

// Decode reads a JPEG or PNG, applies its EXIF orientation (phones store
// portrait photos sideways with an orientation tag, and the face models need
// the face upright), and returns it as NRGBA, the layout the samplers read.
func Decode(data []byte, lim DecodeLimits) (*image.NRGBA, error) {
	if _, err := Size(data, lim); err != nil {
		return nil, err
	}
	img, err := imaging.Decode(bytes.NewReader(data), imaging.AutoOrientation(true))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrImageCorrupt, err)
	}
	if n, ok := img.(*image.NRGBA); ok && n.Rect.Min == (image.Point{}) {
		return n, nil
	}
	return imaging.Clone(img), nil
}
