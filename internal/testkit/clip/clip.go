// Package clip reads the MJPEG test clips of ../shared/testdata for the
// tests of several packages. It lives apart from testkit because the mjpeg
// package's own tests use testkit.
package clip

import (
	"errors"
	"io"
	"os"
	"testing"

	"github.com/livenessd/livenessd/mjpeg"
)

// Frames returns every JPEG frame of the .mjpeg clip at path, failing the
// test when it cannot be read.
func Frames(tb testing.TB, path string) [][]byte {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var frames [][]byte
	r := mjpeg.NewReader(f)
	for {
		frame, err := r.Next()
		if errors.Is(err, io.EOF) {
			return frames
		}
		if err != nil {
			tb.Fatal(err)
		}
		frames = append(frames, frame)
	}
}
