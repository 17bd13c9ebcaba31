package liveness

import (
	"testing"
)

// FuzzImageBytes: any string in "images" is decoded or refused with one of
// the sentinel errors, within the byte limit, never a panic.
func FuzzImageBytes(f *testing.F) {
	for _, s := range []string{"", "aGVsbG8=", "aGVsbG8", "data:image/jpeg;base64,aGk=", "data:,x", "!!!!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		data, err := ImageBytes(s, 64)
		if err == nil && len(data) > 64 {
			t.Fatalf("%d bytes past the 64-byte limit", len(data))
		}
	})
}
