package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childArgs, when set, makes the test binary run the CLI with these
// arguments instead of the tests: the restart test needs a real process to
// signal.
const childArgs = "LIVENESSD_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(childArgs); args != "" {
		os.Exit(run(strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

const restartToken = "restart-token-0123456789"

// serverProcess is `livenessd serve` in a child process.
type serverProcess struct {
	cmd *exec.Cmd
	url string
}

func startServe(t *testing.T, dataDir string) *serverProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		childArgs+"="+strings.Join([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--workers", "1"}, "\x1f"),
		"LIVENESS_API_TOKENS=restart:"+restartToken,
		"LIVENESS_LOG_LEVEL=warn")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "livenessd listening on ") {
				lines <- strings.TrimPrefix(sc.Text(), "livenessd listening on ")
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case url := <-lines:
		return &serverProcess{cmd: cmd, url: url}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not report its address within 60 s")
	}
	return nil
}

// stop sends SIGTERM and expects a clean exit.
func (p *serverProcess) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM, want 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not exit within 30 s of SIGTERM")
	}
}

func (p *serverProcess) post(t *testing.T, path string, body map[string]any) map[string]any {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", p.url+path, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accesstoken", restartToken)
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%s: %d %v %v", path, resp.StatusCode, out, err)
	}
	return out
}

// TestServeRestart: a face enrolled before a SIGTERM is there after a restart.
func TestServeRestart(t *testing.T) {
	cliEnv(t)
	dataDir := t.TempDir()
	photo := func(name string) string {
		data, err := os.ReadFile(sample(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(data)
	}

	first := startServe(t, dataDir)
	first.post(t, "/face-api/facegallery/create-facegallery", map[string]any{"trx_id": "r1", "facegallery_id": "kyc"})
	first.post(t, "/face-api/facegallery/enroll-face", map[string]any{"trx_id": "r2", "facegallery_id": "kyc",
		"user_id": "obama", "image": photo("fr_obama_obama.jpg")})
	first.stop(t)

	second := startServe(t, dataDir)
	out := second.post(t, "/face-api/facegallery/verify-face", map[string]any{"trx_id": "r3", "facegallery_id": "kyc",
		"user_id": "obama", "image": photo("fr_obama_obama2.jpg")})
	if out["verified"] != true {
		t.Errorf("after restart: %v", out)
	}
	second.stop(t)
	for _, f := range []string{"livenessd.db", "oauth-signing.key"} {
		if _, err := os.Stat(filepath.Join(dataDir, f)); err != nil {
			t.Errorf("data dir lacks %s: %v", f, err)
		}
	}
}
