package mjpeg

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/livenessd/livenessd/internal/testkit"
)

func encode(t *testing.T, shade uint8) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 16, 8))
	for i := range img.Pix {
		img.Pix[i] = shade + uint8(i)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSplitsConcatenatedFrames(t *testing.T) {
	a, b := encode(t, 10), encode(t, 200)
	stream := append(append(append([]byte{}, a...), '\n'), b...)
	r := NewReader(bytes.NewReader(stream))
	for i, want := range [][]byte{a, b} {
		got, err := r.Next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("frame %d: got %d bytes, want %d", i, len(got), len(want))
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after last frame: got %v, want io.EOF", err)
	}
}

func TestRejectsTruncatedAndForeignData(t *testing.T) {
	a := encode(t, 50)
	for name, data := range map[string][]byte{
		"truncated": a[:len(a)-10],
		"png":       {0x89, 'P', 'N', 'G', 0xFF, 0x00},
		"header":    a[:5],
	} {
		if _, err := NewReader(bytes.NewReader(data)).Next(); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: got %v, want ErrFormat", name, err)
		}
	}
}

func TestReadsSharedClips(t *testing.T) {
	dir := testkit.Shared(t, "testdata/video")
	clips, _ := filepath.Glob(filepath.Join(dir, "*.mjpeg"))
	if len(clips) == 0 {
		t.Fatalf("no clips in %s", dir)
	}
	for _, clip := range clips {
		f, err := os.Open(clip)
		if err != nil {
			t.Fatal(err)
		}
		r := NewReader(f)
		n := 0
		for {
			frame, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s frame %d: %v", filepath.Base(clip), n, err)
			}
			if _, err := jpeg.DecodeConfig(bytes.NewReader(frame)); err != nil {
				t.Fatalf("%s frame %d does not decode: %v", filepath.Base(clip), n, err)
			}
			n++
		}
		f.Close()
		if n < 10 {
			t.Errorf("%s: only %d frames", filepath.Base(clip), n)
		}
		t.Logf("%s: %d frames", filepath.Base(clip), n)
	}
}
