package mjpeg

import (
	"bytes"
	"testing"
)

// FuzzReader: any bytes, as an uploaded or streamed clip would be, end in
// frames and then an error, never a panic or an endless loop.
func FuzzReader(f *testing.F) {
	jpeg := []byte{0xff, 0xd8, 0xff, 0xe0, 0, 4, 'J', 'F', 0xff, 0xd9}
	for _, seed := range [][]byte{nil, jpeg, append(append([]byte{}, jpeg...), jpeg...), {0xff, 0xd8}, {0xff, 0xd8, 0xff, 0xd9, 0xff}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		for range len(data) + 2 {
			frame, err := r.Next()
			if err != nil {
				return
			}
			if len(frame) == 0 {
				t.Fatal("an empty frame without an error")
			}
		}
		t.Fatalf("more frames than input bytes from %d bytes", len(data))
	})
}
