package inference_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/internal/testkit"
)

func readShared(t testing.TB, sub, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testkit.Shared(t, sub), name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDecodeRejectsText(t *testing.T) {
	_, err := inference.Decode([]byte("this is plain text, not a picture of anybody\n"), inference.DefaultDecodeLimits)
	if !errors.Is(err, inference.ErrNotImage) {
		t.Fatalf("err = %v, want ErrNotImage", err)
	}
}

// GIF is a real image format (and its decoder is registered in this binary
// by the image/gif import), but the API accepts only JPEG and PNG.
func TestDecodeRejectsGIF(t *testing.T) {
	img := image.NewPaletted(image.Rect(0, 0, 64, 64), palette.Plan9)
	for i := range img.Pix {
		img.Pix[i] = uint8(i % len(palette.Plan9))
	}
	var buf bytes.Buffer
	if err := gif.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	_, err := inference.Decode(buf.Bytes(), inference.DefaultDecodeLimits)
	if !errors.Is(err, inference.ErrNotImage) {
		t.Fatalf("err = %v, want ErrNotImage", err)
	}
}

func TestDecodeTruncatedJPEGIsCorrupt(t *testing.T) {
	data := readShared(t, "testdata/samples", "fr_obama_obama.jpg")
	if _, err := inference.Decode(data, inference.DefaultDecodeLimits); err != nil {
		t.Fatalf("whole photo: %v", err)
	}
	_, err := inference.Decode(data[:len(data)/2], inference.DefaultDecodeLimits)
	if !errors.Is(err, inference.ErrImageCorrupt) {
		t.Fatalf("first half of a JPEG: err = %v, want ErrImageCorrupt", err)
	}
	// Cut inside the header: still corrupt, not "not an image".
	_, err = inference.Decode(data[:20], inference.DefaultDecodeLimits)
	if !errors.Is(err, inference.ErrImageCorrupt) {
		t.Fatalf("first 20 bytes of a JPEG: err = %v, want ErrImageCorrupt", err)
	}
}

// A decompression bomb: a tiny PNG whose header claims 30000x30000 pixels
// (3.6 GB as NRGBA). Decode must refuse it from the header alone.
func TestDecodeRefusesHugeDimensionsFromHeader(t *testing.T) {
	data := testkit.BombPNG(t)
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != 30000 || cfg.Height != 30000 {
		t.Fatalf("patched header reads %dx%d, %v: want a valid 30000x30000 header", cfg.Width, cfg.Height, err)
	}

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err = inference.Decode(data, inference.DefaultDecodeLimits)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, inference.ErrImageSize) {
		t.Fatalf("err = %v, want ErrImageSize", err)
	}
	if elapsed > time.Second {
		t.Errorf("took %v to refuse: want < 1s (the pixels must not be decoded)", elapsed)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("allocated %d MiB to refuse a header: the pixels must not be allocated", alloc>>20)
	}
}

func TestDecodeRefusesTinyImage(t *testing.T) {
	_, err := inference.Decode(testkit.GrayPNG(t, 16, 16), inference.DefaultDecodeLimits)
	if !errors.Is(err, inference.ErrImageSize) {
		t.Fatalf("16x16: err = %v, want ErrImageSize", err)
	}
	// One side too small is enough.
	_, err = inference.Decode(testkit.GrayPNG(t, 640, 16), inference.DefaultDecodeLimits)
	if !errors.Is(err, inference.ErrImageSize) {
		t.Fatalf("640x16: err = %v, want ErrImageSize", err)
	}
	// MinSide itself is allowed.
	img, err := inference.Decode(testkit.GrayPNG(t, 32, 32), inference.DefaultDecodeLimits)
	if err != nil {
		t.Fatalf("32x32: %v", err)
	}
	if b := img.Bounds(); b != image.Rect(0, 0, 32, 32) {
		t.Errorf("32x32 decoded with bounds %v", b)
	}
	if c := img.NRGBAAt(5, 5); c != (color.NRGBA{128, 128, 128, 255}) {
		t.Errorf("pixel (5,5) = %v, want opaque mid-gray", c)
	}
}

// silentface_image_T1.jpg is stored 640x480 with EXIF orientation 6 (rotate
// 90 degrees clockwise to display): Decode must return it upright, 480x640.
func TestDecodeAppliesEXIFOrientation(t *testing.T) {
	data := readShared(t, "testdata/faces/spoof", "silentface_image_T1.jpg")
	stored, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if stored.Width != 640 || stored.Height != 480 {
		t.Fatalf("test photo stored as %dx%d, want 640x480", stored.Width, stored.Height)
	}
	img, err := inference.Decode(data, inference.DefaultDecodeLimits)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b != image.Rect(0, 0, 480, 640) {
		t.Errorf("decoded bounds %v, want (0,0)-(480,640): EXIF orientation 6 not applied", b)
	}
}
