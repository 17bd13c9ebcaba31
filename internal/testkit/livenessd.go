package testkit

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// LivenessdToken is the static API token (client "test") of servers started
// by Livenessd.
const LivenessdToken = "testkit-token-0123456789"

var (
	buildMu sync.Mutex
	built   = map[string]string{} // package path -> binary
)

// LivenessdBinary builds cmd/livenessd once per test run and returns its path.
func LivenessdBinary(t *testing.T) string {
	t.Helper()
	return Binary(t, "github.com/livenessd/livenessd/cmd/livenessd")
}

// Binary builds the main package pkg once per test run and returns the
// binary's path; a failed build fails every test that asks for it.
func Binary(t *testing.T, pkg string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if bin, ok := built[pkg]; ok {
		if bin == "" {
			t.Fatalf("building %s failed earlier in this run", pkg)
		}
		return bin
	}
	built[pkg] = ""
	dir, err := os.MkdirTemp("", "livenessd-bin")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, filepath.Base(pkg))
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v", pkg, &buildError{err, out})
	}
	built[pkg] = bin
	return bin
}

// Server is a `livenessd serve` process on a loopback port.
type Server struct {
	URL     string
	cmd     *exec.Cmd
	stopped bool
}

// Livenessd runs `livenessd serve` with the verified models and a fresh
// data dir until the test ends, and returns its base URL. Clients tested
// against it share nothing with the server but the wire.
func Livenessd(t *testing.T, args ...string) string {
	t.Helper()
	return StartLivenessd(t, t.TempDir(), nil, args...).URL
}

// StartLivenessd runs `livenessd serve` on dataDir with the static token
// LivenessdToken (client "test"), env added to the environment, and args
// after the defaults. Unless stopped earlier, it is stopped (SIGTERM, which
// must exit 0) when the test ends.
func StartLivenessd(t *testing.T, dataDir string, env []string, args ...string) *Server {
	t.Helper()
	Models(t) // the verified cache the server reads
	cmd := exec.Command(LivenessdBinary(t), append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--log-level", "warn"}, args...)...)
	cmd.Env = append(os.Environ(), "LIVENESS_API_TOKENS=test:"+LivenessdToken,
		"LIVENESS_MODEL_CACHE="+filepath.Join(Root(), "models", "cache"),
		"LIVENESS_MODEL_MIRROR="+Shared(t, "models"), "LIVENESS_ORT_LIB=")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &Server{cmd: cmd}
	t.Cleanup(func() {
		if !s.stopped {
			s.Stop(t)
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
	case s.URL = <-urls:
		return s
	case <-time.After(60 * time.Second):
		t.Fatal("livenessd did not start within 60 s")
	}
	return nil
}

// Stop sends SIGTERM and fails the test unless the server exits 0 within
// 30 s.
func (s *Server) Stop(t *testing.T) {
	t.Helper()
	s.stopped = true
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("livenessd exited with %v after SIGTERM, want 0", err)
		}
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-done
		t.Error("livenessd did not stop within 30 s of SIGTERM")
	}
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + string(e.out) }

// Kill ends the server with SIGKILL, as a crash would: nothing is flushed
// or finished.
func (s *Server) Kill(t *testing.T) {
	t.Helper()
	s.stopped = true
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	s.cmd.Wait() // "signal: killed"
}

// PeakRSS is the server process's peak resident memory so far (VmHWM), in
// bytes.
func (s *Server) PeakRSS(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}
