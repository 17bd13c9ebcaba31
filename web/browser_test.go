package web

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/livenessd/livenessd/internal/testkit"
)

// TestDemoPageInChromium drives the demo page and the SDK in a real,
// headless Chromium with a fake camera playing ../shared/testdata clips
// (test/e2e.mjs): the head-pose clip passes over WebRTC and over the
// WebSocket fallback with the page's defaults (spoof detection on), and the
// print attack fails on the session's PAD verdict. `make test`
// installs what it needs (Debian chromium, npm playwright-core) and sets
// LIVENESS_BROWSER_TESTS=1, which turns a missing piece into a failure.
func TestDemoPageInChromium(t *testing.T) {
	need := func(what string, err error) {
		if err == nil {
			return
		}
		if os.Getenv("LIVENESS_BROWSER_TESTS") == "1" {
			t.Fatalf("%s: %v (make test installs it: see README)", what, err)
		}
		t.Skipf("%s: %v; run make test, which installs the browser test's tools", what, err)
	}
	_, err := exec.LookPath("chromium")
	need("Debian chromium", err)
	_, err = exec.LookPath("node")
	need("node", err)
	_, err = os.Stat(filepath.Join("test", "node_modules", "playwright-core"))
	need("npm playwright-core in web/test", err)

	videos := testkit.Shared(t, "testdata/video")
	// Played at the 15 fps it was filmed at, not Chromium's 30 fps for .mjpeg.
	headpose := filepath.Join(t.TempDir(), "live_selfie_headpose_15fps.y4m")
	if err := writeY4M(filepath.Join(videos, "live_selfie_headpose_480x640_15fps.mjpeg"), headpose, 15); err != nil {
		t.Fatal(err)
	}
	url := testkit.Livenessd(t, "--dev", "--webrtc-allow-loopback")
	out := filepath.Join(testkit.Root(), "web", "test", "screenshots")
	cmd := exec.Command("node", "e2e.mjs")
	cmd.Dir = "test"
	cmd.Env = append(os.Environ(), "LIVENESS_URL="+url, "OUT_DIR="+out,
		"CLIP_HEADPOSE="+headpose,
		"CLIP_PRINT="+filepath.Join(videos, "nuaa_print_0001_640x480_10fps.mjpeg"))
	output, err := cmd.CombinedOutput()
	t.Logf("e2e.mjs:\n%s", output)
	if err != nil {
		t.Fatalf("browser scenarios failed: %v", err)
	}
	t.Logf("screenshots in %s", out)
}
