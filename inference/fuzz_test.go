package inference

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// FuzzDecode: any bytes sent as an image are refused with an error or
// decoded within the limits, never a panic; the header check runs first.
func FuzzDecode(f *testing.F) {
	img := image.NewGray(image.Rect(0, 0, 40, 40))
	img.Set(3, 3, color.White)
	var buf bytes.Buffer
	png.Encode(&buf, img)
	f.Add(buf.Bytes())
	f.Add([]byte("\xff\xd8\xff\xe0 not really a jpeg"))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	lim := DecodeLimits{MaxPixels: 256 * 256, MinSide: 32}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Size(data, lim)
		if err != nil {
			return
		}
		if n > lim.MaxPixels {
			t.Fatalf("Size accepted %d pixels over %d", n, lim.MaxPixels)
		}
		img, err := Decode(data, lim)
		if err == nil && img.Rect.Dx()*img.Rect.Dy() > lim.MaxPixels {
			t.Fatalf("decoded %v past the limit", img.Rect)
		}
	})
}
