package vpx

import (
	"image"
	"math"
)

// Browsers encode WebRTC video in limited range (luma 16-235, chroma 16-240);
// Go's YCbCr, like a JPEG, is full range. A receiver stretches decoded
// pictures with FullRange, or every frame reaches the models washed out; a
// sender that plays a browser squeezes its pictures with LimitedRange.
var lumaFull, chromaFull, lumaLimited, chromaLimited [256]uint8

func init() {
	for v := range 256 {
		lumaFull[v] = uint8(max(0, min(255, math.Round(float64(v-16)*255/219))))
		chromaFull[v] = uint8(max(0, min(255, math.Round(float64(v-128)*255/224+128))))
		lumaLimited[v] = uint8(16 + math.Round(float64(v)*219/255))
		chromaLimited[v] = uint8(128 + math.Round(float64(v-128)*224/255))
	}
}

// FullRange stretches a limited-range picture to full range, in place.
func FullRange(img *image.YCbCr) { remap(img, &lumaFull, &chromaFull) }

// LimitedRange squeezes a full-range picture to limited range, in place.
func LimitedRange(img *image.YCbCr) { remap(img, &lumaLimited, &chromaLimited) }

func remap(img *image.YCbCr, luma, chroma *[256]uint8) {
	for i, v := range img.Y {
		img.Y[i] = luma[v]
	}
	for i, v := range img.Cb {
		img.Cb[i] = chroma[v]
	}
	for i, v := range img.Cr {
		img.Cr[i] = chroma[v]
	}
}
