package main

import (
	"bytes"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that every goroutine a session starts ends with it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrorsExitTwo(t *testing.T) {
	dir := jpegDir(t, 2)
	img := dir + "/frame000.jpg"
	server := []string{"--server", "http://127.0.0.1:1", "--token", "T"}
	with := func(args ...string) []string { return append(append(args[:1:1], server...), args[1:]...) }
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no args", nil},
		{"unknown command", []string{"frobnicate"}},
		{"unknown flag", with("batch", "--no-such-flag", img)},
		{"batch without images", with("batch")},
		{"batch without server", []string{"batch", "--token", "T", img}},
		{"batch with a bad server URL", []string{"batch", "--server", "localhost:8080", "--token", "T", img}},
		{"batch without token", []string{"batch", "--server", "http://x", img}},
		{"batch params count mismatch", with("batch", "--params", "front,left", img)},
		{"batch empty param", with("batch", "--params", "front,", img, img)},
		{"batch gallery without user", with("batch", "--gallery", "g", img)},
		{"batch negative threshold", with("batch", "--threshold", "-1", img)},
		{"ws without source", with("ws")},
		{"ws with zero fps", with("ws", "--source", dir, "--fps", "0")},
		{"ws with arguments", with("ws", "--source", dir, "extra")},
		{"ws with zero timeout", with("ws", "--source", dir, "--timeout", "0s")},
		{"load with zero sessions", with("load", "--source", dir, "--sessions", "0")},
		{"load with an unknown transport", with("load", "--source", dir, "--transport", "quic")},
		{"webrtc without source", with("webrtc")},
		{"webrtc with zero bitrate", with("webrtc", "--source", dir, "--bitrate", "0")},
		{"load without token", []string{"load", "--server", "http://x", "--source", dir}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if !strings.Contains(stderr, "usage") {
				t.Errorf("stderr lacks a usage message:\n%s", stderr)
			}
		})
	}
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"help"}, {"batch", "-h"}, {"ws", "-h"}, {"webrtc", "-h"}, {"load", "--help"}} {
		code, stdout, stderr := runCLI(t, args...)
		if code != 0 {
			t.Errorf("%q: exit %d, want 0", args, code)
		}
		if !strings.Contains(stdout+stderr, "usage") {
			t.Errorf("%q: no usage printed", args)
		}
	}
}

func TestUnreadableSourceExitsOne(t *testing.T) {
	code, _, stderr := runCLI(t, "ws", "--server", "http://127.0.0.1:1", "--token", "T", "--source", t.TempDir())
	if code != 1 || !strings.Contains(stderr, "no frames") {
		t.Errorf("exit %d, stderr %q; want 1 and a message about no frames", code, stderr)
	}
}
