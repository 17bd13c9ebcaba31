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

func cameraVideo(t *testing.T, name string) string {
	return filepath.Join(testkit.Shared(t, "testdata/camera/video"), name)
}

// challengeSessions are the challenge issue's session table, spoof detection
// on: real closures and open mouths pass; a clip whose timeline (NAME.md)
// has no closed eyes never passes "eyes closed", within a step timeout
// longer than one loop of the clip (lp_d13 has four blinks of 130-200 ms:
// blinks are not closures).
var challengeSessions = []struct {
	clip        func(*testing.T) string
	fps, params string
	timeout     string
	pass        bool
}{
	{func(t *testing.T) string { return video(t, "live_blink_closed_eyes_640x480_15fps.mjpeg") }, "15", "front,eyes closed", "20s", true},
	{func(t *testing.T) string { return video(t, "live_mouth_open_640x480_15fps.mjpeg") }, "15", "front,mouth open", "20s", true},
	{func(t *testing.T) string { return cameraVideo(t, "lp_d3_expressions_512x512_15fps.mjpeg") }, "15", "front,mouth open", "20s", true},
	{func(t *testing.T) string { return video(t, "live_selfie_headpose_480x640_15fps.mjpeg") }, "15", "front,eyes closed", "22s", false},
	{func(t *testing.T) string { return cameraVideo(t, "lp_d13_phone_selfie_talking_360x640_15fps.mjpeg") }, "15", "front,eyes closed", "13s", false},
	{func(t *testing.T) string { return cameraVideo(t, "td_live_621ea6b1_headturns_360x480_10fps.mjpeg") }, "10", "front,eyes closed", "13s", false},
	{func(t *testing.T) string { return cameraVideo(t, "td_live_621ea6c1_headturns_360x480_10fps.mjpeg") }, "10", "front,eyes closed", "13s", false},
	{func(t *testing.T) string { return cameraVideo(t, "td_live_621f73fc_headturns_360x480_10fps.mjpeg") }, "10", "front,eyes closed", "13s", false},
	{func(t *testing.T) string { return cameraVideo(t, "lestari_live_webcam_640x426_15fps.mjpeg") }, "15", "front,eyes closed", "5s", false},
}

// spoofOnSessions are the trusted-verdict issue's session table: real
// clips of ../shared/testdata looped at their own fps over WebSocket with
// spoof detection on (the server's default) pass their head turns, and
// every replay or print clip fails. lestari_live_webcam is asked "front"
// only: its timeline (NAME.md) has no turns (yaw stays within -1.3..2.9
// degrees), so no honest judge can pass a left or right there.
var spoofOnSessions = []struct {
	clip   func(*testing.T) string
	fps    string
	params string
	pass   bool
}{
	{func(t *testing.T) string { return video(t, "live_selfie_headpose_480x640_15fps.mjpeg") }, "15", "front,left,right,down,up", true},
	{func(t *testing.T) string { return cameraVideo(t, "td_live_621ea6b1_headturns_360x480_10fps.mjpeg") }, "10", "front,left,right,up,down", true},
	{func(t *testing.T) string { return cameraVideo(t, "td_live_621ea6c1_headturns_360x480_10fps.mjpeg") }, "10", "front,left,right,up,down", true},
	{func(t *testing.T) string { return cameraVideo(t, "td_live_621f73fc_headturns_360x480_10fps.mjpeg") }, "10", "front,left,right,up,down", true},
	{func(t *testing.T) string { return cameraVideo(t, "lestari_live_webcam_640x426_15fps.mjpeg") }, "15", "front", true},
	{func(t *testing.T) string { return cameraVideo(t, "lestari_replay_phone_640x426_15fps.mjpeg") }, "15", "front", false},
	{func(t *testing.T) string { return cameraVideo(t, "wingscape_replay_phone_640x360_10fps.mjpeg") }, "10", "front,left,right", false},
	{func(t *testing.T) string { return video(t, "nuaa_print_0001_640x480_10fps.mjpeg") }, "10", "front", false},
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
	t.Run("ws with spoof detection", func(t *testing.T) {
		t.Parallel()
		// One session at a time: the other subtests already load the two cores.
		for _, c := range spoofOnSessions {
			clip := c.clip(t)
			t.Run(filepath.Base(clip), func(t *testing.T) {
				code, stdout, stderr := runCLI(t, "ws", "--server", url, "--token", realToken, "--source", clip,
					"--fps", c.fps, "--loop", "--params", c.params, "--step-timeout", "20s")
				want, wantCode := `"liveness": "failed"`, 1
				if c.pass {
					want, wantCode = `"liveness": "passed"`, 0
				}
				if code != wantCode || !strings.Contains(stdout, want) || !strings.Contains(stdout, `"session_spoof_score"`) {
					t.Errorf("exit %d, want %d and %s\n%s\n%s", code, wantCode, want, stdout, lastLines(stderr, 30))
				}
				if !c.pass && !strings.Contains(stdout, "presentation attack suspected") {
					t.Errorf("an attack failed for another reason than PAD:\n%s", stdout)
				}
			})
		}
	})
	t.Run("ws challenges", func(t *testing.T) {
		t.Parallel()
		for _, c := range challengeSessions {
			clip := c.clip(t)
			t.Run(filepath.Base(clip)+" "+c.params, func(t *testing.T) {
				t.Parallel()
				code, stdout, stderr := runCLI(t, "ws", "--server", url, "--token", realToken, "--source", clip,
					"--fps", c.fps, "--loop", "--params", c.params, "--step-timeout", c.timeout)
				want, wantCode := `"liveness": "failed"`, 1
				if c.pass {
					want, wantCode = `"liveness": "passed"`, 0
				}
				if code != wantCode || !strings.Contains(stdout, want) {
					t.Errorf("exit %d, want %d and %s\n%s\n%s", code, wantCode, want, stdout, lastLines(stderr, 30))
				}
			})
		}
	})
	t.Run("webrtc head pose, looped", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := runCLI(t, "webrtc", "--server", url, "--token", realToken,
			"--source", video(t, "live_selfie_headpose_480x640_15fps.mjpeg"), "--fps", "15", "--loop",
			"--params", "front,left,right,down,up", "--step-timeout", "30s")
		if code != 0 || !strings.Contains(stdout, `"liveness": "passed"`) {
			t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		for _, p := range []string{"(front)", "(left)", "(right)", "(down)", "(up)"} {
			if !strings.Contains(stderr, p) {
				t.Errorf("no prompt for %s in:\n%s", p, stderr)
			}
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

// lastLines keeps a failure message short: a looped session logs a line
// per feedback.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
