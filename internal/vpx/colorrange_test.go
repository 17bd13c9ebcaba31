package vpx

import (
	"image"
	"testing"
)

func TestColorRange(t *testing.T) {
	img := image.NewYCbCr(image.Rect(0, 0, 2, 2), image.YCbCrSubsampleRatio420)
	copy(img.Y, []uint8{0, 128, 255, 100})
	img.Cb[0], img.Cr[0] = 0, 255
	LimitedRange(img)
	if want := []uint8{16, 126, 235, 102}; string(img.Y) != string(want) {
		t.Errorf("luma %v, want %v", img.Y, want)
	}
	if img.Cb[0] != 16 || img.Cr[0] != 240 {
		t.Errorf("chroma %d, %d; want 16, 240", img.Cb[0], img.Cr[0])
	}
	if chromaLimited[128] != 128 {
		t.Errorf("neutral chroma %d, want 128", chromaLimited[128])
	}
	FullRange(img)
	if want := []uint8{0, 128, 255, 100}; string(img.Y) != string(want) {
		t.Errorf("round trip luma %v, want %v", img.Y, want)
	}
}
