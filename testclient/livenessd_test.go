package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livenessd/livenessd/internal/testkit"
)

// These tests run the client against a real `livenessd serve` process with
// the real models: the only thing shared with the server is the wire.

// realToken is the access token of the servers testkit.Livenessd starts.
const realToken = testkit.LivenessdToken

func video(t *testing.T, name string) string {
	return filepath.Join(testkit.Shared(t, "testdata/video"), name)
}

func TestAgainstLivenessd(t *testing.T) {
	url := testkit.Livenessd(t, "--webrtc-allow-loopback")
	samples := testkit.Shared(t, "testdata/samples")

	t.Run("batch", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := runCLI(t, "batch", "--server", url, "--token", realToken, "--params", "front,right",
			filepath.Join(samples, "fr_kit_harington_john1.jpeg"), filepath.Join(samples, "fr_kit_harington_john2.jpeg"))
		if code != 0 || !strings.Contains(stdout, `"liveness": "passed"`) {
			t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
		}
	})
	for _, transport := range []string{"ws", "webrtc"} {
		t.Run(transport+" head pose, looped", func(t *testing.T) {
			t.Parallel()
			// Spoof detection off: MiniFASNet rejects this clip (README "Accuracy").
			code, stdout, stderr := runCLI(t, transport, "--server", url, "--token", realToken,
				"--source", video(t, "live_selfie_headpose_480x640_15fps.mjpeg"), "--fps", "15", "--loop",
				"--params", "front,left,right,down,up", "--spoof=false", "--step-timeout", "30s")
			if code != 0 || !strings.Contains(stdout, `"liveness": "passed"`) {
				t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			for _, p := range []string{"(front)", "(left)", "(right)", "(down)", "(up)"} {
				if !strings.Contains(stderr, p) {
					t.Errorf("no prompt for %s in:\n%s", p, stderr)
				}
			}
		})
	}
	t.Run("ws print attack", func(t *testing.T) {
		t.Parallel()
		code, _, stderr := runCLI(t, "ws", "--server", url, "--token", realToken,
			"--source", video(t, "nuaa_print_0001_640x480_10fps.mjpeg"), "--fps", "10", "--loop", "--step-timeout", "3s")
		if code != 1 || !strings.Contains(stderr, "result failed") {
			t.Errorf("exit %d, want 1 (failed)\n%s", code, stderr)
		}
	})
	t.Run("load", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := runCLI(t, "load", "--server", url, "--token", realToken, "--sessions", "3", "--json",
			"--source", video(t, "live_mouth_open_640x480_15fps.mjpeg"), "--fps", "15", "--loop", "--params", "front,mouth open")
		var s loadSummary
		if err := json.Unmarshal([]byte(stdout), &s); err != nil {
			t.Fatalf("exit %d, summary %q: %v\n%s", code, stdout, err, stderr)
		}
		if code != 0 || s.Completed != 3 || s.Outcomes.Passed != 3 || s.FeedbackLatency.Samples == 0 {
			t.Errorf("exit %d: %+v\n%s", code, s, stderr)
		}
	})
	t.Run("load over webrtc", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := runCLI(t, "load", "--transport", "webrtc", "--server", url, "--token", realToken,
			"--sessions", "2", "--json", "--source", video(t, "live_mouth_open_640x480_15fps.mjpeg"), "--fps", "15",
			"--loop", "--params", "front,mouth open")
		var s loadSummary
		if err := json.Unmarshal([]byte(stdout), &s); err != nil {
			t.Fatalf("exit %d, summary %q: %v\n%s", code, stdout, err, stderr)
		}
		if code != 0 || s.Completed != 2 || s.Outcomes.Passed != 2 || s.FeedbackLatency.Samples == 0 {
			t.Errorf("exit %d: %+v\n%s", code, s, stderr)
		}
	})
}
