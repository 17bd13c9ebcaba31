// Package testkit finds what the project's tests share: the repository root,
// the ../shared folder of test data and models, and verified model paths.
package testkit

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/livenessd/livenessd/models"
)

// Root is the repository root (the directory holding go.mod).
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Shared returns ../shared/<sub> beside the repository, skipping the test
// with a clear message when it is absent.
func Shared(tb testing.TB, sub string) string {
	tb.Helper()
	dir := filepath.Join(Root(), "..", "shared", sub)
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("test data %s is absent (expected beside the repository): %v", dir, err)
	}
	return dir
}

var (
	fetchOnce sync.Once
	man       *models.Manifest
	paths     models.Paths
	fetchErr  error
)

// Models returns the manifest and verified paths of the runtime and models,
// fetching into the repository's models/cache (from ../shared/models when it
// exists) on first use. It fails the test when they cannot be had: the
// pipeline's tests are meaningless without real models.
func Models(tb testing.TB) (*models.Manifest, models.Paths) {
	tb.Helper()
	fetchOnce.Do(func() {
		f := models.NewFetcher()
		f.CacheDir = filepath.Join(Root(), "models", "cache")
		if os.Getenv("LIVENESS_MODEL_MIRROR") == "" {
			f.MirrorDir = filepath.Join(Root(), "..", "shared", "models")
		}
		if man, fetchErr = models.Load(); fetchErr == nil {
			paths, fetchErr = f.All(context.Background(), man)
		}
	})
	if fetchErr != nil {
		tb.Fatalf("models: %v", fetchErr)
	}
	return man, paths
}

// GrayPNG encodes a w x h mid-gray PNG: a valid image with no face in it.
func GrayPNG(tb testing.TB, w, h int) []byte {
	tb.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// BombPNG is a decompression bomb: a valid 64x64 PNG whose header claims
// 30000x30000 pixels (3.6 GB as NRGBA), with a correct header checksum.
func BombPNG(tb testing.TB) []byte {
	tb.Helper()
	data := GrayPNG(tb, 64, 64)
	// 8-byte signature, then the IHDR chunk: length(4) "IHDR"(4) data(13) crc(4).
	if string(data[12:16]) != "IHDR" {
		tb.Fatalf("unexpected PNG layout: %q", data[12:16])
	}
	binary.BigEndian.PutUint32(data[16:20], 30000)
	binary.BigEndian.PutUint32(data[20:24], 30000)
	binary.BigEndian.PutUint32(data[29:33], crc32.ChecksumIEEE(data[12:29]))
	return data
}
