// Package testkit finds what the project's tests share: the repository root,
// the ../shared folder of test data and models, and verified model paths.
package testkit

import (
	"context"
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
