package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/livenessd/livenessd/internal/testkit"
)

// These tests run the client against a real `livenessd serve` process with
// the real models: the only thing shared with the server is the wire.

const realToken = "testclient-token-0123456789"

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// livenessd builds the server binary once per test run.
func livenessd(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "livenessd-bin")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "livenessd")
		out, err := exec.Command("go", "build", "-o", binary, "github.com/livenessd/livenessd/cmd/livenessd").CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("%s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building livenessd: %v", buildErr)
	}
	return binary
}

// startLivenessd serves on a loopback port until the test ends.
func startLivenessd(t *testing.T) string {
	t.Helper()
	testkit.Models(t) // the verified cache the server will read
	cmd := exec.Command(livenessd(t), "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--log-level", "warn")
	cmd.Env = append(os.Environ(), "LIVENESS_API_TOKENS=tc:"+realToken,
		"LIVENESS_MODEL_CACHE="+filepath.Join(testkit.Root(), "models", "cache"),
		"LIVENESS_MODEL_MIRROR="+testkit.Shared(t, "models"), "LIVENESS_ORT_LIB=")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("livenessd exited with %v after SIGTERM", err)
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Error("livenessd did not stop within 30 s of SIGTERM")
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "livenessd listening on "); ok {
				urls <- u
			}
		}
	}()
	select {
	case u := <-urls:
		return u
	case <-time.After(60 * time.Second):
		t.Fatal("livenessd did not start within 60 s")
	}
	return ""
}

func video(t *testing.T, name string) string {
	return filepath.Join(testkit.Shared(t, "testdata/video"), name)
}

func TestAgainstLivenessd(t *testing.T) {
	url := startLivenessd(t)
	samples := testkit.Shared(t, "testdata/samples")

	t.Run("batch", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := runCLI(t, "batch", "--server", url, "--token", realToken, "--params", "front,right",
			filepath.Join(samples, "fr_kit_harington_john1.jpeg"), filepath.Join(samples, "fr_kit_harington_john2.jpeg"))
		if code != 0 || !strings.Contains(stdout, `"liveness": "passed"`) {
			t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
		}
	})
	t.Run("ws head pose, looped", func(t *testing.T) {
		t.Parallel()
		// Spoof detection off: MiniFASNet rejects this clip (README "Accuracy").
		code, stdout, stderr := runCLI(t, "ws", "--server", url, "--token", realToken,
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
}
